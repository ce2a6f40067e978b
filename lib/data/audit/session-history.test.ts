import { beforeAll, describe, expect, it } from "vitest";
import type { TSessionUser } from "@/lib/auth/session-store";
import { prepareTestDatabase } from "@/lib/testing/test-db";

prepareTestDatabase();
const { db } = await import("@/lib/db/client");
const { appendAuditEvent } = await import("@/lib/audit/append");
const { getSessionTimeline } = await import("@/lib/data/audit/get-session-timeline");
const { getSessionTranscript } = await import("@/lib/data/audit/get-session-transcript");
const { searchCommands } = await import("@/lib/data/audit/search-commands");

const auditor: TSessionUser = { id: "u-aud", username: "audrey", displayName: "Audrey", role: "auditor", team: null };
const helpdesk: TSessionUser = { id: "u-hd", username: "hana", displayName: "Hana", role: "helpdesk", team: null };

const S1 = "cm00000000000000000000s01";
const S2 = "cm00000000000000000000s02";
const GONE = "cm00000000000000000000s99";
const at = (min: number) => new Date(Date.parse("2026-11-24T08:00:00.000Z") + min * 60_000);

beforeAll(async () => {
  await db.user.create({ data: { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", passwordHash: "x" } });
  await db.user.create({ data: { id: "u-mgr", username: "boss", displayName: "Boss", role: "manager", passwordHash: "x" } });
  const srv = await db.computer.create({ data: { name: "Srv1", address: "http://127.0.0.1:1", tokenCiphertext: "x" } });
  const base = { computerId: srv.id, computerName: srv.name, configurationName: "Microsoft.PowerShell", ownerId: "u-tech", ownerName: "tech", idleTimeoutSec: 7200, outputBufferingMode: "Block" as const };
  await db.session.create({ data: { ...base, id: S1, agentSessionId: 1, instanceId: "i1", name: "ITTask", nameKey: "ittask", state: "Disconnected", createdAt: at(0) } });
  await db.session.create({ data: { ...base, id: S2, agentSessionId: 2, instanceId: "i2", name: "Other", nameKey: "other", state: "Opened", createdAt: at(0) } });

  const target = { computerName: "Srv1", sessionId: S1, sessionName: "ITTask" };
  await appendAuditEvent({ actor: { id: "u-tech", name: "tech", role: "technician" }, action: "session.new", outcome: "ok", ...target });
  await appendAuditEvent({ actor: { id: "u-tech", name: "tech", role: "technician" }, action: "session.handoff", outcome: "ok", params: { to: "boss" }, ...target });
  await appendAuditEvent({ actor: { id: null, name: "gone", role: "technician" }, action: "session.remove", outcome: "ok", computerName: "Srv9", sessionId: GONE, sessionName: "Vanished" });

  await db.sessionEvent.createMany({
    data: [
      { sessionId: S1, at: at(1), change: "created", state: "Opened" },
      { sessionId: S1, at: at(10), change: "disconnected", state: "Disconnected", reason: "by tech" },
    ],
  });
  for (let i = 0; i < 7; i++) {
    await db.sessionCommand.create({
      data: {
        id: `cmd${String(i).padStart(22, "0")}`,
        sessionId: i < 6 ? S1 : S2,
        actorId: i % 2 ? "u-mgr" : "u-tech",
        command: i === 3 ? "MKDIR C:\\Logs" : i === 6 ? "mkdir /tmp/x" : `Get-Item step${i}`,
        startedAt: i === 2 ? at(5) : at(2 + i), // commands 2 and 3 start in the same millisecond
        endedAt: at(2 + i + 0.5),
        exitCode: i === 4 ? 1 : 0,
        output: i === 5 ? "colour \u001b[31mred\u001b[0m\n" : `out ${i}\n`,
        outputTruncated: i === 5,
      },
    });
  }
  await db.handoff.create({ data: { sessionId: S1, fromUserId: "u-tech", toUserId: "u-mgr", reason: "INC-42 needs a manager", createdAt: at(11), acceptedAt: at(12), endedAt: at(20) } });
});

describe("getSessionTimeline", () => {
  it("merges audit events, state changes, commands and handoffs in time order", async () => {
    const t = await getSessionTimeline({ actor: auditor, sessionId: S1 });
    expect(t.session).toMatchObject({ name: "ITTask", computerName: "Srv1", ownerName: "tech", state: "Disconnected" });
    expect(t.counts).toEqual({ audit: 2, state: 2, command: 6, handoff: 1 });
    const times = t.entries.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    const seq = t.entries.filter((e) => e.kind !== "audit").map((e) => (e.kind === "state" ? e.change : e.kind === "command" ? e.command : `handoff ${e.step}`));
    expect(seq).toEqual([
      "created",
      "Get-Item step0",
      "Get-Item step1",
      "Get-Item step2",
      "MKDIR C:\\Logs",
      "Get-Item step4",
      "Get-Item step5",
      "disconnected",
      "handoff handed",
      "handoff accepted",
      "handoff ended",
    ]);
    expect(t.entries.find((e) => e.kind === "command" && e.exitCode === 1)).toMatchObject({ command: "Get-Item step4", actorName: "tech" });
    expect(t.entries.find((e) => e.kind === "handoff")).toMatchObject({ fromName: "tech", toName: "boss", reason: "INC-42 needs a manager" });
  });

  it("still shows a session whose row is gone, from what the trail recorded", async () => {
    const t = await getSessionTimeline({ actor: auditor, sessionId: GONE });
    expect(t.session).toBeNull();
    expect(t.recorded).toEqual({ name: "Vanished", computerName: "Srv9" });
    expect(t.entries).toEqual([expect.objectContaining({ kind: "audit", action: "session.remove" })]);
  });

  it("does not exist for an unknown id, and is not for help desk", async () => {
    await expect(getSessionTimeline({ actor: auditor, sessionId: "cm00000000000000000000zzz" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getSessionTimeline({ actor: auditor, sessionId: "../../etc" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getSessionTimeline({ actor: helpdesk, sessionId: S1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("getSessionTranscript", () => {
  it("pages the commands with their output oldest first, ties included, without gaps", async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await getSessionTranscript({ actor: auditor, sessionId: S1, after, take: 2 });
      seen.push(...page.commands.map((c) => c.command));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(["Get-Item step0", "Get-Item step1", "Get-Item step2", "MKDIR C:\\Logs", "Get-Item step4", "Get-Item step5"]);
    const last = await getSessionTranscript({ actor: auditor, sessionId: S1, after: "cmd0000000000000000000004" });
    expect(last.commands).toEqual([expect.objectContaining({ command: "Get-Item step5", output: "colour \u001b[31mred\u001b[0m\n", outputTruncated: true, actorName: "boss" })]);
  });

  it("refuses a cursor from another session", async () => {
    await expect(getSessionTranscript({ actor: auditor, sessionId: S1, after: "cmd0000000000000000000006" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

describe("searchCommands", () => {
  it("finds commands containing the text in any case, newest first, with their session", async () => {
    const page = await searchCommands({ actor: auditor, query: { q: "mkdir", size: 25 } });
    expect(page.rows.map((r) => [r.command, r.sessionName, r.computerName])).toEqual([
      ["mkdir /tmp/x", "Other", "Srv1"],
      ["MKDIR C:\\Logs", "ITTask", "Srv1"],
    ]);
    expect(page).toMatchObject({ older: null, newer: null });
  });

  it("pages every command with keyset cursors both ways, ties included, without gaps", async () => {
    const order = [6, 5, 4, 3, 2, 1, 0].map((i) => `cmd${String(i).padStart(22, "0")}`); // 2 and 3 share a start: id breaks the tie
    const pages: string[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await searchCommands({ actor: auditor, query: { before, size: 2 } });
      pages.push(page.rows.map((r) => r.id));
      if (!page.older) break;
      before = page.older;
    }
    expect(pages.flat()).toEqual(order);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);

    const back: string[][] = [];
    let after = pages[pages.length - 1][0];
    for (;;) {
      const page = await searchCommands({ actor: auditor, query: { after, size: 2 } });
      back.unshift(page.rows.map((r) => r.id));
      if (!page.newer) break;
      after = page.newer;
    }
    expect(back).toEqual(pages.slice(0, -1));
  });

  it("is for auditors and admins only", async () => {
    await expect(searchCommands({ actor: helpdesk, query: { size: 25 } })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
