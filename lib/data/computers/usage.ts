import { db } from "@/lib/db/client";

const LIVE = ["Opened", "Disconnected", "Connecting", "Disconnecting"] as const;
export type TUsage = { shells: number; users: number };
export const usageKey = (computerId: string, configurationName: string) => `${computerId}/${configurationName}`;

/**
 * Live shells and distinct users per configuration, from the store (kept current by agent
 * events), keyed by usageKey. The agent reports the same counts only when its configuration
 * changes, so quota headroom is computed here. Without `computerIds`: every computer.
 */
export async function liveUsage(computerIds?: string[]): Promise<Map<string, TUsage>> {
  if (computerIds?.length === 0) return new Map();
  const groups = await db.session.groupBy({
    by: ["computerId", "configurationName", "ownerId"],
    where: { ...(computerIds ? { computerId: { in: computerIds } } : {}), state: { in: [...LIVE] } },
    _count: { _all: true },
  });
  const usage = new Map<string, TUsage>();
  for (const g of groups) {
    const key = usageKey(g.computerId, g.configurationName);
    const u = usage.get(key) ?? { shells: 0, users: 0 };
    u.shells += g._count._all;
    u.users += 1;
    usage.set(key, u);
  }
  return usage;
}
