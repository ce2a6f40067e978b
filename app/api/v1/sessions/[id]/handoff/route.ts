import { apiAction } from "@/lib/api/route";
import { handOffSessionDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(handOffSessionDef, ({ params, body }) => ({ ...body, sessionId: params.id }));
