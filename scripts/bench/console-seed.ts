/**
 * Fleet-sized data for `npm run bench:console`: computers with their session configurations,
 * technicians, and sessions with a realistic mix of states, owners, names, running commands and
 * buffers. Deterministic (seeded PRNG), so two runs list the same rows.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Db } from "../../lib/db/client";
import { sessionNameKey } from "../../lib/dto/sessions";

type TState = "Opened" | "Disconnected" | "Broken" | "Closed" | "Connecting" | "Disconnecting";
type TOwner = { id: string; name: string };

export type TSeedSummary = {
  computers: { id: string; name: string; sessions: number; disconnected: number }[];
  sessions: number;
  byState: Record<TState, number>;
  ms: number;
};

function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from [value, weight] pairs. */
function weighted<T>(rand: () => number, pairs: readonly (readonly [T, number])[]): T {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
}

/** cuid-shaped ids, so the session actions' id schema accepts them. */
const fakeCuid = () => `c${randomBytes(12).toString("hex")}`;

const ROLES = ["APP", "DB", "WEB", "FS", "BLD", "PRN", "SQL", "DC"] as const;
const APPS = ["billing", "crm", "portal", "search", "reports", "gateway"] as const;
const COMMANDS = ["Get-Process | Sort-Object CPU", "Invoke-Pester ./tests", "./patch.sh --all", "tail -f /var/log/syslog", "Backup-Database -Full", "Test-NetConnection db01 -Port 1433"] as const;
const STATES: readonly (readonly [TState, number])[] = [
  ["Opened", 30],
  ["Disconnected", 38],
  ["Broken", 4],
  ["Closed", 25],
  ["Connecting", 1.5],
  ["Disconnecting", 1.5],
];

function sessionName(rand: () => number, seq: number): string {
  return weighted(rand, [
    [() => "ITTask", 12],
    [() => "ITTasks-Nightly", 3],
    [() => "IT-Audit", 2],
    [() => "UpdateSession", 10],
    [() => "Backup", 8],
    [() => `Deploy-${APPS[Math.floor(rand() * APPS.length)]}`, 10],
    [() => `Patch-KB50${String(Math.floor(rand() * 10_000)).padStart(4, "0")}`, 10],
    [() => "Diagnostics", 8],
    [() => `Logs-2026-11-${String(1 + Math.floor(rand() * 24)).padStart(2, "0")}`, 7],
    [() => `Session${seq}`, 20],
    [() => "Maintenance", 5],
    [() => "Inventory", 5],
  ] as const)();
}

export async function seedFleet({
  db,
  seal,
  computers: computerCount,
  sessions: sessionCount,
  demoOwners,
}: {
  db: Db;
  seal: (plaintext: string) => string;
  computers: number;
  sessions: number;
  /** Demo users who own a few of the sessions too (so the technician's view is not empty). */
  demoOwners: TOwner[];
}): Promise<TSeedSummary> {
  const started = performance.now();
  const rand = mulberry32(20261124);
  const now = Date.now();

  // Technicians beyond the demo accounts. The password hash is deliberately not a valid one:
  // nobody signs in as them; they exist so owners are real users.
  const techs: TOwner[] = Array.from({ length: 60 }, (_, i) => ({ id: fakeCuid(), name: `tech${String(i + 1).padStart(2, "0")}` }));
  await db.user.createMany({
    data: techs.map((t, i) => ({ id: t.id, username: t.name, displayName: `Technician ${i + 1}`, role: "technician" as const, team: `team-${i % 6}`, passwordHash: "bench:not-a-password-hash" })),
  });

  // Addresses on the discard port of loopback: closed here. The console never dials them (see
  // console.ts: these rows are written after the console's Fleet has loaded its computers).
  const computers = Array.from({ length: computerCount }, (_, i) => ({
    id: fakeCuid(),
    name: `${ROLES[i % ROLES.length]}-${String(i + 1).padStart(3, "0")}`,
    address: "http://127.0.0.1:9",
    tokenCiphertext: seal(randomBytes(24).toString("base64url")),
    status: "online" as const,
    lastSeenAt: new Date(now - Math.floor(rand() * 20_000)),
    agentVersion: "0.1.0",
    hasItTasks: i % 3 === 0,
    // Skewed load: a few busy hosts, many quiet ones (roughly log-normal).
    weight: Math.exp((rand() + rand() + rand() - 1.5) * 1.2),
  }));
  await db.computer.createMany({ data: computers.map(({ hasItTasks: _h, weight: _w, ...c }) => c) });

  const totalWeight = computers.reduce((s, c) => s + c.weight, 0);
  const cumulative: number[] = [];
  computers.reduce((acc, c) => (cumulative.push(acc + c.weight), acc + c.weight), 0);
  const pickComputer = () => {
    const r = rand() * totalWeight;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const nextAgentId = new Map<string, number>();
  const live = new Map<string, number>(); // "computerId/config" -> live shells
  const perComputer = new Map<string, { sessions: number; disconnected: number }>();
  const byState = Object.fromEntries(STATES.map(([s]) => [s, 0])) as Record<TState, number>;
  const owners = [...techs, ...demoOwners];
  const ownerWeights = owners.map((o, i) => [o, i < techs.length ? 1 : 2] as const);

  const rows = Array.from({ length: sessionCount }, (_, seq) => {
    const c = computers[pickComputer()];
    const agentSessionId = (nextAgentId.get(c.id) ?? 0) + 1;
    nextAgentId.set(c.id, agentSessionId);
    const state = weighted(rand, STATES);
    byState[state]++;
    const owner = weighted(rand, ownerWeights);
    const configurationName = c.hasItTasks && rand() < 0.3 ? "ITTasks" : "Microsoft.PowerShell";
    const name = configurationName === "ITTasks" && rand() < 0.6 ? "ITTask" : sessionName(rand, agentSessionId);
    const idleTimeoutSec = configurationName === "ITTasks" ? weighted(rand, [[7200, 3], [43_200, 2], [86_400, 1]] as const) : weighted(rand, [[7200, 7], [3600, 2], [14_400, 1]] as const);
    const createdAt = new Date(now - Math.floor(rand() * 7 * 86_400_000));
    const mode = rand() < 0.8 ? ("Block" as const) : ("Drop" as const);
    const attached = state === "Opened" || state === "Connecting" || state === "Disconnecting";
    const holder = attached ? (rand() < 0.85 ? owner : techs[Math.floor(rand() * techs.length)]) : null;
    const running = (state === "Opened" && rand() < 0.4) || (state === "Disconnected" && rand() < 0.3);
    // Closed sessions mostly ended long ago (hidden from the default view), a few just now.
    const sinceUpdate = state === "Closed" ? (rand() < 0.8 ? 3_600_000 + rand() * 86_400_000 : rand() * 600_000) : rand() * 3_600_000;
    const updatedAt = new Date(Math.max(createdAt.getTime(), now - sinceUpdate));
    const disconnectedOn = state === "Disconnected" ? new Date(now - Math.floor(rand() * idleTimeoutSec * 900)) : null;
    const bufferSizeBytes = 1024 * 1024;
    const bufferedBytes = state === "Disconnected" ? Math.floor(rand() ** 2 * bufferSizeBytes) : 0;
    const dropped = mode === "Drop" && bufferedBytes > bufferSizeBytes * 0.9 ? BigInt(Math.floor(rand() * 5_000_000)) : 0n;
    if (state !== "Closed" && state !== "Broken") live.set(`${c.id}/${configurationName}`, (live.get(`${c.id}/${configurationName}`) ?? 0) + 1);
    const pc = perComputer.get(c.id) ?? { sessions: 0, disconnected: 0 };
    pc.sessions++;
    if (state === "Disconnected") pc.disconnected++;
    perComputer.set(c.id, pc);
    return {
      computerId: c.id,
      computerName: c.name,
      agentSessionId,
      instanceId: randomUUID(),
      name,
      nameKey: sessionNameKey(name),
      configurationName,
      ownerId: owner.id,
      ownerName: owner.name,
      holderId: holder?.id ?? null,
      holderName: holder?.name ?? null,
      state,
      reason: state === "Broken" ? `${c.name} stopped answering (stream closed)` : state === "Closed" ? "removed" : null,
      idleTimeoutSec,
      outputBufferingMode: mode,
      disconnectedOn,
      expiresOn: disconnectedOn ? new Date(disconnectedOn.getTime() + idleTimeoutSec * 1000) : null,
      bufferedBytes,
      bufferSizeBytes,
      outputBlocked: mode === "Block" && bufferedBytes === bufferSizeBytes,
      droppedBytes: dropped,
      totalDroppedBytes: dropped,
      runningCommand: running ? COMMANDS[Math.floor(rand() * COMMANDS.length)] : null,
      commandStartedOn: running ? new Date(updatedAt.getTime() - Math.floor(rand() * 600_000)) : null,
      createdAt,
      updatedAt,
    };
  });

  await db.sessionConfiguration.createMany({
    data: computers.flatMap((c) => {
      const base = {
        computerId: c.id,
        outputBufferingMode: "Block" as const,
        outputBufferBytes: 1024 * 1024,
        maxShells: 200,
        maxShellsPerUser: 25,
        maxConcurrentUsers: 50,
        maxMemoryPerShellMB: 1024,
        maxProcessesPerShell: 15,
        enforcement: JSON.stringify({ maxShells: "enforced", maxShellsPerUser: "enforced" }),
      };
      const ps = { ...base, name: "Microsoft.PowerShell", idleTimeoutMs: 7_200_000, maxIdleTimeoutMs: 43_200_000, activeShells: live.get(`${c.id}/Microsoft.PowerShell`) ?? 0 };
      const it = { ...base, name: "ITTasks", idleTimeoutMs: 7_200_000, maxIdleTimeoutMs: 86_400_000, activeShells: live.get(`${c.id}/ITTasks`) ?? 0 };
      return c.hasItTasks ? [ps, it] : [ps];
    }),
  });

  const BATCH = 500;
  for (let i = 0; i < rows.length; i += BATCH) await db.session.createMany({ data: rows.slice(i, i + BATCH) });

  return {
    computers: computers.map((c) => ({ id: c.id, name: c.name, ...(perComputer.get(c.id) ?? { sessions: 0, disconnected: 0 }) })),
    sessions: rows.length,
    byState,
    ms: performance.now() - started,
  };
}
