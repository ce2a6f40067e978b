import { apiAction, apiRead } from "@/lib/api/route";
import { SESSION_ACTOR_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { bulkJobOf } from "@/lib/sessions/bulk";
import { ZBulkJobRef } from "@/lib/sessions/schemas";
import { cancelBulkDef } from "@/lib/sessions/session-actions";

const WAIT_MS = 25_000;
/** A job another console instance runs: its outcomes reach the database a batch at a time. */
const POLL_MS = 1_000;

// A job is read from the database, whichever console instance runs or ran it; one this instance
// runs answers from its memory (and wait=1 returns the moment it finishes).
export const GET = apiRead(SESSION_ACTOR_ROLES, async ({ user, url, params }) => {
  const wait = url.searchParams.get("wait");
  if (wait !== null && wait !== "0" && wait !== "1") throw new AppError("INVALID_INPUT", `wait must be 0 or 1, not ${JSON.stringify(wait.slice(0, 20))}.`);
  const ref = ZBulkJobRef.safeParse({ jobId: params.jobId });
  if (!ref.success) throw new AppError("INVALID_INPUT", `Job id ${JSON.stringify(String(params.jobId).slice(0, 60))} is not a valid job id (a UUID).`);
  let job = await bulkJobOf(user, ref.data.jobId);
  if (!job) throw new AppError("NOT_FOUND", `No bulk job of yours with id ${ref.data.jobId}.`);
  const until = Date.now() + WAIT_MS;
  while (wait === "1" && !job.finished && Date.now() < until) {
    let timer: NodeJS.Timeout | undefined;
    // This instance's job says when it finishes; another instance's is looked at again each second.
    const pause = new Promise((r) => (timer = setTimeout(r, job!.done ? until - Date.now() : POLL_MS)));
    await Promise.race(job.done ? [job.done, pause] : [pause]).finally(() => clearTimeout(timer));
    job = (await bulkJobOf(user, ref.data.jobId)) ?? job;
  }
  return { operation: job.operation, total: job.total, finished: job.finished, outcomes: job.outcomes };
});

export const DELETE = apiAction(cancelBulkDef, ({ params }) => ({ jobId: params.jobId }));
