import type { ServerResponse } from "node:http";
import { appendAuditEvent } from "@/lib/audit/append";
import { tokenFromCookieHeader, userForToken } from "@/lib/auth/session-store";
import { logger } from "@/lib/logger";
import type { TOriginVerdict, TRequestFacts } from "@/lib/http/origins";

export const ORIGIN_REFUSED_ACTION = "security.origin-refused";

// A hostile page can repeat a refused request as fast as the browser lets it. Each distinct
// (origin, actor, channel) is audited once per window; repeats inside the window are counted
// and the count goes into the next event for that key. Past MAX_PER_WINDOW distinct keys in a
// window (forged Origin headers from a script) refusals are counted only, and the count is
// reported with the next audited one.
const WINDOW_MS = 60_000;
const MAX_PER_WINDOW = 30;

type TState = { windowStart: number; audited: number; overflow: number; keys: Map<string, { at: number; repeats: number }> };
const g = globalThis as typeof globalThis & { __batonOriginRefusals?: TState };
const state = (): TState => (g.__batonOriginRefusals ??= { windowStart: 0, audited: 0, overflow: 0, keys: new Map() });

/** Forgets the aggregation state (tests). */
export function resetOriginRefusals(): void {
  g.__batonOriginRefusals = undefined;
}

export type TOriginChannel = "http" | "socket.io";

/**
 * Audits a refused request, attributed to the user its cookie names (if any). Returns whether an
 * event was written (false: counted into a later one). Never throws: a refusal stands even if
 * the audit store is down.
 */
export async function auditOriginRefusal(input: {
  facts: TRequestFacts;
  verdict: Extract<TOriginVerdict, { ok: false }>;
  cookieHeader: string | undefined;
  channel: TOriginChannel;
  address: string;
  now?: number;
}): Promise<boolean> {
  const { facts, verdict, channel, address } = input;
  const now = input.now ?? Date.now();
  try {
    const user = await userForToken(tokenFromCookieHeader(input.cookieHeader));
    const s = state();
    if (now - s.windowStart >= WINDOW_MS) Object.assign(s, { windowStart: now, audited: 0 });
    const key = `${verdict.origin}|${user?.id ?? `anon@${address}`}|${channel}`;
    const seen = s.keys.get(key);
    if (seen && now - seen.at < WINDOW_MS) {
      seen.repeats++;
      return false;
    }
    // Expired keys' repeat counts are not lost: they go into the next event's overflow count.
    for (const [k, v] of s.keys) {
      if (now - v.at < WINDOW_MS) continue;
      s.overflow += v.repeats;
      s.keys.delete(k);
    }
    if (s.audited >= MAX_PER_WINDOW) {
      s.overflow++;
      return false;
    }
    s.audited++;
    s.keys.set(key, { at: now, repeats: 0 });
    const overflow = s.overflow;
    s.overflow = 0;
    await appendAuditEvent({
      actor: user ? { id: user.id, name: user.username, role: user.role } : { id: null, name: "(anonymous)", role: "none" },
      action: ORIGIN_REFUSED_ACTION,
      outcome: "refused",
      error: `FORBIDDEN_ORIGIN: ${verdict.reason}`,
      params: {
        origin: verdict.origin,
        channel,
        method: facts.method,
        path: facts.path,
        address,
        ...(overflow ? { earlierRefusalsNotAudited: overflow } : {}),
        note: `repeats of this origin by this actor within ${WINDOW_MS / 1000} s are not audited separately`,
      },
    });
    return true;
  } catch (err) {
    logger.error({ err, origin: verdict.origin, path: facts.path }, "auditing an origin refusal failed");
    return false;
  }
}

/** The 403 an HTTP request from a foreign origin gets: JSON with a code and a message. */
export function sendOriginRefused(res: ServerResponse, message: string): void {
  res.writeHead(403, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(JSON.stringify({ error: { code: "FORBIDDEN_ORIGIN", message } }));
}
