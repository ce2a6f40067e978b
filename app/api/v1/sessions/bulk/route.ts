import { apiAction } from "@/lib/api/route";
import { startBulkDef } from "@/lib/sessions/session-actions";

// Starts the job and answers at once with its id; GET /api/v1/sessions/bulk/{jobId} follows it.
export const POST = apiAction(startBulkDef, ({ body }) => body, { status: 202 });
