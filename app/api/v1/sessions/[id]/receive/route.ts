import { apiAction } from "@/lib/api/route";
import { receiveSessionDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(receiveSessionDef, ({ params, body }) => ({ ...body, sessionId: params.id }));
