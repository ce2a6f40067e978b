import { z } from "zod";
import { BULK_OPERATIONS, ZSessionFilters } from "@/lib/dto/sessions";
import { refuseInvisible, ZSessionName } from "@/lib/protocol";
import { ZUsername } from "@/lib/data/users/schemas";
import { ZHandOffReason, ZTakeOverReason } from "@/lib/sessions/reason";

// Inputs of the session server actions. Numbers arrive as numbers: forms convert their text
// with parseDecimal, so a string, an array or NaN here is refused, never coerced ("0x3c", [60]).
const ZId = z.string().regex(/^[a-z0-9]{20,40}$/, "is not a valid id");
const ZIdle = z
  .number({ error: "must be a number of seconds" })
  .int("must be a whole number of seconds")
  .min(1, "must be positive")
  .max(2_147_483, "is too large");
const ZMode = z.enum(["Block", "Drop", "None"], { message: "must be Block, Drop or None" });

export const ZSessionRef = z.object({ sessionId: ZId });

/** Receive: the output as text (the console's pages) or base64, byte for byte (the REST API, the CLI). */
export const ZReceive = ZSessionRef.extend({ encoding: z.enum(["utf8", "base64"], { message: "must be utf8 or base64" }).optional() });

export const ZNewSession = z.object({
  computerId: ZId,
  name: ZSessionName,
  configurationName: z.string().min(1, "is required").max(128).superRefine(refuseInvisible),
  idleTimeoutSec: ZIdle.optional(),
  outputBufferingMode: ZMode.optional(),
});

export const ZAskBeforeWatching = ZSessionRef.extend({ askBeforeWatching: z.boolean() });

export const ZDisconnect = ZSessionRef.extend({ idleTimeoutSec: ZIdle.optional(), outputBufferingMode: ZMode.optional() });

export const ZRunCommand = ZSessionRef.extend({
  command: z.string().min(1, "is required").max(16_384, "must be at most 16 KB").refine((s) => !s.includes("\u0000"), "must not contain NUL"),
  inDisconnectedSession: z.boolean().optional(),
});

// Paging is not part of a selection (and arrives from the URL as text).
const ZSelectionFilters = ZSessionFilters.omit({ page: true, pageSize: true, sort: true, dir: true });

const ZSelection = z
  .object({
    operation: z.enum(BULK_OPERATIONS),
    sessionIds: z.array(ZId).max(10_000, "at most 10,000 sessions at once").optional(),
    filters: ZSelectionFilters.optional(),
  })
  .refine((v) => (v.sessionIds?.length ?? 0) > 0 || v.filters, { message: "select sessions or a filter", path: ["sessionIds"] });

export const ZPreviewBulk = ZSelection;

export const ZStartBulk = z
  .object({
    operation: z.enum(BULK_OPERATIONS),
    sessionIds: z.array(ZId).max(10_000, "at most 10,000 sessions at once").optional(),
    filters: ZSelectionFilters.optional(),
    throttleLimit: z.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").max(256, "must be at most 256").default(32),
    idleTimeoutSec: ZIdle.optional(),
    outputBufferingMode: ZMode.optional(),
  })
  .refine((v) => (v.sessionIds?.length ?? 0) > 0 || v.filters, { message: "select sessions or a filter", path: ["sessionIds"] });

export const ZBulkJobRef = z.object({ jobId: z.uuid("is not a valid job id") });
/** One session's output from a bulk Receive job. */
export const ZBulkReceived = ZSessionRef.extend(ZBulkJobRef.shape);

export const ZHandOff = ZSessionRef.extend({
  toUsername: ZUsername,
  reason: ZHandOffReason,
});

export const ZTakeOver = ZSessionRef.extend({
  reason: ZTakeOverReason,
});
