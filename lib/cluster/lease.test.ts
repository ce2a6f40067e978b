import { EventEmitter, once } from "node:events";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TCluster, TRedis } from "@/lib/cluster/cluster";
import { testRedis } from "@/lib/testing/shared-services";

// The ingest lease on the run's real Redis: one holder per computer among instances, a clean
// stop hands it over at once, and a holder that stops renewing loses it to the next instance.
process.env.LOG_LEVEL = "silent";
const { IngestLease } = await import("@/lib/cluster/lease");

let clients: TRedis[] = [];
let prefix: string;

beforeAll(async () => {
  const r = testRedis("lease");
  prefix = r.keyPrefix;
  clients = await Promise.all([0, 1, 2].map(async () => {
    const c = createClient({ url: r.url }) as TRedis;
    await c.connect();
    return c;
  }));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

const instance = (i: number): TCluster => ({ instanceId: `instance-${i}`, prefix, redis: clients[i] });

/** A lease whose acquisitions are awaitable events. */
function lease(i: number, computerId: string) {
  const events = new EventEmitter();
  const l = new IngestLease(instance(i), computerId, () => events.emit("acquired"), () => events.emit("lost"));
  return { l, acquired: () => once(events, "acquired"), lost: () => once(events, "lost") };
}

describe("ingest lease", () => {
  it("is held by one instance at a time and handed over when its holder stops", async () => {
    const first = lease(0, "c1");
    const second = lease(1, "c1");
    first.l.start();
    await first.acquired();
    second.l.start();
    // The second instance's first try has been answered when the key still names the first.
    expect(await clients[2].get(`${prefix}:lease:computer:c1`)).toBe("instance-0");
    expect(first.l.isHeld).toBe(true);
    expect(second.l.isHeld).toBe(false);
    const takenOver = second.acquired();
    await first.l.stop();
    expect(first.l.isHeld).toBe(false);
    await takenOver;
    expect(second.l.isHeld).toBe(true);
    expect(await clients[2].get(`${prefix}:lease:computer:c1`)).toBe("instance-1");
    await second.l.stop();
  }, 20_000);

  it("lapses when its holder stops renewing (a killed instance), and another takes it", async () => {
    const key = `${prefix}:lease:computer:c2`;
    // What a SIGKILLed holder leaves: its claim with a short time left, renewed by nobody.
    await clients[2].set(key, "instance-dead", { expiration: { type: "PX", value: 300 } });
    const next = lease(1, "c2");
    next.l.start();
    await next.acquired();
    expect(await clients[2].get(key)).toBe("instance-1");
    await next.l.stop();
    expect(await clients[2].get(key)).toBeNull();
  }, 20_000);

  it("a holder whose key another instance took notices and stops ingesting", async () => {
    const key = `${prefix}:lease:computer:c3`;
    const holder = lease(0, "c3");
    holder.l.start();
    await holder.acquired();
    const lost = holder.lost();
    await clients[2].set(key, "instance-other");
    await lost;
    expect(holder.l.isHeld).toBe(false);
    expect(await clients[2].get(key)).toBe("instance-other");
    await holder.l.stop();
    // Its polite release never deletes another instance's lease.
    expect(await clients[2].get(key)).toBe("instance-other");
  }, 20_000);
});
