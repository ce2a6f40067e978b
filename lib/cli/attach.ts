import { StringDecoder } from "node:string_decoder";
import { io, type Socket } from "socket.io-client";
import { CliError, EXIT, type TCliConfig } from "@/lib/cli/client";
import { noticeLine, unwrittenPart, type TTerminalNotice, type TTerminalOutput } from "@/lib/realtime/terminal-protocol";

// connect-session --attach: the session's terminal in the local one, as `tsh ssh` or
// `tmux attach` give it. It speaks the browser terminal's socket.io protocol
// (lib/realtime/terminal-relay.ts) with the personal access token: attach (the retained screen,
// then live output, each byte once by offset), keystrokes, resizes (SIGWINCH) and acks (what was
// written to the local terminal moves the holder's cursor on the agent, so Receive returns only
// the rest). Ctrl-] detaches, as in telnet: the terminal closes and the session stays Opened and
// attached to you, exactly as when the console's terminal tab is closed.

/** The detach key: Ctrl-] (0x1d). */
export const DETACH_KEY = 0x1d;

const ACK_INTERVAL_MS = 100;
const INPUT_GATHER_MS = 10;
const INPUT_CHUNK = 8 * 1024;

type TAttachAck = { ok: true; cols?: number; rows?: number; from: number; end: number } | { ok: false; error: string };

const clamp = (n: number | undefined, min: number, max: number, fallback: number) => Math.min(max, Math.max(min, Number.isFinite(n) && n ? n : fallback));

/** Throws unless stdin and stdout are a terminal (checked before anything is connected). */
export function assertTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new CliError("--attach gives an interactive terminal and needs one: run it in a terminal, not with stdin or stdout redirected. Nothing was changed.", EXIT.usage);
}

function connectSocket(config: TCliConfig): Promise<Socket> {
  const socket = io(config.url, { transports: ["websocket"], auth: { token: config.token }, reconnection: false, timeout: 20_000 });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      const message = err.message.replace(/^unauthorized: /, "");
      reject(new CliError(err.message.startsWith("unauthorized") ? message : `Cannot open the terminal channel at ${config.url}: ${message}`, err.message.startsWith("unauthorized") ? EXIT.auth : EXIT.server));
    });
  });
}

export async function attachTerminal(config: TCliConfig, session: { id: string; name: string; computerName: string }): Promise<number> {
  assertTerminal();
  const stdin = process.stdin;
  const stdout = process.stdout;
  const socket = await connectSocket(config);
  const sessionId = session.id;
  let cursor: number | null = null;
  let ackTo = 0;
  let ackSent = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const sendAck = () => {
    ackTimer = undefined;
    if (ackTo <= ackSent) return;
    ackSent = ackTo;
    socket.emit("terminal.ack", { sessionId, offset: ackTo });
  };

  socket.on("terminal.output", (m: TTerminalOutput) => {
    if (m.sessionId !== sessionId) return;
    const part = unwrittenPart(cursor, m.offset, Buffer.from(m.data));
    if (!part) return;
    const { end } = part;
    cursor = end;
    stdout.write(part.data, () => {
      ackTo = Math.max(ackTo, end);
      ackTimer ??= setTimeout(sendAck, ACK_INTERVAL_MS);
    });
  });
  socket.on("terminal.notice", (m: TTerminalNotice) => m.sessionId === sessionId && stdout.write(noticeLine(m.text)));

  const r = (await socket.timeout(30_000).emitWithAck("terminal.attach", { sessionId, from: null }).catch(() => ({ ok: false, error: "The console did not answer the attach request within 30 s." }))) as TAttachAck;
  if (!r.ok) {
    socket.close();
    throw new CliError(`Cannot attach to ${session.name} on ${session.computerName}: ${r.error}`, EXIT.someFailed);
  }

  return new Promise<number>((resolve) => {
    const decoder = new StringDecoder("utf8");
    let typed = "";
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      flushTimer = undefined;
      const data = typed;
      typed = "";
      for (let i = 0; i < data.length; i += INPUT_CHUNK) socket.emit("terminal.input", { sessionId, data: data.slice(i, i + INPUT_CHUNK) });
    };
    const resize = () => socket.emit("terminal.resize", { sessionId, cols: clamp(stdout.columns, 10, 1000, 80), rows: clamp(stdout.rows, 2, 500, 24) });

    let finished = false;
    const finish = async (code: number, message: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(flushTimer);
      if (typed && code === EXIT.ok) flush();
      clearTimeout(ackTimer);
      sendAck();
      stdin.off("data", onData);
      stdout.off("resize", resize);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      // The console confirms once what this terminal showed is acked on the agent (bounded wait).
      if (socket.connected) await socket.timeout(5_000).emitWithAck("terminal.detach", { sessionId }).catch(() => undefined);
      socket.close();
      process.stderr.write(`\r\n${message}\n`);
      resolve(code);
    };
    const onData = (chunk: Buffer) => {
      const at = chunk.indexOf(DETACH_KEY);
      const text = decoder.write(at < 0 ? chunk : chunk.subarray(0, at));
      if (text) {
        typed += text;
        flushTimer ??= setTimeout(flush, INPUT_GATHER_MS);
      }
      if (at >= 0) {
        finish(EXIT.ok, `Detached from ${session.name} on ${session.computerName}. It stays Opened and attached to you: attach again with baton connect-session --id ${sessionId} --attach, or baton disconnect-session --id ${sessionId}.`);
      }
    };

    socket.on("terminal.closed", (m: { sessionId: string; reason: string }) => m.sessionId === sessionId && finish(EXIT.someFailed, `The terminal of ${session.name} closed: ${m.reason}`));
    socket.on("auth.refused", (m: { message: string }) => finish(EXIT.auth, `The console closed the terminal: ${m.message}`));
    socket.on("disconnect", (reason) => finish(EXIT.server, `Lost the connection to the console (${reason}). The session stays as it is; attach again with baton connect-session --id ${sessionId} --attach.`));

    process.stderr.write(`Attached to ${session.name} on ${session.computerName}. Detach: Ctrl-] (the session stays Opened).\r\n`);
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
    stdout.on("resize", resize);
    resize();
  });
}
