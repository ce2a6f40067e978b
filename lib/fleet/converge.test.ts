import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, type RunningAgent } from "@/lib/agent/test/helpers";
import { createRaceCases, replayCases, type TConvergeContext } from "@/lib/fleet/converge-cases";

// Idempotent ingestion on SQLite (the PostgreSQL twin, with the race forced inside a
// transaction and a database outage, is converge-postgres.test.ts).
prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const ingest = await import("@/lib/fleet/ingest");

let agent: RunningAgent;
let c: TConvergeContext;

beforeAll(async () => {
  agent = await startAgent({ name: "Conv1", configurations: [{ name: "Microsoft.PowerShell" }] });
  const computer = await db.computer.create({ data: { name: "Conv1", address: agent.baseUrl, tokenCiphertext: "unused" } });
  c = { db, ingest, agent, stream: await agent.client.openStream(), computerId: computer.id };
}, 60_000);

afterAll(async () => {
  c?.stream.terminate();
  await agent?.stop();
});

describe("the create race on SQLite", () => createRaceCases(() => c));

describe("a retried agent event on SQLite", () => replayCases(() => c));

describe("which failures are retried", () => {
  it("retries a store that cannot be reached, not data the store refuses nor a bug", async () => {
    const { isStoreFailure } = await import("@/lib/fleet/computer-link");
    const { createDb } = await import("@/lib/db/client");
    // A PostgreSQL address nobody listens on: a free port, closed again.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const unreachable = createDb(`postgresql://baton:baton@127.0.0.1:${port}/none`);
    const down = await unreachable.user.count().catch((err: unknown) => err);
    await unreachable.$disconnect();
    expect(down).toBeInstanceOf(Error);
    expect(isStoreFailure(down)).toBe(true);

    await db.user.create({ data: { id: "u-dup", username: "dup", displayName: "Dup", role: "technician", passwordHash: "unused" } });
    const refused = await db.user.create({ data: { id: "u-dup2", username: "dup", displayName: "Dup", role: "technician", passwordHash: "unused" } }).catch((err: unknown) => err);
    expect((refused as { code?: string }).code).toBe("P2002");
    expect(isStoreFailure(refused)).toBe(false);
    expect(isStoreFailure(new TypeError("x is undefined"))).toBe(false);
  });
});
