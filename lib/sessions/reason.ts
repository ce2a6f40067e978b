import { z } from "zod";
import { refuseControl, refuseInvisible } from "@/lib/protocol/hygiene";

// Why someone acts on another person's session: a hand-off, a take-over, a request to join.
// One length limit and one set of character rules, checked by the server and, with the same
// schema, by the reason dialog before it sends. Safe for client components.

/** Longest reason, in characters, after trimming. */
export const REASON_MAX_CHARS = 500;

const limited = () => z.string().trim().max(REASON_MAX_CHARS, `must be at most ${REASON_MAX_CHARS} characters`);

/** A required reason: at least 3 characters (`hint` says what a good one looks like). */
export const requiredReason = (hint = "say why (at least 3 characters)") => limited().min(3, hint).superRefine(refuseInvisible);

export const ZHandOffReason = requiredReason("say why (at least 3 characters), e.g. a ticket number");
export const ZTakeOverReason = requiredReason();

/** A join request's reason: optional (empty is none), shown to the holder in one presence line. */
export const ZJoinReason = limited().superRefine(refuseInvisible).superRefine(refuseControl);
