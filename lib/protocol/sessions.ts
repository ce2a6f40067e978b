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
  /** The command text for `run`; null for commands typed interactively through `input`. */
  command: z.string().nullable(),
  startedOn: z.iso.datetime(),
});
export type TCommandInfo = z.infer<typeof ZCommandInfo>;

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
  command: ZCommandInfo.nullable(),
  lastCommand: ZFinishedCommand.nullable(),
  cwd: z.string().nullable(),
  pid: z.number().int().nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
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
