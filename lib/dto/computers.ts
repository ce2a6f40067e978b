// Shapes the console sends to browsers about computers (agent hosts). Never the token.

export type TLimitEnforcementRow = { enforced: boolean; mechanism: string; note?: string };

export type TConfigurationRow = {
  name: string;
  idleTimeoutMs: number;
  maxIdleTimeoutMs: number;
  outputBufferingMode: "Block" | "Drop";
  outputBufferBytes: number;
  maxShells: number;
  maxShellsPerUser: number;
  maxConcurrentUsers: number;
  maxMemoryPerShellMB: number;
  maxProcessesPerShell: number;
  minIdleTimeoutSec: number;
  allowedRoles: string[];
  /** Live shells / users on this configuration, as last reported by the agent. */
  activeShells: number;
  activeUsers: number;
  enforcement: Record<string, TLimitEnforcementRow>;
  /** A session's holder may choose "no watching without asking". */
  allowAskBeforeWatching: boolean;
};

export type TComputerRow = {
  id: string;
  name: string;
  address: string;
  /** The agent's certificate pinned by the registration (SHA-256, "AB:CD:…"); null: no pinning. */
  tlsFingerprint: string | null;
  status: "unknown" | "online" | "offline";
  lastSeenAt: string | null;
  agentVersion: string | null;
  lastError: string | null;
  /** Sessions on this computer by agent state (Closed excluded). */
  sessionsByState: Partial<Record<"Opened" | "Disconnected" | "Broken" | "Connecting" | "Disconnecting", number>>;
  /** Sessions by availability as the viewer sees them. */
  sessionsByAvailability: Partial<Record<"Available" | "Busy" | "None", number>>;
  configurations: TConfigurationRow[];
};
