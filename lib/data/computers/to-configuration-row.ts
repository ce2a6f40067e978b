import type { TConfigurationRow, TLimitEnforcementRow } from "@/lib/dto/computers";

export const configurationRowSelect = {
  name: true,
  idleTimeoutMs: true,
  maxIdleTimeoutMs: true,
  outputBufferingMode: true,
  outputBufferBytes: true,
  maxShells: true,
  maxShellsPerUser: true,
  maxConcurrentUsers: true,
  maxMemoryPerShellMB: true,
  maxProcessesPerShell: true,
  minIdleTimeoutSec: true,
  allowedRoles: true,
  activeShells: true,
  activeUsers: true,
  enforcement: true,
  allowAskBeforeWatching: true,
} as const;

type TRecord = Omit<TConfigurationRow, "allowedRoles" | "enforcement"> & { allowedRoles: string; enforcement: string };

/** `usage`: live counts from the store (lib/data/computers/usage.ts); without it, the agent's last report. */
export function toConfigurationRow(r: TRecord, usage?: { shells: number; users: number }): TConfigurationRow {
  return {
    ...r,
    activeShells: usage ? usage.shells : r.activeShells,
    activeUsers: usage ? usage.users : r.activeUsers,
    allowedRoles: JSON.parse(r.allowedRoles) as string[],
    enforcement: JSON.parse(r.enforcement) as Record<string, TLimitEnforcementRow>,
  };
}
