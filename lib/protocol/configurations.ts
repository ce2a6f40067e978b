import { z } from "zod";
import { refuseInvisible } from "./hygiene";
import { ZConfigurationName, ZEffectiveBufferingMode } from "./sessions";

const positiveInt = z.number().int().positive();

/** The quota fields an admin may change at run time (Set-PSSessionConfiguration). */
export const ZConfigurationLimits = z.strictObject({
  idleTimeoutMs: positiveInt.max(2_147_483_647),
  maxIdleTimeoutMs: positiveInt.max(2_147_483_647),
  outputBufferingMode: ZEffectiveBufferingMode,
  outputBufferSizeBytes: positiveInt.min(4096).max(256 * 1024 * 1024),
  /**
   * Output retained per session for terminals that attach, reload or reconnect (the scrollback
   * they replay by offset). The agent retains at least the output buffer size.
   */
  outputRetainBytes: positiveInt.min(4096).max(256 * 1024 * 1024),
  maxShells: positiveInt.max(100_000),
  maxShellsPerUser: positiveInt.max(100_000),
  maxConcurrentUsers: positiveInt.max(100_000),
  maxMemoryPerShellMB: positiveInt.max(1_048_576),
  maxProcessesPerShell: positiveInt.max(1_000_000),
  /** Roles that may use this configuration; "*" means any. */
  allowedRoles: z.array(z.string().min(1).max(64).superRefine(refuseInvisible)).max(64),
  /** User ids that may use this configuration regardless of role. */
  allowedUsers: z.array(z.string().min(1).max(128).superRefine(refuseInvisible)).max(10_000),
  /**
   * Whether a session's holder may choose "no watching without asking" for it. Without that
   * choice (the default for every session) help desk, managers and admins may watch it read-only.
   * The agent keeps this with the configuration; the console enforces it when someone asks to watch.
   */
  allowAskBeforeWatching: z.boolean(),
});
export type TConfigurationLimits = z.infer<typeof ZConfigurationLimits>;

export const ZSessionConfiguration = ZConfigurationLimits.extend({ name: ZConfigurationName });
export type TSessionConfiguration = z.infer<typeof ZSessionConfiguration>;

/** Defaults of the Microsoft.PowerShell configuration (DESIGN.md). */
export const DEFAULT_CONFIGURATION: TSessionConfiguration = {
  name: "Microsoft.PowerShell",
  idleTimeoutMs: 7_200_000,
  maxIdleTimeoutMs: 43_200_000,
  outputBufferingMode: "Block",
  outputBufferSizeBytes: 1024 * 1024,
  outputRetainBytes: 1024 * 1024,
  maxShells: 25,
  maxShellsPerUser: 25,
  maxConcurrentUsers: 5,
  maxMemoryPerShellMB: 1024,
  maxProcessesPerShell: 15,
  allowedRoles: ["*"],
  allowedUsers: [],
  allowAskBeforeWatching: true,
};

/** The configuration file given with --config. Omitted fields take the defaults above. */
export const ZAgentConfigFile = z.strictObject({
  configurations: z
    .array(ZConfigurationLimits.partial().extend({ name: ZConfigurationName }).strict())
    .min(1)
    .max(256),
});
export type TAgentConfigFile = z.infer<typeof ZAgentConfigFile>;

export const ZConfigurationUpdate = ZConfigurationLimits.partial();
export type TConfigurationUpdate = z.infer<typeof ZConfigurationUpdate>;

export const ZLimitEnforcement = z.object({
  enforced: z.boolean(),
  /** e.g. "cgroup-v1 pids.max", "RLIMIT_AS per process", "agent quota check". */
  mechanism: z.string(),
  note: z.string().optional(),
});
export type TLimitEnforcement = z.infer<typeof ZLimitEnforcement>;

export const ZConfigurationView = ZSessionConfiguration.extend({
  /** How each limit is enforced on this host, honestly. */
  enforcement: z.object({
    maxMemoryPerShellMB: ZLimitEnforcement,
    maxProcessesPerShell: ZLimitEnforcement,
    maxShells: ZLimitEnforcement,
    maxShellsPerUser: ZLimitEnforcement,
    maxConcurrentUsers: ZLimitEnforcement,
    idleTimeout: ZLimitEnforcement,
  }),
  minIdleTimeoutSec: z.number().int(),
  /** Live sessions (not Closed or Broken) using this configuration. */
  activeShells: z.number().int().nonnegative(),
  activeUsers: z.number().int().nonnegative(),
});
export type TConfigurationView = z.infer<typeof ZConfigurationView>;

export const ZConfigurationResponse = z.object({ configuration: ZConfigurationView });
export const ZConfigurationListResponse = z.object({ configurations: z.array(ZConfigurationView) });

/**
 * Session processes a previous run of this agent left behind (it was killed before it could end
 * them, and its watchdog could not either), ended when this run started.
 */
export const ZLeftoverReport = z.object({
  endedOn: z.iso.datetime(),
  count: z.number().int().positive(),
  /** instanceIds of the previous run's sessions the processes belonged to, where known. */
  sessions: z.array(z.string()),
  /** At most 100 of them; `command` is the executable's name only (arguments may hold secrets). */
  processes: z.array(
    z.object({
      pid: z.number().int(),
      command: z.string(),
      sessionInstanceId: z.string().nullable(),
      previousAgentPid: z.number().int(),
      foundBy: z.enum(["cgroup", "environment"]),
    }),
  ),
});
export type TLeftoverReport = z.infer<typeof ZLeftoverReport>;

export const ZHealthResponse = z.object({
  ok: z.literal(true),
  name: z.string(),
  version: z.string(),
  startedOn: z.iso.datetime(),
  uptimeSec: z.number(),
  sessions: z.record(z.string(), z.number()),
  streams: z.number().int(),
  memory: z.object({ rss: z.number(), heapUsed: z.number(), external: z.number(), arrayBuffers: z.number() }),
  /** Output retained for replay across live sessions: bytes held, and memory allocated for them. */
  retainedOutput: z.object({ bytes: z.number(), allocatedBytes: z.number() }).optional(),
  /** What this run ended at start that a previous run left behind; null when nothing. Absent from older agents. */
  leftovers: ZLeftoverReport.nullable().optional(),
});
export type THealthResponse = z.infer<typeof ZHealthResponse>;
