import { cluster } from "@/lib/cluster/cluster";

export type TRedisCheck = { name: "redis"; ok: boolean; detail: string };

/**
 * For /readyz: an instance of several (REDIS_URL) is not ready while Redis does not answer,
 * since it could neither fan events out nor prove which computers it ingests. Null when the
 * console runs alone (nothing to check).
 */
export async function redisReadiness(timeoutMs = 1_000): Promise<TRedisCheck | null> {
  const c = cluster();
  if (!c) return null;
  const started = performance.now();
  try {
    const pong = await Promise.race([
      c.redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { name: "redis", ok: pong === "PONG", detail: `${pong} in ${Math.round(performance.now() - started)} ms` };
  } catch (err) {
    return { name: "redis", ok: false, detail: `Redis did not answer: ${(err as Error).message}` };
  }
}
