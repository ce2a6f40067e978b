import { apiAction, apiRead } from "@/lib/api/route";
import { AREA_ROLES } from "@/lib/auth/roles";
import { getSessionDetail } from "@/lib/data/sessions/get-session-detail";
import { removeSessionDef } from "@/lib/sessions/session-actions";

export const GET = apiRead(AREA_ROLES.sessions, ({ user, params }) => getSessionDetail({ actor: user, id: params.id }));

export const DELETE = apiAction(removeSessionDef, ({ params }) => ({ sessionId: params.id }));
