import { apiAction } from "@/lib/api/route";
import { disconnectSessionDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(disconnectSessionDef, ({ params, body }) => ({ ...body, sessionId: params.id }));
