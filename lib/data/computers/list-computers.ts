import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { canSee } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import type { TComputerRow } from "@/lib/dto/computers";
import { AppError } from "@/lib/errors";
import { configurationRowSelect, toConfigurationRow } from "@/lib/data/computers/to-configuration-row";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { viewOf } from "@/lib/data/sessions/to-session-row";
import { liveUsage, usageKey } from "@/lib/data/computers/usage";

export async function listComputers({ actor }: { actor: TSessionUser }): Promise<TComputerRow[]> {
  if (!canSee(actor.role, "computers")) throw new AppError("FORBIDDEN", "Your role may not see computers.");
  const [computers, sessions] = await Promise.all([
    db.computer.findMany({
      orderBy: { name: "asc" },
      select: {
        id: true,
        name: true,
        address: true,
        status: true,
        lastSeenAt: true,
        agentVersion: true,
        lastError: true,
        configurations: { select: configurationRowSelect, orderBy: { name: "asc" } },
      },
    }),
    // Per-session fields are needed because availability depends on the viewer.
    db.session.findMany({
      where: { AND: [visibleSessionsWhere(actor), { state: { not: "Closed" } }] },
      select: { computerId: true, state: true, holderId: true, runningCommand: true },
    }),
  ]);
  const byComputer = new Map<string, TComputerRow["sessionsByState"]>();
  const availability = new Map<string, TComputerRow["sessionsByAvailability"]>();
  for (const s of sessions) {
    const st = (byComputer.get(s.computerId) ?? {}) as Record<string, number>;
    st[s.state] = (st[s.state] ?? 0) + 1;
    byComputer.set(s.computerId, st);
    const av = (availability.get(s.computerId) ?? {}) as Record<string, number>;
    const view = viewOf(s, actor.id);
    av[view.availability] = (av[view.availability] ?? 0) + 1;
    availability.set(s.computerId, av);
  }
  const usage = await liveUsage(computers.map((c) => c.id));
  return computers.map((c) => ({
    id: c.id,
    name: c.name,
    address: c.address,
    status: c.status,
    lastSeenAt: c.lastSeenAt?.toISOString() ?? null,
    agentVersion: c.agentVersion,
    // Connection errors can name internal addresses; only admins see them.
    lastError: actor.role === "admin" ? c.lastError : c.lastError ? "not answering" : null,
    sessionsByState: byComputer.get(c.id) ?? {},
    sessionsByAvailability: availability.get(c.id) ?? {},
    configurations: c.configurations.map((cfg) => toConfigurationRow(cfg, usage.get(usageKey(c.id, cfg.name)))),
  }));
}
