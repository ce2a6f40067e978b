import crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { STREAM_MAX_CLIENT_FRAME_BYTES, ZStreamClientMessage, type TLeftoverReport, type TStreamServerMessage } from "../protocol";
import type { Logger } from "./logger";
import type { SessionManager, StreamPort } from "./session-manager";

/** Unsent bytes on a stream above which watch frames to it are dropped rather than queued. */
const WATCH_BACKLOG_BYTES = 1024 * 1024;
/** Output frames go out as built (header and data in one buffer), without a copy by `ws`. */
const BINARY = { binary: true } as const;

/** `acks`: the client acknowledges what its viewers were shown (`?acks=1` on the upgrade). */
type Stream = { id: string; ws: WebSocket; alive: boolean; acks: boolean };

/**
 * The authenticated WebSocket streams (normally one per console instance). Text frames carry
 * JSON events to every stream; binary frames carry a session's output to the stream it is
 * attached through. A stream that closes or misses a heartbeat disconnects its sessions.
 */
export class StreamHub implements StreamPort {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: STREAM_MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false });
  private readonly streams = new Map<string, Stream>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly opts: {
      log: Logger;
      manager: SessionManager;
      agentName: string;
      version: string;
      heartbeatMs: number;
      leftovers?: TLeftoverReport | null;
    },
  ) {
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  acks(streamId: string): boolean {
    return this.streams.get(streamId)?.acks ?? false;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  broadcast(msg: TStreamServerMessage): void {
    if (this.streams.size === 0) return;
    const text = JSON.stringify(msg);
    for (const s of this.streams.values()) if (s.ws.readyState === s.ws.OPEN) s.ws.send(text);
  }

  deliver(streamId: string, frame: Buffer, done: () => void): boolean {
    const s = this.streams.get(streamId);
    if (!s || s.ws.readyState !== s.ws.OPEN) return false;
    s.ws.send(frame, BINARY, done);
    return true;
  }

  /**
   * Watch frames are never waited for: a stream with more than WATCH_BACKLOG_BYTES still unsent
   * skips them (its console reads the missing bytes by offset), so a slow watcher cannot hold
   * the shell or the holder back.
   */
  deliverToWatcher(streamId: string, frame: Buffer): boolean {
    const s = this.streams.get(streamId);
    if (!s || s.ws.readyState !== s.ws.OPEN || s.ws.bufferedAmount > WATCH_BACKLOG_BYTES) return false;
    s.ws.send(frame, BINARY);
    return true;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.streams.values()) s.ws.close(1001, "agent shutting down");
    this.wss.close();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const acks = new URL(req.url ?? "/", "http://agent").searchParams.get("acks") === "1";
    const stream: Stream = { id: crypto.randomUUID(), ws, alive: true, acks };
    this.streams.set(stream.id, stream);
    const log = this.opts.log.child({ streamId: stream.id });
    log.info({ remote: req.socket.remoteAddress, acks }, "stream opened");
    ws.on("pong", () => {
      stream.alive = true;
    });
    ws.on("message", (raw, isBinary) => {
      stream.alive = true;
      if (isBinary) return this.sendError(ws, "VALIDATION_FAILED", "Binary frames from clients are not part of the protocol.");
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString());
      } catch {
        return this.sendError(ws, "MALFORMED_JSON", "The frame is not valid JSON.");
      }
      const msg = ZStreamClientMessage.safeParse(parsed);
      if (!msg.success) return this.sendError(ws, "VALIDATION_FAILED", "Unknown or invalid stream message.");
      switch (msg.data.type) {
        case "ping":
          ws.send(JSON.stringify({ type: "pong", t: msg.data.t }));
          return;
      }
    });
    ws.on("error", (err) => log.warn({ err: err.message }, "stream error"));
    ws.on("close", (code) => {
      this.streams.delete(stream.id);
      log.info({ code }, "stream closed");
      this.opts.manager.streamLost(stream.id, code === 1000 ? "closed by the console" : `closed with code ${code}`);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        streamId: stream.id,
        agent: { name: this.opts.agentName, version: this.opts.version },
        heartbeatMs: this.opts.heartbeatMs,
        sessions: this.opts.manager.allSnapshots(),
        leftovers: this.opts.leftovers ?? null,
      } satisfies TStreamServerMessage),
    );
  }

  private beat(): void {
    for (const s of this.streams.values()) {
      if (!s.alive) {
        this.opts.log.warn({ streamId: s.id }, "stream missed its heartbeat; terminating");
        this.streams.delete(s.id);
        s.ws.terminate();
        this.opts.manager.streamLost(s.id, "heartbeat missed");
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }

  private sendError(ws: WebSocket, code: "MALFORMED_JSON" | "VALIDATION_FAILED", message: string): void {
    ws.send(JSON.stringify({ type: "error", error: { code, message } } satisfies TStreamServerMessage));
  }
}
