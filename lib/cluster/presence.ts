import { z } from "zod";
import { cluster, CLAIM_TTL_MS, RENEW_EVERY_MS, type TCluster } from "@/lib/cluster/cluster";
import { ROLES } from "@/lib/auth/roles";
import { logger } from "@/lib/logger";
import type { TPresence } from "@/lib/realtime/terminal-protocol";
import { mergePresence, presenceOf, watchedSessionIds, watcherCount, watchersOf } from "@/lib/realtime/watchers";

// Who watches a session, across console instances. Each instance writes its own watching
// terminals of a session to one key (renewed while it lives, so a dead instance's watchers fade
// out after CLAIM_TTL_MS) and lists its key in the session's set; readers merge every instance's.
// Alone (no REDIS_URL) these are the process's own lists, as before.

const ZTerminal = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  since: z.string(),
  state: z.enum(["waiting", "watching", "asking", "joined"]),
  socketId: z.string(),
  reason: z.string().max(500).optional(),
});
type TTerminal = z.infer<typeof ZTerminal>;

const instancesKey = (c: TCluster, sessionId: string) => `${c.prefix}:presence:${sessionId}`;
const terminalsKey = (c: TCluster, sessionId: string, instanceId: string) => `${c.prefix}:presence:${sessionId}:${instanceId}`;

function localTerminals(sessionId: string): TTerminal[] {
  return watchersOf(sessionId).map((w) => ({ userId: w.userId, name: w.name, role: w.role, since: w.since.toISOString(), state: w.state, socketId: w.socketId, ...(w.joinReason ? { reason: w.joinReason } : {}) }));
}

/** Writes this instance's watching terminals of a session (call after any change to them). */
export async function syncPresence(sessionId: string): Promise<void> {
  const c = cluster();
  if (!c) return;
  const mine = localTerminals(sessionId);
  const key = terminalsKey(c, sessionId, c.instanceId);
  if (mine.length === 0) {
    await c.redis.multi().del(key).sRem(instancesKey(c, sessionId), c.instanceId).exec();
    return;
  }
  await c.redis
    .multi()
    .set(key, JSON.stringify(mine), { expiration: { type: "PX", value: CLAIM_TTL_MS } })
    .sAdd(instancesKey(c, sessionId), c.instanceId)
    .pExpire(instancesKey(c, sessionId), 24 * 3600 * 1000)
    .exec();
}

async function allTerminals(c: TCluster, sessionId: string): Promise<TTerminal[]> {
  const instances = await c.redis.sMembers(instancesKey(c, sessionId));
  const others = instances.filter((i) => i !== c.instanceId);
  if (others.length === 0) return localTerminals(sessionId);
  const values = await c.redis.mGet(others.map((i) => terminalsKey(c, sessionId, i)));
  const gone = others.filter((_, i) => values[i] === null);
  if (gone.length) await c.redis.sRem(instancesKey(c, sessionId), gone);
  const remote = values.flatMap((v) => (v ? z.array(ZTerminal).parse(JSON.parse(v)) : []));
  return [...localTerminals(sessionId), ...remote];
}

/** Who watches a session on every instance, one line per user. */
export async function presenceAcross(sessionId: string): Promise<TPresence[]> {
  const c = cluster();
  if (!c) return presenceOf(sessionId);
  try {
    return mergePresence((await allTerminals(c, sessionId)).map(({ socketId: _, ...p }) => p));
  } catch (err) {
    logger.warn({ err: (err as Error).message, sessionId }, "presence of other instances unavailable; showing this instance's");
    return presenceOf(sessionId);
  }
}

/** Watching terminals of a session on every instance, other than `exceptSocket` (the watchers limit counts these). */
export async function watcherCountAcross(sessionId: string, exceptSocket?: string): Promise<number> {
  const c = cluster();
  if (!c) return watcherCount(sessionId, exceptSocket);
  return (await allTerminals(c, sessionId)).filter((t) => t.socketId !== exceptSocket).length;
}

/** server.ts: keeps this instance's presence keys alive. Returns a stop function. */
export function startPresenceRenewal(): () => void {
  const timer = setInterval(() => {
    for (const id of watchedSessionIds()) void syncPresence(id).catch((err) => logger.warn({ err: (err as Error).message }, "presence renewal failed"));
  }, RENEW_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
