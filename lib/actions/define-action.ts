import "server-only";
import type { z } from "zod";
import { getCurrentUser } from "@/lib/auth/current-user";
import { runAction, type TActionDef } from "@/lib/actions/run-action";
import type { TActionResult } from "@/lib/actions/result";
import { DB_UNAVAILABLE_MESSAGE, isDbUnavailable } from "@/lib/errors";

// Wraps an action definition into the function a "use server" file exports. The session is
// read from the request's cookie here, inside the action, never trusted from the caller.
// Without the database the session cannot be read: the action answers DB_UNAVAILABLE (the
// dialog stays open) instead of throwing, which would replace the page with the error page.
export function defineAction<S extends z.ZodType, T>(def: TActionDef<S, T>) {
  return async (raw: z.input<S>): Promise<TActionResult<T>> => {
    let user;
    try {
      user = await getCurrentUser();
    } catch (err) {
      if (!isDbUnavailable(err)) throw err;
      return { ok: false, code: "DB_UNAVAILABLE", error: DB_UNAVAILABLE_MESSAGE };
    }
    return runAction(def, user, raw);
  };
}
