/**
 * The reference for `bench:agent`'s stream throughput: the least a PTY -> WebSocket relay of the
 * agent's architecture can do. One process, node-pty, `ws`, live output coalesced exactly like
 * the agent (a frame at 64 KiB or 3 ms after its first byte, with the same 25-byte header), the
 * shell paused while more than 512 KiB are in flight. No markers, no retention, no sessions.
 *
 * Run by the bench (`node --import tsx scripts/bench/agent-relay.ts`); prints `relay listening
 * <port>`. A client connects to `ws://127.0.0.1:<port>/?cmd=<shell command>` and receives the
 * command's output; the shell ends when the client disconnects.
 */
import crypto from "node:crypto";
import http from "node:http";
import os from "node:os";
import * as pty from "node-pty";
import { WebSocketServer } from "ws";
import { OUTPUT_FRAME_HEADER_BYTES, uuidToBytes, writeOutputHeader } from "../../lib/protocol";

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 3;
const HIGH_WATER = 512 * 1024;
const LOW_WATER = 128 * 1024;

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on("connection", (ws, req) => {
  const cmd = new URL(req.url ?? "/", "http://relay").searchParams.get("cmd");
  if (!cmd) return ws.close(1008, "cmd is missing");
  const id = uuidToBytes(crypto.randomUUID());
  const shell = pty.spawn("/bin/bash", ["--noprofile", "--norc", "-c", cmd], {
    name: "xterm-256color",
    cols: 120,
    rows: 30,
    cwd: os.homedir(),
    encoding: null,
    env: process.env as Record<string, string>,
  });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = 0;
  let inflight = 0;
  let paused = false;
  const flush = () => {
    if (pendingBytes === 0) return;
    const frame = Buffer.allocUnsafe(OUTPUT_FRAME_HEADER_BYTES + pendingBytes);
    writeOutputHeader(frame, id, offset);
    let at = OUTPUT_FRAME_HEADER_BYTES;
    for (const p of pending) at += p.copy(frame, at);
    const size = pendingBytes;
    offset += size;
    pending = [];
    pendingBytes = 0;
    inflight += size;
    ws.send(frame, { binary: true }, () => {
      inflight -= size;
      if (paused && inflight < LOW_WATER) {
        paused = false;
        shell.resume();
      }
    });
    if (!paused && inflight > HIGH_WATER) {
      paused = true;
      shell.pause();
    }
  };
  shell.onData((d) => {
    const chunk = d as unknown as Buffer;
    if (pendingBytes === 0) setTimeout(flush, FLUSH_MS);
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= FLUSH_BYTES) flush();
  });
  shell.onExit(() => flush());
  ws.on("close", () => shell.kill());
});

server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  console.log(`relay listening ${typeof addr === "object" && addr ? addr.port : 0}`);
});
process.on("SIGTERM", () => process.exit(0));
