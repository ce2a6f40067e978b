import { apiAction } from "@/lib/api/route";
import { runCommandDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(runCommandDef, ({ params, body }) => ({ ...body, sessionId: params.id }));
