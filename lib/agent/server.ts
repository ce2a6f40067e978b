import crypto from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import type { z } from "zod";
import {
  AGENT_HEADERS,
  AGENT_MAX_BODY_BYTES,
  AGENT_STREAM_PATH,
  ZActingUser,
  ZConfigurationUpdate,
  ZDisconnectRequest,
  ZAckRequest,
  ZInputRequest,
  ZOutputQuery,
  ZListSessionsQuery,
  ZNewSessionRequest,
  ZReceiveRequest,
  ZWatchRequest,
  ZJoinRequest,
  ZLeaveRequest,
  ZConnectRequest,
  ZRemoveRequest,
  ZResizeRequest,
  ZRunRequest,
  decodeUtf8Strict,
  DuplicateParameterError,
  parseQueryStrict,
  type TActingUser,
  type THealthResponse,
  type TLeftoverReport,
} from "../protocol";
import { AgentError } from "./errors";
import type { Logger } from "./logger";
import type { SessionManager } from "./session-manager";
import { StreamHub } from "./stream-hub";

export type AgentServerOptions = {
  name: string;
  version: string;
  /** The token requests must present; during a rotation also the previous one (see setTokens). */
  token: string;
  log: Logger;
  manager: SessionManager;
  heartbeatMs: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Session processes of a previous run ended at start (reported in health). */
  leftovers?: TLeftoverReport | null;
};

export type AgentServer = {
  server: http.Server;
  hub: StreamHub;
  /**
   * Replaces the accepted tokens (the current one first, optionally the previous one while the
   * console switches). Open streams were authenticated when they opened and stay open: sessions
   * attached through them notice nothing.
   */
  setTokens(tokens: readonly string[]): void;
  /** Serves another certificate to connections that open from now on (a rotation); open ones keep theirs. */
  setTls(tls: { cert: Buffer; key: Buffer }): void;
  close(): Promise<void>;
};

/** Compares tokens in constant time (hashing first makes the lengths equal). */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash("sha256").update(presented).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** True when the presented token is one of the accepted ones (each compared in constant time, all of them every time). */
function tokenAccepted(presented: string | null | undefined, accepted: readonly string[]): boolean {
  if (!presented) return false;
  let ok = false;
  for (const t of accepted) ok = tokenMatches(presented, t) || ok;
  return ok;
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h || !h.startsWith("Bearer ")) return null;
  return h.slice(7).trim();
}

export function createAgentServer(opts: AgentServerOptions): AgentServer {
  const startedOn = new Date();
  let accepted: readonly string[] = [opts.token];
  const hub = new StreamHub({ log: opts.log, manager: opts.manager, agentName: opts.name, version: opts.version, heartbeatMs: opts.heartbeatMs, leftovers: opts.leftovers });
  opts.manager.attachStreams(hub);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    route(req, res)
      .then((result) => send(res, result.status, result.body))
      .catch((err: unknown) => {
        if (err instanceof AgentError) {
          // Do not keep reading an oversized body on a kept-alive connection.
          if (err.code === "PAYLOAD_TOO_LARGE") res.shouldKeepAlive = false;
          send(res, err.status, err.toBody());
          opts.log.info({ method: req.method, path: pathOf(req), code: err.code }, "request refused");
          return;
        }
        opts.log.error({ err, method: req.method, path: pathOf(req) }, "request failed");
        send(res, 500, new AgentError("INTERNAL", "Internal error in the agent host.").toBody());
      })
      .finally(() => {
        opts.log.debug({ method: req.method, path: pathOf(req), status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, "request");
      });
  };

  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 30_000;

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) !== AGENT_STREAM_PATH) return rejectUpgrade(socket, 404, "NOT_FOUND", "No such stream endpoint.");
    const token = bearer(req);
    if (!tokenAccepted(token, accepted)) {
      opts.log.warn({ remote: req.socket.remoteAddress }, "stream refused: bad token");
      return rejectUpgrade(socket, 401, "UNAUTHORIZED", "Missing or wrong agent token.");
    }
    hub.handleUpgrade(req, socket, head);
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<{ status: number; body: unknown }> {
    const token = bearer(req);
    if (!tokenAccepted(token, accepted)) {
      throw new AgentError("UNAUTHORIZED", "Missing or wrong agent token.");
    }
    const url = new URL(req.url ?? "/", "http://agent");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = req.method ?? "GET";
    if (parts[0] !== "v1") throw new AgentError("NOT_FOUND", `No such endpoint: ${method} ${url.pathname}.`);
    const [, resource, ref, action, ...extra] = parts;
    if (extra.length) throw new AgentError("NOT_FOUND", `No such endpoint: ${method} ${url.pathname}.`);
    const m = opts.manager;

    if (resource === "health" && !ref) {
      allow(method, ["GET"]);
      await drain(req);
      // Benchmarks ask for a collection first so the figure is live memory, not garbage.
      if (url.searchParams.get("gc") === "1" && typeof globalThis.gc === "function") globalThis.gc();
      const mem = process.memoryUsage();
      const body: THealthResponse = {
        ok: true,
        name: opts.name,
        version: opts.version,
        startedOn: startedOn.toISOString(),
        uptimeSec: Math.round(process.uptime()),
        sessions: m.counts(),
        streams: hub.size,
        memory: { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
        retainedOutput: m.retainedOutput(),
        leftovers: opts.leftovers ?? null,
      };
      return { status: 200, body };
    }

    if (resource === "configurations") {
      if (action) throw new AgentError("NOT_FOUND", `No such endpoint: ${method} ${url.pathname}.`);
      if (!ref) {
        allow(method, ["GET"]);
        await drain(req);
        return { status: 200, body: { configurations: m.listConfigurations() } };
      }
      const name = decodeRef(ref);
      if (method === "GET") {
        await drain(req);
        return { status: 200, body: { configuration: m.getConfiguration(name) } };
      }
      allow(method, ["GET", "PATCH"]);
      const actor = actingUser(req);
      const patch = await body(req, ZConfigurationUpdate);
      return { status: 200, body: { configuration: m.updateConfiguration(actor, name, patch) } };
    }

    if (resource !== "sessions") throw new AgentError("NOT_FOUND", `No such endpoint: ${method} ${url.pathname}.`);
    const actor = actingUser(req);
    const streamId = streamOf(req);

    if (!ref) {
      if (method === "GET") {
        await drain(req);
        const query = parse(ZListSessionsQuery, queryOf(req), "query");
        return { status: 200, body: { sessions: m.list(actor, query) } };
      }
      allow(method, ["GET", "POST"]);
      const req2 = await body(req, ZNewSessionRequest);
      return { status: 201, body: { session: await m.create(actor, streamId, req2) } };
    }

    const sessionRef = decodeRef(ref);
    if (action === "output") {
      allow(method, ["GET"]);
      await drain(req);
      const query = parse(ZOutputQuery, queryOf(req), "query");
      return { status: 200, body: m.readOutput(actor, sessionRef, query) };
    }
    if (!action) {
      if (method === "GET") {
        await drain(req);
        return { status: 200, body: { session: m.get(actor, sessionRef) } };
      }
      allow(method, ["GET", "DELETE"]);
      const r = await body(req, ZRemoveRequest);
      return { status: 200, body: { session: m.remove(actor, sessionRef, r.force ?? url.searchParams.get("force") === "1") } };
    }

    allow(method, ["POST"]);
    switch (action) {
      case "run":
        return { status: 200, body: m.run(actor, sessionRef, await body(req, ZRunRequest)) };
      case "disconnect":
        return { status: 200, body: { session: m.disconnect(actor, sessionRef, await body(req, ZDisconnectRequest)) } };
      case "connect":
        return { status: 200, body: { session: m.connect(actor, streamId, sessionRef, await body(req, ZConnectRequest)) } };
      case "receive":
        await body(req, ZReceiveRequest);
        return { status: 200, body: m.receive(actor, streamId, sessionRef) };
      case "input":
        return { status: 200, body: { session: m.input(actor, sessionRef, (await body(req, ZInputRequest)).data) } };
      case "ack":
        return { status: 200, body: m.ack(actor, sessionRef, await body(req, ZAckRequest)) };
      case "redraw":
        await body(req, ZReceiveRequest);
        return { status: 200, body: m.redraw(actor, sessionRef) };
      case "watch":
        await body(req, ZWatchRequest);
        return { status: 200, body: m.watch(actor, streamId, sessionRef) };
      case "join":
        return { status: 200, body: m.join(actor, sessionRef, await body(req, ZJoinRequest)) };
      case "leave":
        return { status: 200, body: m.leave(actor, sessionRef, await body(req, ZLeaveRequest)) };
      case "unwatch":
        await body(req, ZWatchRequest);
        return { status: 200, body: m.unwatch(actor, streamId, sessionRef) };
      case "resize":
        return { status: 200, body: { session: m.resize(actor, sessionRef, await body(req, ZResizeRequest)) } };
      default:
        throw new AgentError("NOT_FOUND", `No such endpoint: ${method} ${url.pathname}.`);
    }
  }

  return {
    server,
    hub,
    setTokens: (tokens) => {
      if (!tokens.length || tokens.some((t) => t.length < 16)) throw new Error("every agent token must be at least 16 characters");
      accepted = [...tokens];
    },
    setTls: (tls) => {
      if (!(server instanceof https.Server)) throw new Error("this agent serves plain HTTP; start it with --tls-cert and --tls-key to serve TLS");
      server.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    close: () =>
      new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0];
}

function queryOf(req: IncomingMessage): Record<string, string> {
  const q = req.url?.indexOf("?") ?? -1;
  try {
    return parseQueryStrict(q === -1 ? "" : req.url!.slice(q));
  } catch (err) {
    if (err instanceof DuplicateParameterError) throw new AgentError("VALIDATION_FAILED", err.message);
    throw new AgentError("INVALID_UTF8", (err as Error).message);
  }
}

function decodeRef(ref: string): string {
  try {
    return decodeURIComponent(ref);
  } catch {
    throw new AgentError("VALIDATION_FAILED", "The path is not valid percent-encoding.");
  }
}

function allow(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) throw new AgentError("METHOD_NOT_ALLOWED", `Method ${method} is not allowed here; use ${allowed.join(" or ")}.`);
}

function actingUser(req: IncomingMessage): TActingUser {
  const id = req.headers[AGENT_HEADERS.userId];
  if (typeof id !== "string" || id.length === 0) {
    throw new AgentError("USER_REQUIRED", `Header ${AGENT_HEADERS.userId} is required: state which user the console acts for.`);
  }
  // Node reads header bytes as Latin-1; anything beyond ASCII here was not percent-encoded UTF-8.
  for (const h of [AGENT_HEADERS.userId, AGENT_HEADERS.userName, AGENT_HEADERS.userRoles]) {
    const v = req.headers[h];
    if (typeof v === "string" && /[^\x20-\x7e]/.test(v)) {
      throw new AgentError("VALIDATION_FAILED", `Header ${h} must be printable ASCII (percent-encode names as UTF-8).`);
    }
  }
  let name: string = id;
  const rawName = req.headers[AGENT_HEADERS.userName];
  if (typeof rawName === "string" && rawName.length > 0) {
    try {
      name = decodeURIComponent(rawName);
    } catch {
      throw new AgentError("VALIDATION_FAILED", `Header ${AGENT_HEADERS.userName} must be percent-encoded UTF-8.`);
    }
  }
  const rawRoles = req.headers[AGENT_HEADERS.userRoles];
  const roles = typeof rawRoles === "string" && rawRoles.trim() ? rawRoles.split(",").map((r) => r.trim()).filter(Boolean) : [];
  return parse(ZActingUser, { id, name, roles }, "acting user");
}

function streamOf(req: IncomingMessage): string | null {
  const v = req.headers[AGENT_HEADERS.stream];
  return typeof v === "string" && v.length > 0 ? v : null;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first?.path.length ? ` at ${first.path.join(".")}` : "";
    throw new AgentError("VALIDATION_FAILED", `Invalid ${what}${where}: ${first?.message ?? "invalid"}.`, {
      issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })),
    });
  }
  return r.data;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > AGENT_MAX_BODY_BYTES) {
    req.resume();
    throw new AgentError("PAYLOAD_TOO_LARGE", `The request body is larger than ${AGENT_MAX_BODY_BYTES} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > AGENT_MAX_BODY_BYTES) {
      req.resume();
      throw new AgentError("PAYLOAD_TOO_LARGE", `The request body is larger than ${AGENT_MAX_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  await readBody(req);
}

async function body<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
  const raw = await readBody(req);
  let value: unknown = {};
  if (raw.length > 0) {
    // Buffer#toString would turn bytes that are not UTF-8 into U+FFFD and accept the result.
    let text: string;
    try {
      text = decodeUtf8Strict(raw);
    } catch (err) {
      throw new AgentError("INVALID_UTF8", `${(err as Error).message} Send JSON encoded as UTF-8.`);
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new AgentError("MALFORMED_JSON", "The request body is not valid JSON.");
    }
  }
  return parse(schema, value, "request body");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const text = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
