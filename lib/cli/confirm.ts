import fs from "node:fs";
import readline from "node:readline";
import tty from "node:tty";
import { CliError, EXIT } from "@/lib/cli/client";

// -Confirm: ask on the terminal, per target, before acting. The question goes to the controlling
// terminal (/dev/tty), not stdin or stdout, so `get-session --json | disconnect-session --confirm`
// still reads its targets from the pipe and asks the person at the keyboard. Without a terminal
// (cron, CI, a detached job) there is no one to ask: that is an error, never a silent yes.

export type TAnswer = "yes" | "no";

export type TConfirmer = { ask: (question: string) => Promise<TAnswer>; close: () => void };

export const NO_TERMINAL_MESSAGE =
  "--confirm asks on the terminal before each change, and this process has no terminal (cron, CI or a detached job?). Nothing was changed. Leave out --confirm to act without asking, or use --what-if to see what would happen.";

/** Opens the controlling terminal for questions; throws a usage error when there is none. */
export function openConfirmer(): TConfirmer {
  let readFd: number;
  let writeFd: number;
  try {
    readFd = fs.openSync("/dev/tty", "r");
    writeFd = fs.openSync("/dev/tty", "w");
  } catch {
    throw new CliError(NO_TERMINAL_MESSAGE, EXIT.usage);
  }
  if (!tty.isatty(readFd)) throw new CliError(NO_TERMINAL_MESSAGE, EXIT.usage);
  const input = new tty.ReadStream(readFd);
  const output = new tty.WriteStream(writeFd);
  const lines = readline.createInterface({ input, terminal: false });
  const pending: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  lines.on("line", (line) => (waiting.length ? waiting.shift()!(line) : pending.push(line)));
  lines.on("close", () => {
    ended = true;
    for (const w of waiting.splice(0)) w(null);
  });
  const nextLine = () => (pending.length ? Promise.resolve(pending.shift()!) : ended ? Promise.resolve(null) : new Promise<string | null>((resolve) => waiting.push(resolve)));
  // "Yes to All" / "No to All" answer every later question the same way, as PowerShell's do.
  let all: TAnswer | null = null;
  return {
    async ask(question) {
      if (all) return all;
      for (;;) {
        output.write(`${question}\n[Y] Yes  [A] Yes to All  [N] No  [L] No to All (default is "N"): `);
        const line = await nextLine();
        if (line === null) {
          // The terminal closed (Ctrl-D): no answer is no, for this target and the rest.
          output.write("\n");
          return (all = "no");
        }
        const a = line.trim().toLowerCase();
        if (a === "" || a === "n" || a === "no") return "no";
        if (a === "y" || a === "yes") return "yes";
        if (a === "a") return (all = "yes");
        if (a === "l") return (all = "no");
        output.write(`Answer Y, A, N or L.\n`);
      }
    },
    close() {
      lines.close();
      input.destroy();
      output.destroy();
    },
  };
}
