import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTestDatabase } from "@/lib/testing/test-db";
import { REPO_ROOT, startAgent, until, type RunningAgent } from "@/lib/agent/test/helpers";
import { normaliseFingerprint } from "@/lib/protocol/tls-fingerprint";
import { ZRegisterComputer } from "@/lib/data/computers/schemas";

// TLS between console and agent with the agent's certificate pinned by its SHA-256 fingerprint
// (docs/deploy.md): a real agent serving a self-signed certificate made here with openssl, and an
// impostor TLS server with another certificate that records whatever reaches it.
prepareTestDatabase();
process.env.BATON_SECRET = "tls-pinning-test-secret-0123456789abcdef012345";
const { db } = await import("@/lib/db/client");
const { seal } = await import("@/lib/crypto/secret-box");
const { AgentClient } = await import("@/lib/fleet/agent-client");
const { Fleet, setFleet } = await import("@/lib/fleet/fleet");
const { registerComputer } = await import("@/lib/computers/operations");
const ops = await import("@/lib/sessions/operations");
import type { TSessionUser } from "@/lib/auth/session-store";

const admin: TSessionUser = { id: "u-admin", username: "admin", displayName: "Admin", role: "admin", team: null };
const tech: TSessionUser = { id: "u-tech", username: "tech", displayName: "Tech", role: "technician", team: null };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-tls-"));

type TCert = { cert: string; key: string; fingerprint: string };

/** A self-signed P-256 certificate for 127.0.0.1, and its fingerprint as openssl prints it. */
function makeCertificate(name: string): TCert {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "pipe" });
  const printed = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", cert], { encoding: "utf8" });
  // "sha256 Fingerprint=AB:CD:…", taken as an operator would paste it.
  const fingerprint = normaliseFingerprint(printed);
  if (!fingerprint) throw new Error(`openssl printed no fingerprint: ${printed}`);
  return { cert, key, fingerprint };
}

/** A TLS server with a certificate nobody pinned: counts connections and keeps every request's headers. */
async function startImpostor(cert: TCert) {
  const seen = { connections: 0, requests: [] as Record<string, unknown>[], upgrades: [] as Record<string, unknown>[] };
  const server = https.createServer({ cert: fs.readFileSync(cert.cert), key: fs.readFileSync(cert.key) }, (req, res) => {
    seen.requests.push(req.headers);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "Tls1" }));
  });
  server.on("connection", () => seen.connections++);
  server.on("upgrade", (req, socket) => {
    seen.upgrades.push(req.headers);
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { seen, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

let certA: TCert;
let certB: TCert;
let agent: RunningAgent;
let impostor: Awaited<ReturnType<typeof startImpostor>>;
let fleet: InstanceType<typeof Fleet>;
const agentFiles = { cert: path.join(dir, "agent.pem"), key: path.join(dir, "agent.key") };

beforeAll(async () => {
  for (const u of [admin, tech]) await db.user.create({ data: { id: u.id, username: u.username, displayName: u.displayName, role: u.role, passwordHash: "unused" } });
  certA = makeCertificate("a");
  certB = makeCertificate("b");
  fs.copyFileSync(certA.cert, agentFiles.cert);
  fs.copyFileSync(certA.key, agentFiles.key);
  agent = await startAgent({ name: "Tls1", tls: agentFiles });
  impostor = await startImpostor(certB);
  fleet = new Fleet();
  setFleet(fleet);
  await fleet.start();
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
  await agent?.stop();
  await impostor?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const computerRow = (name: string) => db.computer.findUnique({ where: { name }, select: { id: true, address: true, tlsFingerprint: true, lastError: true, status: true } });

describe("the agent's fingerprint", () => {
  it("is printed by --print-fingerprint (which needs no token) and logged when the agent starts listening", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "lib/agent/main.ts"), "--print-fingerprint", "--tls-cert", certA.cert], {
      cwd: REPO_ROOT,
      env: { ...process.env, BATON_AGENT_TOKEN: "" },
      encoding: "utf8",
    });
    expect(out).toBe(`${certA.fingerprint}\n`);
    expect(agent.logs()).toMatch(new RegExp(`"tlsFingerprint":"${certA.fingerprint}"[^\\n]*"msg":"agent listening"`));
  });

  it("a key that does not belong to the certificate stops the agent at start, naming both files", () => {
    const run = () =>
      execFileSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "lib/agent/main.ts"), "--name", "TlsBad", "--port", "0", "--tls-cert", certA.cert, "--tls-key", certB.key], {
        cwd: REPO_ROOT,
        env: { ...process.env, BATON_AGENT_TOKEN: "a-token-long-enough-0123456789" },
        encoding: "utf8",
        stdio: "pipe",
      });
    expect(run).toThrow(`cannot use the TLS files: ${certA.cert} and ${certB.key} cannot be used together`);
  });
});

describe("registration input", () => {
  const base = { name: "Tls9", address: "https://127.0.0.1:5986", token: "t".repeat(20) };
  const issues = (input: Record<string, unknown>) => {
    const r = ZRegisterComputer.safeParse({ ...base, ...input });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("normalises a fingerprint written with or without colons, in either case, with openssl's label", () => {
    const bare = certA.fingerprint.replace(/:/g, "").toLowerCase();
    for (const written of [bare, certA.fingerprint.toLowerCase(), `sha256 Fingerprint=${certA.fingerprint}`, `  ${bare}  `]) {
      expect(ZRegisterComputer.parse({ ...base, tlsFingerprint: written }).tlsFingerprint).toBe(certA.fingerprint);
    }
    expect(ZRegisterComputer.parse({ ...base, tlsFingerprint: "" }).tlsFingerprint).toBeUndefined();
  });

  it("refuses what is not a SHA-256 fingerprint, saying why", () => {
    expect(issues({ tlsFingerprint: "AB:CD" })).toEqual(["tlsFingerprint: must be a SHA-256 fingerprint: 64 hexadecimal digits, not 4"]);
    expect(issues({ tlsFingerprint: "zz".repeat(32) })).toEqual(["tlsFingerprint: must be a SHA-256 fingerprint: 64 hexadecimal digits (0-9, A-F), colons allowed"]);
    expect(issues({ tlsFingerprint: `${certA.fingerprint}:00` })).toEqual(["tlsFingerprint: must be a SHA-256 fingerprint: 64 hexadecimal digits, not 66"]);
  });

  it("refuses a fingerprint with an http:// address, in the form and in the registration itself, storing nothing", async () => {
    expect(issues({ address: "http://127.0.0.1:5985", tlsFingerprint: certA.fingerprint })).toEqual([
      "tlsFingerprint: a fingerprint needs https: pinning checks the agent's TLS certificate, and an http:// address has none",
    ]);
    await expect(registerComputer({ actor: admin, input: { ...base, address: "http://127.0.0.1:5985", tlsFingerprint: certA.fingerprint } })).rejects.toThrow(/Tls9: a fingerprint needs https/);
    expect(await computerRow("Tls9")).toBeNull();
  });
});

describe("a computer registered with its agent's fingerprint", () => {
  it("opens the stream and serves requests over TLS with a self-signed certificate, no CA needed", async () => {
    const fingerprint = certA.fingerprint.replace(/:/g, "").toLowerCase();
    const input = ZRegisterComputer.parse({ name: "Tls1", address: agent.baseUrl, token: agent.token, tlsFingerprint: fingerprint });
    const { id: computerId } = await registerComputer({ actor: admin, input });
    expect((await computerRow("Tls1"))?.tlsFingerprint).toBe(certA.fingerprint);
    const link = fleet.link(computerId);
    await until(() => link.status === "online", { what: "link online" });
    expect(link.streamId).toBeTruthy();

    const session = await ops.newSession({ actor: tech, input: { computerId, name: "Pinned", configurationName: "Microsoft.PowerShell" } });
    expect(session.state).toBe("Opened");
    const record = await ops.loadActionable(tech, session.id);
    const run = await ops.runCommand({ actor: tech, record, command: "echo over-tls" });
    expect(run).toBeTruthy();
  });

  it("without a fingerprint, https still checks the certificate against the CAs Node trusts", async () => {
    await expect(registerComputer({ actor: admin, input: { name: "Tls1", address: agent.baseUrl, token: agent.token } })).rejects.toThrow(/No agent answered at .*self-signed certificate/);
    expect((await computerRow("Tls1"))?.tlsFingerprint).toBe(certA.fingerprint);
  });
});

describe("an agent presenting another certificate", () => {
  it("is refused at registration before the token is sent", async () => {
    const before = impostor.seen.connections;
    await expect(registerComputer({ actor: admin, input: { name: "Tls1", address: impostor.url, token: agent.token, tlsFingerprint: certA.fingerprint } })).rejects.toThrow(
      `The agent at ${impostor.url} presented a certificate with SHA-256 fingerprint ${certB.fingerprint}, not ${certA.fingerprint}; nothing was sent to it.`,
    );
    expect(impostor.seen.connections).toBeGreaterThan(before);
    expect(impostor.seen.requests).toEqual([]);
    expect((await computerRow("Tls1"))?.address).toBe(agent.baseUrl);
  });

  it("is refused by the link's stream and requests: last error names the computer and both fingerprints, audited once, no token sent", async () => {
    const token = "impostor-test-token-0123456789";
    const row = await db.computer.create({ data: { name: "Tls2", address: impostor.url, tokenCiphertext: seal(token), tlsFingerprint: certA.fingerprint }, select: { id: true, name: true, address: true, tlsFingerprint: true } });
    const link = fleet.add(row, token);
    const expected = `Tls2's agent presented a TLS certificate with SHA-256 fingerprint ${certB.fingerprint}, but its registration pins ${certA.fingerprint}`;
    await until(async () => (await computerRow("Tls2"))?.lastError?.startsWith(expected), { what: "last error recorded" });
    expect((await computerRow("Tls2"))?.status).toBe("offline");
    expect(link.status).not.toBe("online");
    // The link keeps retrying (the backoff's next attempts), each refused again, but on record once.
    const seen = impostor.seen.connections;
    await until(() => impostor.seen.connections >= seen + 2, { what: "two more attempts", timeoutMs: 10_000 });
    await until(async () => (await db.auditEvent.count({ where: { action: "agent.certificate-refused", computerName: "Tls2" } })) > 0, { what: "audit event" });
    const events = await db.auditEvent.findMany({ where: { action: "agent.certificate-refused", computerName: "Tls2" } });
    expect(events).toHaveLength(1);
    expect(events[0].outcome).toBe("refused");
    expect(JSON.parse(events[0].params!)).toEqual({ address: impostor.url, expectedFingerprint: certA.fingerprint, presentedFingerprint: certB.fingerprint });

    // A request through a pinned client fails the same way, also before anything is sent.
    const client = new AgentClient({ baseUrl: impostor.url, token, tlsFingerprint: certA.fingerprint, name: "Tls2" });
    await expect(client.listConfigurations()).rejects.toMatchObject({ code: "CERTIFICATE_MISMATCH", details: { expected: certA.fingerprint, presented: certB.fingerprint } });
    client.close();
    expect(impostor.seen.requests).toEqual([]);
    expect(impostor.seen.upgrades).toEqual([]);
  });

  it("the real agent with a wrong pin: refused, offline, named", async () => {
    const row = await db.computer.create({ data: { name: "Tls1b", address: agent.baseUrl, tokenCiphertext: seal(agent.token), tlsFingerprint: certB.fingerprint }, select: { id: true, name: true, address: true, tlsFingerprint: true } });
    fleet.add(row, agent.token);
    await until(async () => (await computerRow("Tls1b"))?.lastError?.includes(`fingerprint ${certA.fingerprint}, but its registration pins ${certB.fingerprint}`), { what: "last error" });
    expect((await computerRow("Tls1b"))?.status).toBe("offline");
  });
});

describe("rotating the agent's certificate", () => {
  it("SIGHUP serves the new certificate; re-registering with its fingerprint keeps the link and its stream", async () => {
    const { id: computerId } = (await computerRow("Tls1"))!;
    const link = fleet.link(computerId);
    await until(() => link.status === "online", { what: "link online" });
    const streamId = link.streamId;
    const certC = makeCertificate("c");
    fs.copyFileSync(certC.cert, agentFiles.cert);
    fs.copyFileSync(certC.key, agentFiles.key);
    agent.proc.kill("SIGHUP");
    await until(() => agent.logs().includes(`"tlsFingerprint":"${certC.fingerprint}","msg":"TLS files re-read`), { what: "certificate re-read" });

    // The old pin no longer matches what the agent shows a new connection.
    await expect(registerComputer({ actor: admin, input: { name: "Tls1", address: agent.baseUrl, token: agent.token, tlsFingerprint: certA.fingerprint } })).rejects.toThrow(
      `presented a certificate with SHA-256 fingerprint ${certC.fingerprint}, not ${certA.fingerprint}`,
    );
    await registerComputer({ actor: admin, input: { name: "Tls1", address: agent.baseUrl, token: agent.token, tlsFingerprint: certC.fingerprint } });
    expect(fleet.link(computerId)).toBe(link);
    expect(link.streamId).toBe(streamId);
    expect((await computerRow("Tls1"))?.tlsFingerprint).toBe(certC.fingerprint);

    // Requests go on under the new pin, on new connections checked against it.
    const sessions = await link.request({ id: tech.id, name: tech.username }, (c) => c.listSessions({ id: tech.id, name: tech.username, roles: ["technician"] }));
    expect(sessions.map((s) => s.name)).toContain("Pinned");
  });
});
