import { apiAction, apiRead } from "@/lib/api/route";
import { SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { bulkJobOf } from "@/lib/sessions/bulk";
import { cancelBulkDef } from "@/lib/sessions/session-actions";

const WAIT_MS = 25_000;

// A job lives in the memory of the console instance that runs it (as for the console's own page).
export const GET = apiRead(SESSION_ACTOR_ROLES, async ({ user, url, params }) => {
  const wait = url.searchParams.get("wait");
  if (wait !== null && wait !== "0" && wait !== "1") throw new AppError("INVALID_INPUT", `wait must be 0 or 1, not ${JSON.stringify(wait.slice(0, 20))}.`);
  let job = bulkJobOf(user, params.jobId);
  if (!job) throw new AppError("NOT_FOUND", `No bulk job of yours with id ${params.jobId.slice(0, 60)} on this console.`);
  if (wait === "1" && !job.finished) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([job.done, new Promise((r) => (timer = setTimeout(r, WAIT_MS)))]).finally(() => clearTimeout(timer));
    job = bulkJobOf(user, params.jobId) ?? job;
  }
  return { operation: job.operation, total: job.total, finished: job.finished, outcomes: job.outcomes };
});

export const DELETE = apiAction(cancelBulkDef, ({ params }) => ({ jobId: params.jobId }));
