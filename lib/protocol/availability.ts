import type { TAvailability, TSessionSnapshot, TSessionState, TSessionView } from "./sessions";

/**
 * The state and availability of a session as one user sees it (DESIGN.md, "Session semantics"):
 * attached to you and idle -> Available; attached to you with a command running -> Busy;
 * attached to someone else -> reads Disconnected/Busy; disconnected and free -> None.
 */
export function viewFor(snapshot: TSessionSnapshot, userId: string | null): { viewState: TSessionState; availability: TAvailability } {
  switch (snapshot.state) {
    case "Opened":
    case "Connecting":
    case "Disconnecting": {
      if (snapshot.holder && snapshot.holder.id !== userId) return { viewState: "Disconnected", availability: "Busy" };
      return { viewState: snapshot.state, availability: snapshot.command ? "Busy" : "Available" };
    }
    case "Disconnected":
    case "Broken":
    case "Closed":
      return { viewState: snapshot.state, availability: "None" };
  }
}

export function toView(snapshot: TSessionSnapshot, userId: string | null): TSessionView {
  return { ...snapshot, ...viewFor(snapshot, userId) };
}
