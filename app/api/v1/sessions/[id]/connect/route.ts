import { apiAction } from "@/lib/api/route";
import { connectSessionDef } from "@/lib/sessions/session-actions";

export const POST = apiAction(connectSessionDef, ({ params }) => ({ sessionId: params.id }));
