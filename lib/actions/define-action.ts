import "server-only";
import type { z } from "zod";
import { getCurrentUser } from "@/lib/auth/current-user";
import { runAction, type TActionDef } from "@/lib/actions/run-action";
import type { TActionResult } from "@/lib/actions/result";

// Wraps an action definition into the function a "use server" file exports. The session is
// read from the request's cookie here, inside the action, never trusted from the caller.
export function defineAction<S extends z.ZodType, T>(def: TActionDef<S, T>) {
  return async (raw: z.input<S>): Promise<TActionResult<T>> => runAction(def, await getCurrentUser(), raw);
}
