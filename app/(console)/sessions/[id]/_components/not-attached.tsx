import type { TViewer } from "@/components/sessions/viewer";
import type { TSessionRow } from "@/lib/dto/sessions";

/** Why there is no live terminal here, in words, and what would change that. */
export function notAttachedReason(s: TSessionRow, viewer: TViewer): { title: string; detail: string } {
  const heldElsewhere = s.agentState === "Opened" && s.holderId !== null && s.holderId !== viewer.id;
  if (heldElsewhere) {
    return {
      title: `Attached to ${s.holderName ?? "another user"}`,
      detail: `It reads Disconnected and Busy to you, as in PowerShell: only one user is attached at a time. Once it is disconnected, it can be connected here${s.can.takeOver ? "; as a manager you may also take it over, with a reason" : ""}.`,
    };
  }
  switch (s.agentState) {
    case "Disconnected":
      if (s.handedTo?.id === viewer.id && s.can.connect) {
        return { title: "Handed to you", detail: `${s.handedTo.by} handed it to you: “${s.handedTo.reason}”. Connect to pick it up where they left it, or Receive to collect its output first.` };
      }
      return viewer.canAct && s.can.connect
        ? {
            title: "Disconnected",
            detail: "Its commands keep running on the computer. Connect to attach a live terminal, or Receive to collect the output produced meanwhile (Receive also connects).",
          }
        : { title: "Disconnected", detail: "Its commands keep running on the computer. You may watch it here, not attach to it." };
    case "Broken":
      return {
        title: "Broken",
        detail: `${s.computerName} stopped answering${s.reason ? ` (${s.reason})` : ""}. The session shows Broken until its agent is back and reconciles; its shell may still be running there.`,
      };
    case "Closed":
      return { title: "Closed", detail: s.reason ? `It ended: ${s.reason}.` : "It has ended; its shell and processes are gone." };
    case "Connecting":
      return { title: "Connecting…", detail: "The computer is attaching the session; this takes a moment." };
    case "Disconnecting":
      return { title: "Disconnecting…", detail: "The computer is detaching the session; its commands keep running." };
    case "Opened":
      return viewer.canAct
        ? { title: "Opened", detail: "Attaching the terminal…" }
        : { title: "Opened", detail: "Help desk watches sessions; it does not attach to them." };
  }
}

export function NotAttached({ session, viewer }: { session: TSessionRow; viewer: TViewer }) {
  const { title, detail } = notAttachedReason(session, viewer);
  return (
    <div className="flex h-[26rem] flex-col items-center justify-center gap-2 rounded-md border border-dashed border-slate-300 bg-slate-50 px-6 text-center" data-testid="terminal-unavailable">
      <p className="text-sm font-semibold text-slate-800">No live terminal: {title.toLowerCase().replace(/…$/, "")}</p>
      <p className="max-w-lg text-sm text-slate-600">{detail}</p>
    </div>
  );
}
