import { apiAction } from "@/lib/api/route";
import { previewBulkDef } from "@/lib/sessions/session-actions";

// What an operation would do to each selected session, changing nothing (the console's bulk
// dialog and the CLI's --what-if and --confirm ask this).
export const POST = apiAction(previewBulkDef, ({ body }) => body);
