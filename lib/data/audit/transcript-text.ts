// What the transcript replay writes into its terminal. Pure: safe for client components.
//
// Recorded output is already neutralised (lib/audit/neutralise.ts), but the replay does not
// rely on that: a row written before neutralising existed, or edited in the database, must
// not be able to move the cursor, recolour, retitle or hide text in the auditor's terminal.
// So every control character but newline and tab becomes U+FFFD here too, and only the
// replay's own constant frames below carry escape sequences.

const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Text that a terminal shows literally: no escapes, no carriage returns, CRLF line ends. */
export function inertText(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROLS, "\uFFFD").replace(/\n/g, "\r\n");
}

export type TReplayCommand = {
  command: string;
  actorName: string | null;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  output: string;
  outputTruncated: boolean;
};

const DIM = "\x1b[2m";
const BOLD_CYAN = "\x1b[1;36m";
const YELLOW = "\x1b[33m";
const RESET = "\x1b[0m";

/** One command as terminal lines: a dim header, the prompt with the command, its output. */
export function replayLines(c: TReplayCommand, index: number): string[] {
  const exit = c.exitCode === null ? (c.endedAt ? "ended" : "no exit code") : `exit ${c.exitCode}`;
  const header = `${DIM}── #${index + 1} · ${c.startedAt.replace("T", " ").slice(0, 19)} UTC · ${inertText(c.actorName ?? "unknown user")} · ${exit} ──${RESET}\r\n`;
  const prompt = `${BOLD_CYAN}$${RESET} ${inertText(c.command)}\r\n`;
  const output = c.output ? inertText(c.output.endsWith("\n") ? c.output : `${c.output}\n`).split(/(?<=\r\n)/) : [];
  const tail = c.outputTruncated ? [`${YELLOW}[output truncated when recorded]${RESET}\r\n`] : [];
  return [header, prompt, ...output, ...tail, "\r\n"];
}
