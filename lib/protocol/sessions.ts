import { z } from "zod";
import { refuseInvisible, ZDecimalString } from "./hygiene";

/**
 * Printable text: no C0/C1 control characters, bidi controls or zero-width characters (names
 * end up in logs, tables and audit rows, and must read as what they are).
 */
const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]+$/u, "must not contain control characters")
    .superRefine(refuseInvisible)
    .refine((s) => s.trim() === s, "must not start or end with whitespace");

export const ZSessionName = printable(128);
export const ZConfigurationName = printable(128);

export const ZSessionState = z.enum(["Opened", "Disconnected", "Broken", "Closed", "Connecting", "Disconnecting"]);
export type TSessionState = z.infer<typeof ZSessionState>;

export const ZAvailability = z.enum(["Available", "Busy", "None"]);
export type TAvailability = z.infer<typeof ZAvailability>;

/** `None` on a request means "use the session configuration's mode". A session always has Block or Drop. */
export const ZOutputBufferingMode = z.enum(["Block", "Drop", "None"]);
export type TOutputBufferingMode = z.infer<typeof ZOutputBufferingMode>;
export const ZEffectiveBufferingMode = z.enum(["Block", "Drop"]);
export type TEffectiveBufferingMode = z.infer<typeof ZEffectiveBufferingMode>;

/** The user the console acts for, as stated on each request. */
export const ZActingUser = z.object({
  id: printable(128),
  name: printable(256),
  roles: z.array(printable(64)).max(32).default([]),
});
export type TActingUser = z.infer<typeof ZActingUser>;

export const ZUserRef = z.object({ id: z.string(), name: z.string() });
export type TUserRef = z.infer<typeof ZUserRef>;

export const ZCommandInfo = z.object({
  id: z.string(),
  /**
   * The command line: the text given to `run`, or the line bash read at its prompt from input
   * typed through `input`. Null for a typed line the shell did not report (kept out of its history).
   */
  command: z.string().nullable(),
  startedOn: z.iso.datetime(),
  /** `run` (POST …/run) or `terminal` (typed through `input`). Absent from agents that predate it. */
  source: z.enum(["run", "terminal"]).optional(),
  /** Terminal lines: the user whose input ended the line (sent its Enter); null when unknown. */
  typedBy: ZUserRef.nullable().optional(),
  /** The shell reported only the first 64 KiB of the line. */
  commandTruncated: z.boolean().optional(),
});
export type TCommandInfo = z.infer<typeof ZCommandInfo>;

/** Control keys the agent records (by name only) when they arrive through `input`. */
export const ZControlKey = z.enum(["Ctrl-C", "Ctrl-D", "Ctrl-Z", "Ctrl-\\"]);
export type TControlKey = z.infer<typeof ZControlKey>;

/** Control keys sent by one user, aggregated: at most one report per key, user and session per second. */
export const ZControlInput = z.object({
  key: ZControlKey,
  /** Presses this report stands for (more than 1 when a key was held or repeated within the second). */
  count: z.number().int().positive(),
  by: ZUserRef,
  /** The command running when the first of these presses arrived; null at the prompt. */
  command: ZCommandInfo.nullable(),
});
export type TControlInput = z.infer<typeof ZControlInput>;

export const ZFinishedCommand = ZCommandInfo.extend({
  exitCode: z.number().int(),
  finishedOn: z.iso.datetime(),
});
export type TFinishedCommand = z.infer<typeof ZFinishedCommand>;

/**
 * What the agent knows about a session, independent of who is looking. Sent in every
 * session event so the console can update its store without a round trip.
 */
export const ZSessionSnapshot = z.object({
  /** Small integer, unique per agent run (like PSSession.Id). */
  id: z.number().int().positive(),
  /** Globally unique (like PSSession.InstanceId). */
  instanceId: z.uuid(),
  name: z.string(),
  configurationName: z.string(),
  computerName: z.string(),
  owner: ZUserRef,
  /** Who the session is attached to; null while disconnected. */
  holder: ZUserRef.nullable(),
  state: ZSessionState,
  /** Why the session is Broken or Closed. */
  reason: z.string().nullable(),
  idleTimeoutSec: z.number().int(),
  outputBufferingMode: ZEffectiveBufferingMode,
  createdOn: z.iso.datetime(),
  disconnectedOn: z.iso.datetime().nullable(),
  expiresOn: z.iso.datetime().nullable(),
  /** Output waiting in the session's buffer. */
  bufferedBytes: z.number().int().nonnegative(),
  bufferSizeBytes: z.number().int().positive(),
  /** True while a Block-mode buffer is full and the shell's output is held back. */
  outputBlocked: z.boolean(),
  /** Bytes dropped (Drop mode) and not yet reported by a Receive. */
  droppedBytes: z.number().int().nonnegative(),
  totalDroppedBytes: z.number().int().nonnegative(),
  /** Total output bytes the shell produced (offset of the next byte). */
  outputOffset: z.number().int().nonnegative(),
  /** The holder's cursor: output before it was shown to the holder (acked or received) or dropped. */
  seenOffset: z.number().int().nonnegative().optional(),
  /** Offset of the oldest output still retained for replay. */
  retainedFromOffset: z.number().int().nonnegative().optional(),
  /** How much output the session retains for replay (the configuration's outputRetainBytes, at least the buffer size). */
  retainBytes: z.number().int().nonnegative().optional(),
  command: ZCommandInfo.nullable(),
  lastCommand: ZFinishedCommand.nullable(),
  cwd: z.string().nullable(),
  pid: z.number().int().nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  /**
   * Orders this session's snapshots: it grows with every snapshot the agent takes (events and
   * answers alike), so of two snapshots the higher version is the later state. Per agent run;
   * absent from agents that predate it.
   */
  version: z.number().int().positive().optional(),
});
export type TSessionSnapshot = z.infer<typeof ZSessionSnapshot>;

/** A snapshot as one user sees it (PowerShell semantics: attached elsewhere reads Disconnected/Busy). */
export const ZSessionView = ZSessionSnapshot.extend({
  viewState: ZSessionState,
  availability: ZAvailability,
});
export type TSessionView = z.infer<typeof ZSessionView>;

const idleTimeoutSec = z.number().int().min(0).max(2_147_483);

export const ZNewSessionRequest = z.strictObject({
  name: ZSessionName,
  configurationName: ZConfigurationName.optional(),
  idleTimeoutSec: idleTimeoutSec.optional(),
  outputBufferingMode: ZOutputBufferingMode.optional(),
  cols: z.number().int().min(10).max(1000).optional(),
  rows: z.number().int().min(2).max(500).optional(),
});
export type TNewSessionRequest = z.infer<typeof ZNewSessionRequest>;

export const ZRunRequest = z.strictObject({
  command: z
    .string()
    .min(1)
    .max(64 * 1024)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL"),
  /** Start the command, then disconnect at once (Invoke-Command -InDisconnectedSession). */
  inDisconnectedSession: z.boolean().optional(),
  idleTimeoutSec: idleTimeoutSec.optional(),
  outputBufferingMode: ZOutputBufferingMode.optional(),
});
export type TRunRequest = z.infer<typeof ZRunRequest>;

export const ZDisconnectRequest = z.strictObject({
  idleTimeoutSec: idleTimeoutSec.optional(),
  outputBufferingMode: ZOutputBufferingMode.optional(),
});
export type TDisconnectRequest = z.infer<typeof ZDisconnectRequest>;

export const ZConnectRequest = z.strictObject({
  /**
   * Take the session over from the user it is attached to (manager or admin only). The other
   * user is detached first (event "disconnected", reason "taken over by …"); commands keep running.
   */
  force: z.boolean().optional(),
});
export type TConnectRequest = z.infer<typeof ZConnectRequest>;
export const ZReceiveRequest = z.strictObject({});
export const ZRemoveRequest = z.strictObject({
  /** Remove even when attached to another user (a manager ending someone's session). */
  force: z.boolean().optional(),
});
export type TRemoveRequest = z.infer<typeof ZRemoveRequest>;

export const ZInputRequest = z.strictObject({
  /** Raw terminal input (keystrokes), UTF-8. */
  data: z.string().min(1).max(64 * 1024),
});
export type TInputRequest = z.infer<typeof ZInputRequest>;

export const ZResizeRequest = z.strictObject({
  cols: z.number().int().min(10).max(1000),
  rows: z.number().int().min(2).max(500),
});
export type TResizeRequest = z.infer<typeof ZResizeRequest>;

/** Query string of GET /v1/sessions. `name` accepts * and ? wildcards (case-insensitive, like Get-PSSession). */
export const ZListSessionsQuery = z.strictObject({
  name: z.string().max(256).optional(),
  id: ZDecimalString.pipe(z.number().int().positive()).optional(),
  instanceId: z.uuid().optional(),
  state: ZSessionState.optional(),
});
export type TListSessionsQuery = z.infer<typeof ZListSessionsQuery>;

export const ZSessionResponse = z.object({ session: ZSessionView });
export type TSessionResponse = z.infer<typeof ZSessionResponse>;
export const ZSessionListResponse = z.object({ sessions: z.array(ZSessionView) });
export type TSessionListResponse = z.infer<typeof ZSessionListResponse>;

export const ZRunResponse = z.object({ commandId: z.string(), session: ZSessionView });
export type TRunResponse = z.infer<typeof ZRunResponse>;

export const ZReceiveResponse = z.object({
  session: ZSessionView,
  /** Output offset of the first returned byte; bytes before it were delivered or dropped. */
  offset: z.number().int().nonnegative(),
  /** Buffered output, base64, in the order the shell produced it. */
  output: z.string(),
  outputBytes: z.number().int().nonnegative(),
  /** Bytes discarded (Drop mode) since the previous Receive. */
  droppedBytes: z.number().int().nonnegative(),
});
export type TReceiveResponse = z.infer<typeof ZReceiveResponse>;

/** Offsets: decimal digits only in a query string (no signs, hex, exponents or arrays). */
const offsetParam = z
  .string()
  .regex(/^\d{1,15}$/, "must be a non-negative decimal integer")
  .transform(Number);

/** Most output one GET /v1/sessions/:ref/output returns; a client reads on from `offset + outputBytes`. */
export const OUTPUT_READ_MAX_BYTES = 4 * 1024 * 1024;

/** Query string of GET /v1/sessions/:ref/output. */
export const ZOutputQuery = z.strictObject({
  from: offsetParam,
  max: offsetParam.pipe(z.number().int().min(1).max(OUTPUT_READ_MAX_BYTES)).optional(),
});
export type TOutputQuery = z.infer<typeof ZOutputQuery>;

export const ZOutputResponse = z.object({
  /** Offset of the first returned byte (later than `from` when bytes before it are gone). */
  offset: z.number().int().nonnegative(),
  output: z.string(),
  outputBytes: z.number().int().nonnegative(),
  /** Offset of the next byte the shell will produce; live frames continue from here. */
  end: z.number().int().nonnegative(),
  /** Of the bytes between `from` and `offset`: discarded in Drop mode. */
  droppedBytes: z.number().int().nonnegative(),
  /** Of the bytes between `from` and `offset`: older than the retained window. */
  expiredBytes: z.number().int().nonnegative(),
  retainedFromOffset: z.number().int().nonnegative(),
  seenOffset: z.number().int().nonnegative(),
  state: ZSessionState,
});
export type TOutputResponse = z.infer<typeof ZOutputResponse>;

export const ZAckRequest = z.strictObject({
  /** Every byte before this offset was shown to the holder. */
  offset: z.number().int().nonnegative(),
});
export type TAckRequest = z.infer<typeof ZAckRequest>;

export const ZAckResponse = z.object({
  seenOffset: z.number().int().nonnegative(),
  outputOffset: z.number().int().nonnegative(),
});
export type TAckResponse = z.infer<typeof ZAckResponse>;

export const ZRedrawResponse = z.object({ redrawn: z.boolean() });

/** Streams that may watch one session at once (each is a console instance, not a browser). */
export const MAX_WATCH_STREAMS_PER_SESSION = 32;

export const ZWatchRequest = z.strictObject({});

/** POST /v1/sessions/:ref/watch and /unwatch: whether the stream now gets the session's live output. */
export const ZWatchResponse = z.object({
  watching: z.boolean(),
  /** Offset of the next byte: live frames to the stream continue from here; older bytes come from `output`. */
  outputOffset: z.number().int().nonnegative(),
  watchStreams: z.number().int().nonnegative(),
});
export type TWatchResponse = z.infer<typeof ZWatchResponse>;

/** POST /v1/sessions/:ref/join: the holder lets another user type alongside them. */
export const ZJoinRequest = z.strictObject({ user: z.strictObject({ id: printable(128), name: printable(256) }) });
/** POST /v1/sessions/:ref/leave: the holder ends a join, or the joined user leaves. */
export const ZLeaveRequest = z.strictObject({ userId: printable(128) });
export const ZJoinResponse = z.object({ joined: z.array(z.object({ id: z.string(), name: z.string() })) });
export type TJoinResponse = z.infer<typeof ZJoinResponse>;
export type TJoinRequest = z.infer<typeof ZJoinRequest>;
export type TLeaveRequest = z.infer<typeof ZLeaveRequest>;
