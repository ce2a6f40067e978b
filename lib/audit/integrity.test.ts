import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";

// The attacker here can write the database (as its owner: the append-only triggers are dropped
// first) and can recompute SHA-256, but holds neither the HMAC key nor the signing key, which
// live outside the database. Every rewrite they can make must be caught, and named.
const url = prepareTestDatabase();
const checkpointDir = process.env.BATON_AUDIT_CHECKPOINT_DIR!;
const keyFile = process.env.BATON_AUDIT_KEY_FILE!;
const { appendAuditEvent, forgetAuditTail } = await import("@/lib/audit/append");
const { verifyAuditChain } = await import("@/lib/audit/verify");
const { writeAuditCheckpoint } = await import("@/lib/audit/checkpoint");
const { checkpointFileName, signCheckpoint } = await import("@/lib/audit/checkpoint-file");
const { eventHash, GENESIS_HASH } = await import("@/lib/audit/chain");
const { auditKeyring, auditKeyId, forgetAuditKeyring, publicKeyPem, readPublicKeys, rotateAuditKeyring } = await import("@/lib/audit/keys");
const { describeVerification } = await import("@/lib/audit/describe");

const actor = { id: null, name: "tester", role: "admin" };
const root = path.resolve(import.meta.dirname, "../..");

const raw = () => {
  const d = new Database(url.replace(/^file:/, ""));
  d.exec('DROP TRIGGER IF EXISTS "AuditEvent_no_update"; DROP TRIGGER IF EXISTS "AuditEvent_no_delete";');
  return d;
};

type TRow = Record<string, unknown> & { seq: number; at: string; hash: string; prevHash: string };
/** What an attacker without the key can do: recompute the SHA-256 chain from `fromSeq` on. */
function rehashFrom(d: Database.Database, fromSeq: number) {
  const rows = d.prepare('SELECT * FROM "AuditEvent" ORDER BY seq').all() as TRow[];
  let prev = GENESIS_HASH;
  const update = d.prepare('UPDATE "AuditEvent" SET "prevHash" = ?, "hash" = ? WHERE seq = ?');
  // Placeholders first: the unique prevHash/hash columns must not collide halfway through.
  d.prepare(`UPDATE "AuditEvent" SET "prevHash" = 'p' || seq, "hash" = 'h' || seq WHERE seq >= ?`).run(fromSeq);
  for (const r of rows) {
    if (r.seq >= fromSeq) {
      const hash = eventHash(prev, { ...(r as unknown as Parameters<typeof eventHash>[1]), at: new Date(r.at) });
      update.run(prev, hash, r.seq);
      prev = hash;
    } else prev = r.hash;
  }
}

async function append(n: number, from = 1) {
  for (let i = from; i < from + n; i++) await appendAuditEvent({ actor, action: `test.step${i}`, outcome: "ok", params: { i } });
}

/** An auditor's run: only the public key(s), no HMAC key. */
function auditorOptions() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-auditor-"));
  const files = [...auditKeyring().keys.values()].map((k) => {
    const f = path.join(dir, `audit-public-${k.id}.pem`);
    fs.writeFileSync(f, publicKeyPem(k.publicKey));
    return f;
  });
  return { files, options: { hmacKeys: null, trusted: readPublicKeys(files), checkpointDir } };
}

function runVerifyScript(args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(path.join(root, "node_modules/.bin/tsx"), ["scripts/audit-verify.ts", ...args], { cwd: root, env: { ...process.env }, encoding: "utf8" });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

const readCp = (index: number) => JSON.parse(fs.readFileSync(path.join(checkpointDir, checkpointFileName(index)), "utf8"));

beforeEach(async () => {
  const d = raw();
  d.exec('DELETE FROM "AuditEvent"');
  d.close();
  fs.rmSync(checkpointDir, { recursive: true, force: true });
  fs.rmSync(keyFile, { force: true });
  forgetAuditKeyring();
  forgetAuditTail();
  // Ten events, checkpoint 1 over #1-#5 and checkpoint 2 over #6-#10.
  await append(5);
  await writeAuditCheckpoint();
  await append(5, 6);
  await writeAuditCheckpoint();
});

describe("audit integrity: an intact trail", () => {
  it("verifies with the keyring and with only the public key, and says what anchors it", async () => {
    await append(2, 11);
    const full = await verifyAuditChain();
    expect(full).toMatchObject({ ok: true, count: 12, macsChecked: true, checkpoints: 2, lastCheckpoint: { index: 2, seq: 10 }, unanchored: 2, legacy: 0 });
    expect(describeVerification(full).details.join(" ")).toContain("2 events after the newest checkpoint are protected by the audit key (MAC) only");
    const auditor = await verifyAuditChain(auditorOptions().options);
    expect(auditor).toMatchObject({ ok: true, count: 12, macsChecked: false, checkpoints: 2 });
  });

  it("writes a checkpoint only when the trail grew, each linked to the one before", async () => {
    expect(await writeAuditCheckpoint()).toBeNull();
    expect(readCp(1)).toMatchObject({ index: 1, seq: 5, prev: null, legacyThrough: 0, keyId: auditKeyring().current.id });
    expect(readCp(2)).toMatchObject({ index: 2, seq: 10, prev: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("keeps old events and checkpoints verifiable after a key rotation", async () => {
    const before = auditKeyring().current.id;
    rotateAuditKeyring(keyFile);
    forgetAuditKeyring();
    expect(auditKeyring().current.id).not.toBe(before);
    await append(3, 11);
    const cp = await writeAuditCheckpoint();
    expect(cp?.keyId).toBe(auditKeyring().current.id);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, count: 13, checkpoints: 3 });
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({ ok: true, count: 13 });
    // An auditor given only the new public key cannot vouch for checkpoints signed with the old one.
    const { files } = auditorOptions();
    const onlyNew = files.filter((f) => f.includes(auditKeyring().current.id));
    expect(await verifyAuditChain({ hmacKeys: null, trusted: readPublicKeys(onlyNew), checkpointDir })).toMatchObject({
      ok: false,
      checkpoint: 1,
      reason: `checkpoint 1 is signed by key ${before}, which is not among the trusted public keys`,
    });
  });
});

describe("audit integrity: a rewritten trail", () => {
  it("an edited event, every later one re-hashed, is caught without the key by the checkpoint", async () => {
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 7`).run();
    rehashFrom(d, 7);
    d.close();
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({
      ok: false,
      brokenAt: 10,
      checkpoint: 2,
      reason: expect.stringMatching(/^the chain was re-hashed: event #10 does not match checkpoint 2 \(signed .+\); the change lies in events #6–#10$/),
    });
    // The key holder is told exactly which event.
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 7, reason: "event #7's MAC does not match: it was changed and re-hashed by someone without the audit key" });
  });

  it("an edit after the newest checkpoint is caught by the MAC (and only by it)", async () => {
    await append(2, 11);
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET actorName = 'someone-else' WHERE seq = 12`).run();
    rehashFrom(d, 12);
    d.close();
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 12, reason: expect.stringContaining("MAC does not match") });
    // Documented limit: without the key, the newest events are only as good as their links.
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({ ok: true, unanchored: 2 });
  });

  it("names the newest events cut off since a checkpoint", async () => {
    const d = raw();
    d.prepare(`DELETE FROM "AuditEvent" WHERE seq > 7`).run();
    d.close();
    const expected = {
      ok: false,
      brokenAt: 8,
      checkpoint: 2,
      reason: expect.stringMatching(/^the newest 3 events are missing since checkpoint 2: it covers the trail up to #10 \(signed .+\), which now ends at #7$/),
    };
    expect(await verifyAuditChain()).toMatchObject(expected);
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject(expected);
  });

  it("names reordered events, even re-hashed with their seq numbers swapped back into line", async () => {
    const d = raw();
    d.exec(`UPDATE "AuditEvent" SET seq = 100 WHERE seq = 4; UPDATE "AuditEvent" SET seq = 4 WHERE seq = 3; UPDATE "AuditEvent" SET seq = 3 WHERE seq = 100;`);
    rehashFrom(d, 3);
    d.close();
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({ ok: false, brokenAt: 5, checkpoint: 1, reason: expect.stringContaining("the chain was re-hashed: event #5 does not match checkpoint 1") });
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining("MAC does not match") });
  });

  it("names an event deleted in the middle, and a deletion hidden by renumbering and re-hashing", async () => {
    const d = raw();
    d.prepare(`DELETE FROM "AuditEvent" WHERE seq = 4`).run();
    d.close();
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({ ok: false, brokenAt: 4, reason: "event #4 is missing (next present is #5)" });

    const d2 = raw();
    for (let seq = 5; seq <= 10; seq++) d2.prepare(`UPDATE "AuditEvent" SET seq = ? WHERE seq = ?`).run(seq - 1, seq);
    rehashFrom(d2, 4);
    d2.close();
    // #5 is now what was #6: checkpoint 1 (over #5) no longer matches.
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({ ok: false, brokenAt: 5, checkpoint: 1, reason: expect.stringContaining("re-hashed") });
  });

  it("catches MACs stripped to pass events off as legacy", async () => {
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET "keyId" = NULL, mac = NULL`).run();
    d.close();
    const expected = { ok: false, brokenAt: 1, reason: "event #1 carries no MAC, but the signed checkpoints say every event after #0 has one: its MAC was stripped" };
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject(expected);
    expect(await verifyAuditChain()).toMatchObject(expected);
  });

  it("refuses to sign a trail rewritten since the last checkpoint", async () => {
    await append(2, 11);
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'error' WHERE seq = 11`).run();
    rehashFrom(d, 11);
    d.close();
    await expect(writeAuditCheckpoint()).rejects.toThrow("refusing to sign the trail: event #11's MAC does not match");
    expect(fs.existsSync(path.join(checkpointDir, checkpointFileName(3)))).toBe(false);
  });
});

describe("audit integrity: tampered checkpoints", () => {
  it("names a checkpoint whose content was changed after signing", async () => {
    const cp = readCp(2);
    fs.writeFileSync(path.join(checkpointDir, checkpointFileName(2)), JSON.stringify({ ...cp, seq: 9 }));
    const r = await verifyAuditChain(auditorOptions().options);
    expect(r).toMatchObject({ ok: false, brokenAt: null, checkpoint: 2, reason: "checkpoint 2's signature is invalid: it was altered or forged" });
    expect(describeVerification(r).headline).toBe("Checkpoints broken: checkpoint 2's signature is invalid: it was altered or forged");
  });

  it("does not trust a checkpoint signed with the attacker's own key", async () => {
    // Rewrite the trail, then sign a matching checkpoint with a key pair of one's own.
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 8`).run();
    rehashFrom(d, 8);
    const head = d.prepare(`SELECT hash FROM "AuditEvent" WHERE seq = 10`).get() as { hash: string };
    d.close();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const forged = signCheckpoint({ ...readCp(2), headHash: head.hash, keyId: auditKeyId(publicKey), signature: undefined } as never, privateKey);
    fs.writeFileSync(path.join(checkpointDir, checkpointFileName(2)), JSON.stringify(forged));
    expect(await verifyAuditChain(auditorOptions().options)).toMatchObject({
      ok: false,
      checkpoint: 2,
      reason: `checkpoint 2 is signed by key ${auditKeyId(publicKey)}, which is not among the trusted public keys`,
    });
  });

  it("names a checkpoint deleted from the middle of the directory", async () => {
    await append(1, 11);
    await writeAuditCheckpoint();
    fs.rmSync(path.join(checkpointDir, checkpointFileName(2)));
    expect(await verifyAuditChain()).toMatchObject({ ok: false, checkpoint: 2, reason: "checkpoint 2 is missing from the checkpoints directory" });
  });
});

describe("audit integrity: legacy events from before keyed auditing", () => {
  it("verify as unkeyed, and later events must carry a MAC", async () => {
    // A trail as it was before the upgrade: plain SHA-256, no key id, no MAC, no checkpoint.
    const d = raw();
    d.exec('DELETE FROM "AuditEvent"');
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const fields = { seq, at: new Date(), actorId: null, actorName: "old", actorRole: "admin", action: "legacy", outcome: "ok", computerName: null, sessionId: null, sessionName: null, params: "{}", error: null };
      const hash = eventHash(prev, fields);
      d.prepare(`INSERT INTO "AuditEvent" (seq, at, actorName, actorRole, action, outcome, params, prevHash, hash) VALUES (?, ?, 'old', 'admin', 'legacy', 'ok', '{}', ?, ?)`).run(
        seq,
        fields.at.toISOString().replace("Z", "+00:00"),
        prev,
        hash,
      );
      prev = hash;
    }
    d.close();
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    forgetAuditTail();
    await append(2, 4);
    const cp = await writeAuditCheckpoint();
    expect(cp).toMatchObject({ index: 1, seq: 5, legacyThrough: 3 });
    const ok = await verifyAuditChain();
    expect(ok).toMatchObject({ ok: true, count: 5, legacy: 3 });
    expect(describeVerification(ok).details).toContain("3 events from before keyed auditing carry no MAC (plain SHA-256 chain).");

    const d2 = raw();
    d2.prepare(`UPDATE "AuditEvent" SET "keyId" = NULL, mac = NULL WHERE seq = 5`).run();
    d2.close();
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 5, reason: "event #5 carries no MAC although event #4 before it does: its MAC was stripped" });
  });
});

// Each run starts a tsx process; on a loaded machine that alone can take tens of seconds.
describe("npm run audit:verify", { timeout: 120_000 }, () => {
  it("verifies with only the public key and the checkpoints, and names what is wrong", () => {
    const { files } = auditorOptions();
    const args = [...files.flatMap((f) => ["--public-key", f]), "--checkpoints", checkpointDir];
    const env = { ...process.env };
    // The auditor's machine has no keyring at all.
    process.env.BATON_AUDIT_KEY_FILE = path.join(os.tmpdir(), "no-such-keyring.json");
    try {
      const intact = runVerifyScript(args);
      expect(intact.code).toBe(0);
      expect(intact.out).toMatch(/^audit trail intact: 10 events verified in [\d.]+ s; head [0-9a-f]{16}…$/m);
      expect(intact.out).toContain("Verified without the audit key");

      const d = raw();
      d.prepare(`DELETE FROM "AuditEvent" WHERE seq > 8`).run();
      d.close();
      const cut = runVerifyScript(args);
      expect(cut.code).toBe(1);
      expect(cut.out).toContain("audit trail BROKEN. Chain broken at #9: the newest 2 events are missing since checkpoint 2");
    } finally {
      process.env.BATON_AUDIT_KEY_FILE = env.BATON_AUDIT_KEY_FILE;
    }
  });

  it("runs the routine check with --since-checkpoint and says it is one; --help explains both", () => {
    const quick = runVerifyScript(["--since-checkpoint"]);
    expect(quick.code).toBe(0);
    expect(quick.out).toMatch(/^audit trail intact since checkpoint 2: 1 event from #10 on verified in [\d.]+ s; head [0-9a-f]{16}…$/m);
    expect(quick.out).toContain("Routine check since checkpoint 2, not a full verify");
    const help = runVerifyScript(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--since-checkpoint   the routine check");
    expect(help.out).toContain("Default: the full walk from the first event.");
  });

  it("exits 2 with a clear message for an unreadable public key", () => {
    const r = runVerifyScript(["--public-key", "/nonexistent.pem"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("audit verify failed: public key /nonexistent.pem cannot be read");
  });
});

// The routine check: the checkpoints among themselves, the newest checkpoint's own event, then
// only the events after it. The beforeEach trail has checkpoint 2 over #10.
describe("audit integrity: verify since the last checkpoint", () => {
  const quick = (o: Parameters<typeof verifyAuditChain>[0] = {}) => verifyAuditChain({ ...o, mode: "since-checkpoint" });

  it("walks only the newest checkpoint's event and those after it, and says it is not a full verify", async () => {
    await append(3, 11);
    const r = await quick();
    expect(r).toMatchObject({ ok: true, mode: "since-checkpoint", since: { checkpoint: 2, seq: 10 }, count: 4, checkpoints: 2, unanchored: 3, macsChecked: true });
    const { headline, details } = describeVerification(r);
    expect(headline).toBe("Chain intact since checkpoint 2: 4 events from #10 on");
    expect(details[0]).toBe("Routine check since checkpoint 2, not a full verify: events before #10 were not re-read; they are covered by the signed checkpoints and the last full verify.");
    expect(await verifyAuditChain()).toMatchObject({ ok: true, mode: "full", since: null, count: 13 });
    expect(await quick(auditorOptions().options)).toMatchObject({ ok: true, count: 4, macsChecked: false });
  });

  it("catches an edit after the checkpoint (the MAC with the key; without it, the checkpoint's event re-hashed)", async () => {
    await append(2, 11);
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 12`).run();
    d.close();
    expect(await quick()).toMatchObject({ ok: false, brokenAt: 12, reason: "event #12 was modified (its content no longer matches its hash)" });
    const d2 = raw();
    rehashFrom(d2, 12);
    d2.close();
    expect(await quick()).toMatchObject({ ok: false, brokenAt: 12, reason: expect.stringContaining("MAC does not match") });
    // Re-hashing from before the checkpoint changes the checkpoint's own event: caught without the key.
    const d3 = raw();
    d3.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 9`).run();
    rehashFrom(d3, 9);
    d3.close();
    expect(await quick(auditorOptions().options)).toMatchObject({ ok: false, brokenAt: 10, checkpoint: 2, reason: expect.stringContaining("the chain was re-hashed: event #10 does not match checkpoint 2") });
  });

  it("by design does not re-read an edit before the checkpoint that leaves the hashes alone; the full verify names it", async () => {
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 7`).run();
    d.close();
    expect(await quick()).toMatchObject({ ok: true, since: { checkpoint: 2, seq: 10 }, count: 1 });
    expect(await verifyAuditChain()).toMatchObject({ ok: false, brokenAt: 7, reason: "event #7 was modified (its content no longer matches its hash)" });
  });

  it("names a tail cut off before the newest checkpoint", async () => {
    const d = raw();
    d.prepare(`DELETE FROM "AuditEvent" WHERE seq > 7`).run();
    d.close();
    expect(await quick()).toMatchObject({
      ok: false,
      brokenAt: 8,
      checkpoint: 2,
      reason: expect.stringMatching(/^the newest 3 events are missing since checkpoint 2: it covers the trail up to #10 \(signed .+\), which now ends at #7$/),
    });
  });

  it("names the newest checkpoint's own event deleted from under later events", async () => {
    await append(2, 11);
    const d = raw();
    d.prepare(`DELETE FROM "AuditEvent" WHERE seq = 10`).run();
    d.close();
    expect(await quick()).toMatchObject({ ok: false, brokenAt: 10, checkpoint: 2, reason: expect.stringMatching(/^event #10 is missing: checkpoint 2 \(signed .+\) covers the trail up to it$/) });
  });

  it("refuses a forged or unsigned newest checkpoint before reading any event", async () => {
    await append(2, 11);
    const d = raw();
    d.prepare(`UPDATE "AuditEvent" SET outcome = 'refused' WHERE seq = 11`).run();
    rehashFrom(d, 11);
    const head = d.prepare(`SELECT hash FROM "AuditEvent" WHERE seq = 12`).get() as { hash: string };
    d.close();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const forged = signCheckpoint({ ...readCp(2), index: 3, seq: 12, headHash: head.hash, keyId: auditKeyId(publicKey), signature: undefined } as never, privateKey);
    fs.writeFileSync(path.join(checkpointDir, checkpointFileName(3)), JSON.stringify(forged));
    expect(await quick(auditorOptions().options)).toMatchObject({
      ok: false,
      brokenAt: null,
      checkpoint: 3,
      count: 0,
      reason: `checkpoint 3 is signed by key ${auditKeyId(publicKey)}, which is not among the trusted public keys`,
    });
    const { signature: _, ...unsigned } = forged;
    fs.writeFileSync(path.join(checkpointDir, checkpointFileName(3)), JSON.stringify(unsigned));
    expect(await quick()).toMatchObject({ ok: false, brokenAt: null, checkpoint: 3, reason: "checkpoint 3 (checkpoint-0000000003.json) is not a readable checkpoint file" });
  });

  it("walks from genesis when there is no checkpoint yet", async () => {
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    expect(await quick()).toMatchObject({ ok: true, mode: "since-checkpoint", since: null, count: 10, checkpoints: 0 });
  });
});
