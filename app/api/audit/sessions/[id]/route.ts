import { AREA_ROLES } from "@/lib/auth/roles";
import { getSessionTimeline } from "@/lib/data/audit/get-session-timeline";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit/sessions/:id: the session's timeline from the audit trail and history.
export const GET = (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  readRoute(AREA_ROLES.audit, async ({ user }) => getSessionTimeline({ actor: user, sessionId: (await params).id }))(request);
