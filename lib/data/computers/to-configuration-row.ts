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
} as const;

type TRecord = Omit<TConfigurationRow, "allowedRoles" | "enforcement"> & { allowedRoles: string; enforcement: string };

export function toConfigurationRow(r: TRecord): TConfigurationRow {
  return {
    ...r,
    allowedRoles: JSON.parse(r.allowedRoles) as string[],
    enforcement: JSON.parse(r.enforcement) as Record<string, TLimitEnforcementRow>,
  };
}
