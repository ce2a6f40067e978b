import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { canSee } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import type { TComputerRow } from "@/lib/dto/computers";
import { AppError } from "@/lib/errors";
import { configurationRowSelect, toConfigurationRow } from "@/lib/data/computers/to-configuration-row";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";

export async function listComputers({ actor }: { actor: TSessionUser }): Promise<TComputerRow[]> {
  if (!canSee(actor.role, "computers")) throw new AppError("FORBIDDEN", "Your role may not see computers.");
  const visibleLive = { AND: [visibleSessionsWhere(actor), { state: { not: "Closed" as const } }] };
  // Counts come from grouped queries (index-backed), never from reading every session row.
  const [computers, byState, availableToMe, usage] = await Promise.all([
    db.computer.findMany({
      orderBy: { name: "asc" },
      select: {
        id: true,
        name: true,
        address: true,
        tlsFingerprint: true,
        status: true,
        lastSeenAt: true,
        agentVersion: true,
        lastError: true,
        configurations: { select: configurationRowSelect, orderBy: { name: "asc" } },
      },
    }),
    db.session.groupBy({ by: ["computerId", "state"], where: visibleLive, _count: { _all: true } }),
    // Availability is relative to the viewer: Available = opened, attached to me, idle.
    db.session.groupBy({ by: ["computerId"], where: { AND: [visibleLive, { state: "Opened", holderId: actor.id, runningCommand: null }] }, _count: { _all: true } }),
    liveUsage(),
  ]);
  const byComputer = new Map<string, Record<string, number>>();
  for (const g of byState) (byComputer.get(g.computerId) ?? byComputer.set(g.computerId, {}).get(g.computerId)!)[g.state] = g._count._all;
  const available = new Map(availableToMe.map((g) => [g.computerId, g._count._all]));
  const availability = (computerId: string): TComputerRow["sessionsByAvailability"] => {
    const st = byComputer.get(computerId) ?? {};
    const total = Object.values(st).reduce((a, b) => a + b, 0);
    const opened = st.Opened ?? 0;
    const mine = available.get(computerId) ?? 0;
    const out: Record<string, number> = {};
    if (mine) out.Available = mine;
    if (opened - mine) out.Busy = opened - mine;
    if (total - opened) out.None = total - opened;
    return out;
  };
  return computers.map((c) => ({
    id: c.id,
    name: c.name,
    address: c.address,
    tlsFingerprint: c.tlsFingerprint,
    status: c.status,
    lastSeenAt: c.lastSeenAt?.toISOString() ?? null,
    agentVersion: c.agentVersion,
    // Connection errors can name internal addresses; only admins see them.
    lastError: actor.role === "admin" ? c.lastError : c.lastError ? "not answering" : null,
    sessionsByState: byComputer.get(c.id) ?? {},
    sessionsByAvailability: availability(c.id),
    configurations: c.configurations.map((cfg) => toConfigurationRow(cfg, usage.get(usageKey(c.id, cfg.name)))),
  }));
}
