import { z } from "zod";
import { ZAgentErrorBody } from "./errors";
import { ZConfigurationView, ZLeftoverReport } from "./configurations";
import { ZControlInput, ZFinishedCommand, ZSessionSnapshot } from "./sessions";

/** Why a session event was sent. */
export const ZSessionChange = z.enum([
  "created",
  "connected",
  "disconnected",
  "received",
  "command.started",
  "command.finished",
  "buffer.full",
  "buffer.resumed",
  /** While disconnected: the buffer's fill changed (sent at most every 2 s per session). */
  "buffered",
  "resized",
  "broken",
  "closed",
  /** A control key (Ctrl-C, Ctrl-D, Ctrl-Z, Ctrl-\) arrived through `input`; see `control`. */
  "input.control",
]);
export type TSessionChange = z.infer<typeof ZSessionChange>;

/** Text frames from agent to console (JSON). Output travels in binary frames, see `frames.ts`. */
export const ZStreamServerMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    streamId: z.uuid(),
    agent: z.object({ name: z.string(), version: z.string() }),
    heartbeatMs: z.number().int(),
    /** All sessions at connect time, so a reconnecting console can reconcile at once. */
    sessions: z.array(ZSessionSnapshot),
    /** Session processes a killed previous run left behind, ended at this run's start (as in health). Absent from older agents. */
    leftovers: ZLeftoverReport.nullable().optional(),
  }),
  z.object({
    type: z.literal("session.updated"),
    change: ZSessionChange,
    session: ZSessionSnapshot,
    /** Present for command.finished. */
    command: ZFinishedCommand.optional(),
    /** Present for input.control: which key, how often, from whom. */
    control: ZControlInput.optional(),
    /** Human-readable cause (e.g. "idle timeout of 60 s expired", "stream lost"). */
    reason: z.string().optional(),
    at: z.iso.datetime(),
  }),
  z.object({ type: z.literal("configuration.updated"), configuration: ZConfigurationView, at: z.iso.datetime() }),
  z.object({ type: z.literal("pong"), t: z.number().optional() }),
  z.object({ type: z.literal("error"), error: ZAgentErrorBody.shape.error }),
]);
export type TStreamServerMessage = z.infer<typeof ZStreamServerMessage>;
export type TSessionUpdatedMessage = Extract<TStreamServerMessage, { type: "session.updated" }>;

/** Text frames from console to agent. The agent also sends WebSocket pings; answer them (ws does). */
export const ZStreamClientMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ping"), t: z.number().optional() }),
]);
export type TStreamClientMessage = z.infer<typeof ZStreamClientMessage>;

/** Largest frame the agent accepts from a client; bigger ones close the stream with 1009. */
export const STREAM_MAX_CLIENT_FRAME_BYTES = 64 * 1024;
