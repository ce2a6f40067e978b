import { EventEmitter } from "node:events";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import WebSocket from "ws";
import type { z } from "zod";
import {
  AGENT_HEADERS,
  AGENT_STREAM_PATH,
  decodeOutputFrame,
  ZAckResponse,
  decodeUtf8Strict,
  ZAgentErrorBody,
  ZOutputResponse,
  ZRedrawResponse,
  ZWatchResponse,
  ZJoinResponse,
  ZConfigurationListResponse,
  ZConfigurationResponse,
  ZHealthResponse,
  ZReceiveResponse,
  ZRunResponse,
  ZSessionListResponse,
  ZSessionResponse,
  ZStreamServerMessage,
  type TAgentErrorCode,
  type TConfigurationUpdate,
  type TConfigurationView,
  type TDisconnectRequest,
  type THealthResponse,
  type TListSessionsQuery,
  type TAckResponse,
  type TWatchResponse,
  type TJoinResponse,
  type TNewSessionRequest,
  type TOutputResponse,
  type TOutputFrame,
  type TReceiveResponse,
  type TRunRequest,
  type TRunResponse,
  type TSessionView,
  type TStreamServerMessage,
} from "../protocol";

/**
 * Typed client for one agent host's HTTP API and stream (lib/protocol/README.md).
 * Plain Node: no Next, no Prisma, so the console, the tests and the bench share it.
 */

export type AgentClientOptions = {
  /** e.g. "http://127.0.0.1:5985" or "https://srv1.example:5986" */
  baseUrl: string;
  token: string;
  /** Extra CA for an agent with a self-signed certificate. */
  ca?: string | Buffer;
  /**
   * SHA-256 fingerprint ("AB:CD:…", see normaliseFingerprint) the agent's certificate must have.
   * With it, an https agent is accepted on that certificate alone (self-signed works, no CA or
   * host name check); any other certificate ends the connection before a byte of a request (and
   * so the token) is sent. Without it, https checks the certificate against the CAs Node trusts.
   */
  tlsFingerprint?: string | null;
  /** The computer's name, for error messages. */
  name?: string;
  timeoutMs?: number;
};

/** The user the console acts for; sent on every session request. */
export type ActAs = { id: string; name: string; roles?: string[] };

export type StreamOpt = { streamId?: string | null };

export class AgentRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: TAgentErrorCode | "NETWORK" | "BAD_RESPONSE" | "CERTIFICATE_MISMATCH",
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AgentRequestError";
  }
}

export type ReceiveResult = Omit<TReceiveResponse, "output"> & { output: Buffer };
export type OutputResult = Omit<TOutputResponse, "output"> & { output: Buffer };

/** `invalidUtf8`: the answer's bytes were not UTF-8 (then `body` is undefined, never a guess). */
export type RawResponse = { status: number; body: unknown; invalidUtf8?: true };

/** The agent presented a certificate other than the pinned one; nothing was sent to it. */
export class CertificateMismatchError extends Error {
  readonly code = "CERTIFICATE_MISMATCH";
  constructor(
    readonly computer: string,
    readonly expected: string,
    readonly presented: string | null,
  ) {
    super(
      `${computer}'s agent presented a TLS certificate with SHA-256 fingerprint ${presented ?? "(none)"}, but its registration pins ${expected}; ` +
        "the console sent it nothing. If the agent's certificate was replaced on purpose, register the computer again with the new fingerprint.",
    );
    this.name = "CertificateMismatchError";
  }
}

export class AgentClient {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(private readonly opts: AgentClientOptions) {
    this.url = new URL(opts.baseUrl);
    if (opts.tlsFingerprint && this.url.protocol !== "https:") throw new Error(`a certificate fingerprint needs an https:// address, not ${opts.baseUrl}`);
    this.agent =
      this.url.protocol !== "https:"
        ? new http.Agent({ keepAlive: true, maxSockets: 64 })
        : opts.tlsFingerprint
          ? new PinnedAgent(() => this.pin(), { keepAlive: true, maxSockets: 64 })
          : new https.Agent({ keepAlive: true, maxSockets: 64, ca: opts.ca });
  }

  /** Presents another token from the next request on (a rotation); an open stream is not affected. */
  setToken(token: string): void {
    this.opts.token = token;
  }

  /**
   * Pins another certificate from the next connection on (the agent's certificate was rotated).
   * Connections already open were checked when they opened and stay, the stream included.
   * Only between two fingerprints: pinning cannot be switched on or off on a live client.
   */
  setTlsFingerprint(fingerprint: string): void {
    if (!this.opts.tlsFingerprint) throw new Error("this client does not pin a certificate; make a new one");
    this.opts.tlsFingerprint = fingerprint;
    // Idle keep-alive sockets were checked against the old pin: the next request opens a checked one.
    for (const sockets of Object.values(this.agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
  }

  private pin(): { fingerprint: string; computer: string } {
    return { fingerprint: this.opts.tlsFingerprint!, computer: this.opts.name ?? this.url.host };
  }

  // --- agent and configurations ---

  async health(): Promise<THealthResponse> {
    return this.call("GET", "/v1/health", { schema: ZHealthResponse });
  }

  async listConfigurations(): Promise<TConfigurationView[]> {
    return (await this.call("GET", "/v1/configurations", { schema: ZConfigurationListResponse })).configurations;
  }

  async getConfiguration(name: string): Promise<TConfigurationView> {
    return (await this.call("GET", `/v1/configurations/${enc(name)}`, { schema: ZConfigurationResponse })).configuration;
  }

  /** Set-PSSessionConfiguration; the acting user needs the admin role. */
  async updateConfiguration(as: ActAs, name: string, patch: TConfigurationUpdate): Promise<TConfigurationView> {
    return (await this.call("PATCH", `/v1/configurations/${enc(name)}`, { as, body: patch, schema: ZConfigurationResponse })).configuration;
  }

  // --- sessions ---

  async newSession(as: ActAs, body: TNewSessionRequest, opt: StreamOpt = {}): Promise<TSessionView> {
    return (await this.call("POST", "/v1/sessions", { as, body, streamId: opt.streamId, schema: ZSessionResponse })).session;
  }

  async listSessions(as: ActAs, filter: Partial<TListSessionsQuery> = {}): Promise<TSessionView[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return (await this.call("GET", `/v1/sessions${qs ? `?${qs}` : ""}`, { as, schema: ZSessionListResponse })).sessions;
  }

  /** `ref` is the session's id or instance id. */
  async getSession(as: ActAs, ref: string | number): Promise<TSessionView> {
    return (await this.call("GET", `/v1/sessions/${enc(ref)}`, { as, schema: ZSessionResponse })).session;
  }

  async run(as: ActAs, ref: string | number, body: TRunRequest): Promise<TRunResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/run`, { as, body, schema: ZRunResponse });
  }

  async disconnect(as: ActAs, ref: string | number, body: TDisconnectRequest = {}): Promise<TSessionView> {
    return (await this.call("POST", `/v1/sessions/${enc(ref)}/disconnect`, { as, body, schema: ZSessionResponse })).session;
  }

  /** `force`: take it over from another user (manager/admin). */
  async connect(as: ActAs, ref: string | number, opt: StreamOpt & { force?: boolean } = {}): Promise<TSessionView> {
    const body = opt.force ? { force: true } : {};
    return (await this.call("POST", `/v1/sessions/${enc(ref)}/connect`, { as, body, streamId: opt.streamId, schema: ZSessionResponse })).session;
  }

  async receive(as: ActAs, ref: string | number, opt: StreamOpt = {}): Promise<ReceiveResult> {
    const r = await this.call("POST", `/v1/sessions/${enc(ref)}/receive`, { as, body: {}, streamId: opt.streamId, schema: ZReceiveResponse });
    return { ...r, output: Buffer.from(r.output, "base64") };
  }

  /** Retained output from `from` (replay); changes nothing. */
  async readOutput(as: ActAs, ref: string | number, from: number, max?: number): Promise<OutputResult> {
    const q = `from=${Math.max(0, Math.floor(from))}${max ? `&max=${Math.floor(max)}` : ""}`;
    const r = await this.call("GET", `/v1/sessions/${enc(ref)}/output?${q}`, { as, schema: ZOutputResponse });
    return { ...r, output: Buffer.from(r.output, "base64") };
  }

  /** The holder was shown every byte before `offset`. */
  async ack(as: ActAs, ref: string | number, offset: number): Promise<TAckResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/ack`, { as, body: { offset }, schema: ZAckResponse });
  }

  /** Asks a full-screen program to draw its screen again. */
  async redraw(as: ActAs, ref: string | number): Promise<boolean> {
    return (await this.call("POST", `/v1/sessions/${enc(ref)}/redraw`, { as, body: {}, schema: ZRedrawResponse })).redrawn;
  }

  /** The stream gets the session's live output read-only (watchers); nothing of the session changes. */
  async watch(as: ActAs, ref: string | number, opt: { streamId: string }): Promise<TWatchResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/watch`, { as, body: {}, streamId: opt.streamId, schema: ZWatchResponse });
  }

  async unwatch(as: ActAs, ref: string | number, opt: { streamId: string }): Promise<TWatchResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/unwatch`, { as, body: {}, streamId: opt.streamId, schema: ZWatchResponse });
  }

  /** The holder (`as`) lets `user` type alongside them. */
  async join(as: ActAs, ref: string | number, user: { id: string; name: string }): Promise<TJoinResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/join`, { as, body: { user }, schema: ZJoinResponse });
  }

  /** The holder ends `userId`'s join, or that user leaves. */
  async leave(as: ActAs, ref: string | number, userId: string): Promise<TJoinResponse> {
    return this.call("POST", `/v1/sessions/${enc(ref)}/leave`, { as, body: { userId }, schema: ZJoinResponse });
  }

  async remove(as: ActAs, ref: string | number, opt: { force?: boolean } = {}): Promise<TSessionView> {
    return (await this.call("DELETE", `/v1/sessions/${enc(ref)}`, { as, body: opt.force ? { force: true } : {}, schema: ZSessionResponse })).session;
  }

  async input(as: ActAs, ref: string | number, data: string): Promise<TSessionView> {
    return (await this.call("POST", `/v1/sessions/${enc(ref)}/input`, { as, body: { data }, schema: ZSessionResponse })).session;
  }

  async resize(as: ActAs, ref: string | number, size: { cols: number; rows: number }): Promise<TSessionView> {
    return (await this.call("POST", `/v1/sessions/${enc(ref)}/resize`, { as, body: size, schema: ZSessionResponse })).session;
  }

  /**
   * Opens the stream; resolves after the agent's hello (which lists every session). `acks`: this
   * client acknowledges what its viewers were shown (`ack`); until then output stays unseen.
   */
  openStream(opts: { autoPong?: boolean; acks?: boolean } = {}): Promise<AgentStream> {
    const wsUrl = new URL(AGENT_STREAM_PATH, this.url);
    if (opts.acks) wsUrl.searchParams.set("acks", "1");
    wsUrl.protocol = this.url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(wsUrl, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      ca: this.opts.ca,
      // The upgrade request carries the token: with a pin, it goes out only on a checked connection.
      ...(this.opts.tlsFingerprint ? { createConnection: pinnedConnect(this.pin()) } : {}),
      perMessageDeflate: false,
      autoPong: opts.autoPong ?? true,
      maxPayload: 64 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      const stream = new AgentStream(ws);
      const onHello = () => {
        ws.off("error", onError);
        ws.off("unexpected-response", onUnexpected);
        resolve(stream);
      };
      const onError = (err: Error) =>
        reject(err instanceof CertificateMismatchError ? mismatchError(err) : new AgentRequestError(0, "NETWORK", `stream failed: ${err.message}`));
      const onUnexpected = (_req: http.ClientRequest, res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => reject(toError(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))));
      };
      stream.once("hello", onHello);
      ws.once("error", onError);
      ws.once("unexpected-response", onUnexpected);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Low-level request (used by tests for malformed input). */
  raw(method: string, path: string, opts: { as?: ActAs; body?: string | Buffer; streamId?: string | null; token?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? this.opts.token}`, ...(opts.headers ?? {}) };
    if (opts.as) {
      headers[AGENT_HEADERS.userId] = opts.as.id;
      headers[AGENT_HEADERS.userName] = encodeURIComponent(opts.as.name);
      if (opts.as.roles?.length) headers[AGENT_HEADERS.userRoles] = opts.as.roles.join(",");
    }
    if (opts.streamId) headers[AGENT_HEADERS.stream] = opts.streamId;
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, "utf8");
    if (body) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(body.length);
    }
    const mod = this.url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method,
          headers,
          agent: this.agent,
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            let text: string;
            try {
              text = decodeUtf8Strict(Buffer.concat(chunks));
            } catch {
              return resolve({ status: res.statusCode ?? 0, body: undefined, invalidUtf8: true });
            }
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // Not JSON; hand back the text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", (err) =>
        reject(err instanceof CertificateMismatchError ? mismatchError(err) : new AgentRequestError(0, "NETWORK", `${method} ${path}: ${err.message}`)),
      );
      req.end(body);
    });
  }

  private async call<T extends z.ZodType>(
    method: string,
    path: string,
    opts: { as?: ActAs; body?: unknown; streamId?: string | null; schema: T },
  ): Promise<z.infer<T>> {
    const res = await this.raw(method, path, {
      as: opts.as,
      streamId: opts.streamId,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    if (res.invalidUtf8) throw new AgentRequestError(res.status, "BAD_RESPONSE", `${method} ${path}: the agent answered with bytes that are not UTF-8`);
    if (res.status >= 400) throw toError(res.status, res.body);
    const parsed = opts.schema.safeParse(res.body);
    if (!parsed.success) throw new AgentRequestError(res.status, "BAD_RESPONSE", `${method} ${path}: unexpected response shape`);
    return parsed.data;
  }
}

function mismatchError(err: CertificateMismatchError): AgentRequestError {
  return new AgentRequestError(0, "CERTIFICATE_MISMATCH", err.message, { computer: err.computer, expected: err.expected, presented: err.presented });
}

type TCreateConnection = (options: http.ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void) => undefined;

/**
 * A `createConnection` (the callback form http and ws accept) that hands over a TLS socket only
 * once the certificate the agent presented has the pinned fingerprint. Node's CA check is off
 * for it (a self-signed certificate is the point) and the pin replaces it: the fingerprint names
 * exactly one certificate, whatever signed it or whatever host name it carries.
 */
function pinnedConnect(pin: { fingerprint: string; computer: string }): TCreateConnection {
  return (options, cb) => {
    const host = options.hostname ?? options.host ?? "localhost";
    const socket = tls.connect({
      ...(options as tls.ConnectionOptions),
      host,
      // The request's path is not a socket path (tls.connect would take it for one).
      path: undefined,
      servername: (options as tls.ConnectionOptions).servername || (net.isIP(host) ? undefined : host),
      rejectUnauthorized: false,
    });
    const done = cb ?? (() => undefined);
    const onError = (err: Error) => done(err, socket);
    socket.once("error", onError);
    // The request's own timeout starts once it has the socket: until then this one bounds the handshake.
    if (options.timeout) socket.setTimeout(options.timeout, () => socket.destroy(new Error(`TLS handshake not done within ${options.timeout} ms`)));
    socket.once("secureConnect", () => {
      socket.off("error", onError);
      socket.setTimeout(0);
      const presented = socket.getPeerCertificate()?.fingerprint256 || null;
      if (presented !== pin.fingerprint) {
        socket.destroy();
        return done(new CertificateMismatchError(pin.computer, pin.fingerprint, presented), socket);
      }
      done(null, socket);
    });
    return undefined;
  };
}

/** An https.Agent whose connections go through pinnedConnect (keep-alive and pooling as usual). */
class PinnedAgent extends https.Agent {
  constructor(
    private readonly currentPin: () => { fingerprint: string; computer: string },
    options: https.AgentOptions,
  ) {
    // No TLS session resumption: every connection shows its certificate and is checked.
    super({ ...options, maxCachedSessions: 0 });
  }

  override createConnection(options: http.ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): undefined {
    return pinnedConnect(this.currentPin())(options, cb);
  }
}

function enc(ref: string | number): string {
  return encodeURIComponent(String(ref));
}

function toError(status: number, body: unknown): AgentRequestError {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      // keep the text
    }
  }
  const parsed = ZAgentErrorBody.safeParse(value);
  if (parsed.success) return new AgentRequestError(status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
  return new AgentRequestError(status, "BAD_RESPONSE", `agent answered ${status}`);
}

type StreamEvents = {
  hello: [Extract<TStreamServerMessage, { type: "hello" }>];
  message: [TStreamServerMessage];
  output: [TOutputFrame];
  close: [number, string];
};

/**
 * One open stream. Events: "hello", "message" (every JSON event), "output" (binary output
 * frames with session instanceId and byte offset), "close".
 */
export class AgentStream extends EventEmitter<StreamEvents> {
  id = "";
  /** The agent's greeting: stream id, heartbeat and every session at connect time. */
  hello: Extract<TStreamServerMessage, { type: "hello" }> | null = null;

  constructor(readonly ws: WebSocket) {
    super();
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        const frame = decodeOutputFrame(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
        if (frame) this.emit("output", frame);
        return;
      }
      const parsed = ZStreamServerMessage.safeParse(JSON.parse(data.toString()));
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === "hello") {
        this.id = msg.streamId;
        this.hello = msg;
        this.emit("hello", msg);
      }
      this.emit("message", msg);
    });
    ws.on("close", (code, reason) => this.emit("close", code, reason.toString()));
    ws.on("error", () => {
      // Surfaces as "close"; the console reconnects and reconciles from hello.
    });
  }

  ping(): void {
    this.ws.send(JSON.stringify({ type: "ping", t: Date.now() }));
  }

  /** Waits for the first JSON event that matches. */
  waitFor<M extends TStreamServerMessage>(pred: (m: TStreamServerMessage) => m is M, timeoutMs?: number): Promise<M>;
  waitFor(pred: (m: TStreamServerMessage) => boolean, timeoutMs?: number): Promise<TStreamServerMessage>;
  waitFor(pred: (m: TStreamServerMessage) => boolean, timeoutMs = 10_000): Promise<TStreamServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("message", on);
        reject(new Error(`stream: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (m: TStreamServerMessage) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.off("message", on);
        resolve(m);
      };
      this.on("message", on);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close(1000, "bye");
    });
  }

  /** Drops the connection without a closing handshake (what a crashed console looks like). */
  terminate(): void {
    this.ws.terminate();
  }
}
