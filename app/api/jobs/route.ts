import { AREA_ROLES } from "@/lib/auth/roles";
import { readRoute } from "@/lib/http/route-handler";
import { listBulkJobs } from "@/lib/sessions/bulk";

// The Jobs view's data: this user's recent bulk jobs (from the database: any console instance
// ran them), refreshed on each bulk.progress.
export const GET = readRoute(AREA_ROLES.jobs, async ({ user }) => listBulkJobs(user));
