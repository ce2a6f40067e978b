import { z } from "zod";
import { ROLES } from "@/lib/auth/roles";
import { refuseInvisible } from "@/lib/protocol/hygiene";

/** Text people read as a name: no control characters, bidi controls or zero-width characters. */
const shownText = (schema: z.ZodString) => schema.regex(/^[^\p{Cc}]*$/u, "must not contain control characters").superRefine(refuseInvisible);

export const ZUsername = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(40, "must be at most 40 characters")
  .superRefine(refuseInvisible)
  .regex(/^[a-zA-Z0-9._-]+$/, "may contain letters, digits, dot, dash and underscore only");

export const ZCreateUser = z.object({
  username: ZUsername,
  displayName: shownText(z.string().trim().min(1, "is required").max(80, "must be at most 80 characters")),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(", ")}` }),
  team: shownText(z.string().trim().max(40)).optional().transform((v) => v || undefined),
  password: z.string().min(12, "must be at least 12 characters").max(200, "must be at most 200 characters"),
});
export type TCreateUser = z.infer<typeof ZCreateUser>;

export const ZSignIn = z.object({
  username: z.string().trim().min(1, "is required").max(40),
  password: z.string().min(1, "is required").max(200),
  next: z.string().max(300).optional(),
});
