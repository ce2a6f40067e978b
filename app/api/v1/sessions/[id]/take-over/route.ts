import { apiAction } from "@/lib/api/route";
import { takeOverSessionDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(takeOverSessionDef, ({ params, body }) => ({ ...body, sessionId: params.id }));
