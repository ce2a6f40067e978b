import { afterAll, beforeAll, describe } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { startAgent, type RunningAgent } from "@/lib/agent/test/helpers";
import { createRaceCases, type TConvergeContext } from "@/lib/fleet/converge-cases";

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
