import { z } from "zod";
import { BULK_OPERATIONS } from "@/lib/dto/sessions";

// Live events notify; they are not a second store. Each names what changed, plus small fields
// when they save the browser a round trip. Clients update or invalidate the matching query.
export const ZLiveEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("user.created"), id: z.string() }),
  z.object({ type: z.literal("user.updated"), id: z.string() }),
  z.object({ type: z.literal("audit.appended"), seq: z.number().int() }),
  z.object({ type: z.literal("computer.updated"), id: z.string() }),
  z.object({ type: z.literal("session.updated"), id: z.string(), state: z.string().optional() }),
  z.object({ type: z.literal("session.removed"), id: z.string() }),
  z.object({ type: z.literal("handoff.received"), id: z.string(), name: z.string(), computerName: z.string(), from: z.string(), reason: z.string() }),
  z.object({ type: z.literal("session.taken-over"), id: z.string(), name: z.string(), computerName: z.string(), by: z.string(), reason: z.string() }),
  z.object({
    type: z.literal("bulk.progress"),
    jobId: z.string(),
    operation: z.enum(BULK_OPERATIONS),
    total: z.number().int(),
    done: z.number().int(),
    finished: z.boolean(),
    outcomes: z.array(
      z.object({
        sessionId: z.string(),
        name: z.string(),
        computerName: z.string(),
        ok: z.boolean(),
        state: z.string().nullable(),
        error: z.string().nullable(),
        cancelled: z.literal(true).optional(),
      }),
    ),
  }),
]);
export type TLiveEvent = z.infer<typeof ZLiveEvent>;

export const LIVE_EVENT = "baton";

// Rooms a socket joins on connect; publishers address rooms, never individual sockets.
export const roomForUser = (userId: string) => `user:${userId}`;
export const roomForRole = (role: string) => `role:${role}`;
