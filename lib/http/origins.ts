// Which requests the console accepts by where they come from. A browser attaches the session
// cookie to requests that other origins of the same site (another port, a sibling subdomain)
// make, so the cookie alone does not prove that the console's own page sent a request. The
// browser's Origin and Sec-Fetch-Site headers do: pages cannot forge them.
//
// Pure: no Next, no database. Used by server.ts for every HTTP request and by socket.io's
// handshake check.

export type TRequestFacts = {
  method: string;
  path: string;
  origin?: string;
  /** Sec-Fetch-Site: same-origin | same-site | cross-site | none. */
  fetchSite?: string;
  /** Sec-Fetch-Mode: navigate | cors | no-cors | same-origin | websocket. */
  fetchMode?: string;
};

export type TOriginVerdict = { ok: true } | { ok: false; origin: string; reason: string };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The rule, in order:
 * 1. An Origin header must be one of `allowed` (any method; "null" never is).
 * 2. No Origin but Sec-Fetch-Site: a browser. same-origin and none (typed address, bookmark) pass;
 *    from another origin only a top-level GET navigation passes (a link into the console; frames
 *    are refused by frame-ancestors), never a fetch, a script/img load or a state change.
 * 3. Neither header: not a browser (curl, the CLI, tests). Browsers send Origin on every POST and
 *    WebSocket and Sec-Fetch-Site on every request, so a request without both cannot come from
 *    a page in a victim's browser; it carries a cookie only if its sender already holds it.
 */
export function judgeOrigin(facts: TRequestFacts, allowed: readonly string[]): TOriginVerdict {
  const { origin, fetchSite, fetchMode } = facts;
  const method = facts.method.toUpperCase();
  if (origin !== undefined) {
    if (allowed.includes(origin)) return { ok: true };
    return { ok: false, origin, reason: `origin ${origin} is not one of the console's origins` };
  }
  if (fetchSite === undefined || fetchSite === "same-origin" || fetchSite === "none") return { ok: true };
  if (SAFE_METHODS.has(method) && fetchMode === "navigate") return { ok: true };
  return { ok: false, origin: `(${fetchSite}, no Origin header)`, reason: `a ${fetchSite} ${method} request without an Origin header is not accepted` };
}

type THeaders = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The facts of a Node request (server.ts, socket.io's handshake). */
export function requestFacts(req: { method?: string; url?: string; headers: THeaders }): TRequestFacts {
  return {
    method: req.method ?? "GET",
    path: (req.url ?? "/").split("?")[0].slice(0, 200),
    origin: one(req.headers.origin),
    fetchSite: one(req.headers["sec-fetch-site"]),
    fetchMode: one(req.headers["sec-fetch-mode"]),
  };
}

export function refusalMessage(verdict: Extract<TOriginVerdict, { ok: false }>, allowed: readonly string[]): string {
  return `Refused: ${verdict.reason}. Baton accepts requests only from its own pages (${allowed.join(", ")}).`;
}

/** Header name server.ts sets to the client's address (any value a client sent is replaced). */
export const CLIENT_ADDRESS_HEADER = "x-baton-client-address";

/**
 * The client's address: the socket's peer, or behind a trusted reverse proxy the last
 * X-Forwarded-For entry (the one the proxy appended; earlier ones are the client's to forge).
 */
export function clientAddress(req: { headers: THeaders; socket: { remoteAddress?: string } }, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (!trustProxy) return normaliseAddress(peer);
  const forwarded = one(req.headers["x-forwarded-for"]);
  const last = forwarded?.split(",").map((s) => s.trim()).filter(Boolean).at(-1);
  return normaliseAddress(last ?? peer);
}

const normaliseAddress = (a: string) => (a.startsWith("::ffff:") ? a.slice(7) : a).slice(0, 64);
