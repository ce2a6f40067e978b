import { z } from "zod";
import { queryInt } from "@/lib/protocol/hygiene";

// Shapes the console sends to browsers about sessions, and the filters browsers send back.
// Pure types and schemas: safe for client components.

export const SESSION_STATES = ["Opened", "Disconnected", "Broken", "Closed", "Connecting", "Disconnecting"] as const;
export type TSessionStateName = (typeof SESSION_STATES)[number];
export const AVAILABILITIES = ["Available", "Busy", "None"] as const;
export type TAvailabilityName = (typeof AVAILABILITIES)[number];
export const BUFFERING_MODES = ["Block", "Drop"] as const;

export type TSessionRow = {
  id: string; // console id (cuid): what actions take
  computerId: string;
  computerName: string;
  agentSessionId: number; // the help page's "Id" column
  instanceId: string;
  name: string;
  configurationName: string;
  ownerId: string;
  ownerName: string;
  holderId: string | null;
  holderName: string | null;
  /** State as the viewer sees it: attached to someone else reads Disconnected (PowerShell). */
  state: TSessionStateName;
  /** State as the agent reports it, regardless of viewer. */
  agentState: TSessionStateName;
  availability: TAvailabilityName;
  reason: string | null;
  idleTimeoutSec: number;
  outputBufferingMode: "Block" | "Drop";
  disconnectedOn: string | null; // ISO
  expiresOn: string | null; // ISO, while disconnected
  bufferedBytes: number;
  bufferSizeBytes: number;
  outputBlocked: boolean;
  droppedBytes: number; // not yet reported by a Receive
  totalDroppedBytes: number;
  runningCommand: string | null;
  commandStartedOn: string | null;
  updatedAt: string;
  /** "No watching without asking": a watcher must ask the holder first (who answers in their terminal). */
  askBeforeWatching: boolean;
  /** The open handoff: `id`/`name` may connect to it; `by` handed it over, with `reason`. */
  handedTo: { id: string; name: string; by: string; reason: string; at: string } | null;
  /** The configuration's current MaxIdleTimeoutMs / 1000, when known. */
  maxIdleTimeoutSec: number | null;
  /** Example 4: the session's idle timeout is above what its configuration now allows. */
  idleTimeoutExceedsMax: boolean;
  /** What the viewer may do to this session now (server-computed; the server re-checks on action). */
  can: { disconnect: boolean; connect: boolean; receive: boolean; remove: boolean; run: boolean; handoff: boolean; takeOver: boolean; chooseWatching: boolean };
};

/** Closed sessions stay in the unfiltered list this long (the agent keeps them as long). */
export const CLOSED_VISIBLE_MS = 15 * 60_000;

/** At most this many sessions' rows in one rows read (the page asks again for more). */
export const SESSION_ROWS_MAX = 500;

/** Rows read by console id: the sessions page patches the rows that changed instead of refetching its lists. */
export const ZSessionRowsRequest = z.object({
  ids: z
    .array(z.string().regex(/^[a-z0-9]{20,40}$/, "must be a session id (20 to 40 lower-case letters and digits)"), "must be a list of session ids")
    .min(1, "must name at least one session")
    .max(SESSION_ROWS_MAX, `must name at most ${SESSION_ROWS_MAX} sessions; ask again for the rest`),
});
export type TSessionRowsRequest = z.infer<typeof ZSessionRowsRequest>;
/** The rows the viewer may see, in no particular order; an id that is gone or not theirs is simply absent. */
export type TSessionRows = { rows: TSessionRow[] };

export const SESSION_SORTS = ["computer", "name", "state", "id", "owner", "updated", "expires"] as const;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
    .optional()
    .transform((v) => v || undefined);

/** Sessions list filters; the same object lives in the page's URL search params. */
export const ZSessionFilters = z.object({
  computer: optionalText(128), // exact computer name
  name: optionalText(128), // wildcards * and ?, case-insensitive
  state: z.enum(SESSION_STATES).optional(),
  availability: z.enum(AVAILABILITIES).optional(),
  owner: optionalText(64), // username
  handed: z.enum(["me"]).optional(), // "handed to me": sessions with an open handoff to the viewer
  sort: z.enum(SESSION_SORTS).default("computer"),
  dir: z.enum(["asc", "desc"]).default("asc"),
  page: queryInt().pipe(z.number().min(1, "must be at least 1").max(100_000, "must be at most 100000")).default(1),
  pageSize: queryInt().pipe(z.number().min(10, "must be at least 10").max(200, "must be at most 200")).default(50),
});
export type TSessionFilters = z.infer<typeof ZSessionFilters>;
/** The filters that select sessions (no paging or order): what a bulk selection carries. */
export type TSessionSelectionFilters = Omit<TSessionFilters, "page" | "pageSize" | "sort" | "dir">;

/** `totalCapped`: more sessions match than were counted, `total` is a lower bound (shown "1,000+"). */
export type TSessionPage = { rows: TSessionRow[]; total: number; totalCapped: boolean; page: number; pageSize: number };

export type TSessionCommandRow = {
  id: string;
  command: string;
  actorName: string | null;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
};
/** A state change, or (state null) a watch event from the audit trail: who watched, who ended a watch. */
export type TSessionEventRow = { at: string; change: string; state: TSessionStateName | null; reason: string | null };

export type TSessionDetail = {
  session: TSessionRow;
  configuration: import("@/lib/dto/computers").TConfigurationRow | null;
  commands: TSessionCommandRow[];
  events: TSessionEventRow[];
};

export const BULK_OPERATIONS = ["disconnect", "connect", "receive", "remove"] as const;
export type TBulkOperation = (typeof BULK_OPERATIONS)[number];

/** "What if": one line per targeted session before a destructive or bulk action is confirmed. */
export type TPreviewItem = {
  sessionId: string;
  name: string;
  computerName: string;
  state: TSessionStateName;
  /** The state it would end in, or null when the operation would be refused. */
  resultingState: TSessionStateName | null;
  note: string | null; // e.g. "already disconnected: no change", "attached to manager: refused"
};

export type TBulkOutcome = {
  sessionId: string;
  name: string;
  computerName: string;
  ok: boolean;
  state: TSessionStateName | null;
  error: string | null;
  /** Never started: the job was cancelled before its turn (ok is false; nothing was done to the session). */
  cancelled?: true;
};

/** What a bulk Receive kept of one session's output: the newest bytes when over its bound (`omittedBytes` older ones left out). */
export type TBulkReceivedView = { output: string; outputBytes: number; droppedBytes: number; offset: number; omittedBytes: number };

/**
 * Pushed over socket.io while a bulk job runs (event "baton", type "bulk.progress"), at most
 * every 150 ms and once at the end. `outcomes` holds only the outcomes settled since the
 * previous push: accumulate them. `done` counts all settled so far.
 */
/** A recent bulk job in the "Jobs" view. */
export type TBulkJobView = {
  jobId: string;
  operation: TBulkOperation;
  actorName: string;
  startedAt: string;
  finishedAt: string | null;
  throttleLimit: number;
  idleTimeoutSec: number | null;
  outputBufferingMode: "Block" | "Drop" | "None" | null;
  total: number;
  done: number;
  finished: boolean;
  cancelled: boolean;
  outcomes: TBulkOutcome[];
  /** Sessions whose Receive output the job keeps (downloadable as one archive). */
  receivedSessions: number;
  /**
   * False when this console no longer keeps the job's Receive output (kept in the memory of the
   * console that ran it, for its recent jobs, until it restarts): the outcomes stay listed, each
   * session's transcript has the output.
   */
  outputKept: boolean;
};

export type TBulkProgress = { jobId: string; operation: TBulkOperation; total: number; done: number; outcomes: TBulkOutcome[]; finished: boolean };

/** Receive-PSSession's answer. `offset`: where the returned output starts in the session's output stream. */
export type TReceiveResult = { session: TSessionRow; output: string; encoding: "utf8" | "base64"; offset: number; outputBytes: number; droppedBytes: number };

/**
 * The stored, searchable form of a session name (`Session.nameKey`): lower-cased, and the three
 * characters LIKE treats specially (`_` and `%`, and `\`, PostgreSQL's escape) each replaced by a
 * private-use character. Prisma's startsWith/contains/endsWith become LIKE without escaping what
 * they are given; a pattern's literal text goes through this too, so `Build_*` cannot select
 * `BuildX01` and `50%*` cannot select `50 days`. Names that hold none of the three (nearly all)
 * keep their lower-cased form.
 */
export function sessionNameKey(text: string): string {
  return text.toLowerCase().replace(/[_%\\]/g, (c) => NAME_KEY_STAND_INS[c as keyof typeof NAME_KEY_STAND_INS]);
}
/** Kept in step with the migration 20261201151000_session_name_key_like_safe, which rewrote stored keys. */
const NAME_KEY_STAND_INS = { _: "\uE05F", "%": "\uE025", "\\": "\uE05C" } as const;

/**
 * A session name filter over one name, exactly (lib/data/sessions/list-sessions.ts's nameWhere
 * says the same to the database over `sessionNameKey`): case-insensitive, `*` and `?` match any
 * run of characters, and nothing else is a wildcard. A bulk job's targets are checked again
 * with it all the same, where an exact answer matters most.
 */
export function nameMatches(name: string, pattern: string): boolean {
  const n = name.toLowerCase();
  const p = pattern.toLowerCase();
  if (!p.includes("*") && !p.includes("?")) return n === p;
  const parts = p.split(/[*?]+/);
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (first && !n.startsWith(first)) return false;
  if (last && !n.endsWith(last)) return false;
  return parts.slice(1, -1).every((mid) => !mid || n.includes(mid));
}
