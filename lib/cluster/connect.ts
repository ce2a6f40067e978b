import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import type { Server } from "socket.io";
import { CLAIM_TTL_MS, newInstanceId, setCluster, type TCluster, type TRedis } from "@/lib/cluster/cluster";
import { logger } from "@/lib/logger";

export type TClusterHandle = TCluster & { adapterClients: { pub: TRedis; sub: TRedis }; close: () => Promise<void> };

/**
 * server.ts only: connects to Redis (one command client, and the adapter's publish/subscribe
 * pair) and publishes the cluster on globalThis. Fails at start, naming REDIS_URL, when Redis
 * does not answer: an instance that cannot coordinate must not serve as if it were alone.
 */
export async function connectCluster({ url, prefix }: { url: string; prefix: string }): Promise<TClusterHandle> {
  const make = (role: string) => {
    const client = createClient({ url, socket: { connectTimeout: 5_000, reconnectStrategy: (n) => Math.min(2_000, 100 * 2 ** n) } }) as TRedis;
    client.on("error", (err: Error) => logger.warn({ err: err.message, role }, "redis connection error"));
    return client;
  };
  const redis = make("commands");
  const pub = make("adapter-pub");
  const sub = make("adapter-sub");
  try {
    await Promise.all([redis.connect(), pub.connect(), sub.connect()]);
  } catch (err) {
    await Promise.allSettled([redis, pub, sub].map((c) => c.destroy()));
    throw new Error(`REDIS_URL: Redis did not answer (${(err as Error).message})`);
  }
  const handle: TClusterHandle = {
    instanceId: newInstanceId(),
    prefix,
    redis,
    adapterClients: { pub, sub },
    close: async () => {
      setCluster(null);
      await Promise.allSettled([redis, pub, sub].map((c) => c.close()));
    },
  };
  setCluster(handle);
  logger.info({ instanceId: handle.instanceId, prefix, claimTtlMs: CLAIM_TTL_MS }, "joined the console cluster");
  return handle;
}

/** socket.io's Redis adapter: an emit to a room on any instance reaches that room's sockets on all of them. */
export function useRedisAdapter(io: Server, handle: TClusterHandle): void {
  const { pub, sub } = handle.adapterClients;
  io.adapter(createAdapter(pub, sub, { key: `${handle.prefix}:socket.io` }));
}
