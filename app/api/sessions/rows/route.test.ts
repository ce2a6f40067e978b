import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// POST /api/sessions/rows, the rows read the sessions page patches its lists with: the route
// handler called in-process against a real SQLite store, as each role. The signed-in user comes
// from the session cookie in the console; here the test says who is signed in.
prepareTestDatabase();
let signedIn: TSessionUser | null = null;
vi.mock("@/lib/auth/current-user", () => ({ getCurrentUser: async () => signedIn }));
const { db } = await import("@/lib/db/client");
const { POST } = await import("@/app/api/sessions/rows/route");

const user = (role: TSessionUser["role"], username: string): TSessionUser => ({ id: `u-${username}`, username, displayName: username, role, team: null });
const tech = user("technician", "tech");
const otherTech = user("technician", "other");
const manager = user("manager", "boss");
const auditor = user("auditor", "aud");

const id = (n: number) => `rowsread${String(n).padStart(14, "0")}`;
const TECH_IDS = [1, 2, 3].map(id);
const OTHER_ID = id(4);
const HANDED_ID = id(5);

async function rows(as: TSessionUser | null, body: unknown, raw?: string) {
  signedIn = as;
  const response = await POST(new Request("http://127.0.0.1/api/sessions/rows", { method: "POST", headers: { "content-type": "application/json" }, body: raw ?? JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as { rows?: { id: string; state: string; ownerName: string; name: string; maxIdleTimeoutSec: number | null }[]; error?: { code: string; message: string } } };
}

beforeAll(async () => {
  for (const u of [tech, otherTech, manager]) await db.user.create({ data: { id: u.id, username: u.username, displayName: u.username, role: u.role, passwordHash: "unused" } });
  await db.computer.create({ data: { id: "rows-computer", name: "Server01", address: "http://127.0.0.1:9", tokenCiphertext: "x" } });
  await db.sessionConfiguration.create({ data: {
      computerId: "rows-computer",
      name: "Microsoft.PowerShell",
      idleTimeoutMs: 7_200_000,
      maxIdleTimeoutMs: 43_200_000,
      outputBufferingMode: "Block",
      outputBufferBytes: 1_048_576,
      maxShells: 25,
      maxShellsPerUser: 25,
      maxConcurrentUsers: 5,
      maxMemoryPerShellMB: 1024,
      maxProcessesPerShell: 15,
    },
  });
  const session = (sid: string, n: number, owner: TSessionUser, state: "Opened" | "Disconnected") => ({
    id: sid,
    computerId: "rows-computer",
    computerName: "Server01",
    agentSessionId: n,
    instanceId: `rows-instance-${n}`,
    name: `Task${n}`,
    nameKey: `task${n}`,
    configurationName: "Microsoft.PowerShell",
    ownerId: owner.id,
    ownerName: owner.username,
    holderId: state === "Opened" ? owner.id : null,
    holderName: state === "Opened" ? owner.username : null,
    state,
    idleTimeoutSec: 7200,
    outputBufferingMode: "Block" as const,
  });
  await db.session.createMany({
    data: [...TECH_IDS.map((sid, i) => session(sid, i + 1, tech, i === 0 ? "Disconnected" : "Opened")), session(OTHER_ID, 4, otherTech, "Opened"), session(HANDED_ID, 5, otherTech, "Disconnected")],
  });
  await db.handoff.create({ data: { sessionId: HANDED_ID, fromUserId: otherTech.id, toUserId: tech.id, reason: "night shift" } });
});

describe("POST /api/sessions/rows", () => {
  it("returns the named sessions' list rows, as the viewer sees them", async () => {
    const { status, body } = await rows(tech, { ids: [...TECH_IDS, TECH_IDS[0]] });
    expect(status).toBe(200);
    expect(body.rows!.map((r) => [r.id, r.name, r.state]).sort()).toEqual([
      [TECH_IDS[0], "Task1", "Disconnected"],
      [TECH_IDS[1], "Task2", "Opened"],
      [TECH_IDS[2], "Task3", "Opened"],
    ]);
    // The same fields as the list's rows, the configuration's limit included.
    expect(body.rows![0].maxIdleTimeoutSec).toBe(43_200);
  });

  it("gives a technician nothing of someone else's session, but a session handed to them", async () => {
    const { status, body } = await rows(tech, { ids: [OTHER_ID, HANDED_ID, TECH_IDS[1]] });
    expect(status).toBe(200);
    expect(body.rows!.map((r) => r.id).sort()).toEqual([HANDED_ID, TECH_IDS[1]].sort());
    expect(JSON.stringify(body)).not.toContain(OTHER_ID);
    // Attached to its owner: a manager sees it, and reads it Disconnected (attached to someone else).
    const managers = await rows(manager, { ids: [OTHER_ID] });
    expect(managers.body.rows!.map((r) => [r.id, r.state, r.ownerName])).toEqual([[OTHER_ID, "Disconnected", "other"]]);
  });

  it("leaves out ids of sessions that do not exist", async () => {
    const { status, body } = await rows(manager, { ids: [id(99), TECH_IDS[0]] });
    expect(status).toBe(200);
    expect(body.rows!.map((r) => r.id)).toEqual([TECH_IDS[0]]);
  });

  it("refuses malformed requests with a message naming the problem", async () => {
    const cases: [unknown, RegExp][] = [
      [{ ids: ["../../etc/passwd"] }, /^ids\.0: must be a session id/],
      [{ ids: [TECH_IDS[0], "BAD ID"] }, /^ids\.1: must be a session id/],
      [{ ids: [] }, /^ids: must name at least one session/],
      [{ ids: TECH_IDS[0] }, /^ids: /],
      [{}, /^ids: /],
      [{ ids: Array.from({ length: 501 }, (_, i) => id(1000 + i)) }, /^ids: must name at most 500 sessions; ask again for the rest$/],
    ];
    for (const [body, message] of cases) {
      const answer = await rows(manager, body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(message) });
    }
    const notJson = await rows(manager, undefined, "ids=a,b");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error!.message).toMatch(/must be JSON/);
    // 500 is allowed.
    expect((await rows(manager, { ids: Array.from({ length: 500 }, (_, i) => id(1000 + i)) })).status).toBe(200);
  });

  it("answers only signed-in users of the sessions area", async () => {
    expect((await rows(null, { ids: TECH_IDS })).status).toBe(401);
    const refused = await rows(auditor, { ids: TECH_IDS });
    expect(refused.status).toBe(403);
    expect(refused.body.rows).toBeUndefined();
  });
});
