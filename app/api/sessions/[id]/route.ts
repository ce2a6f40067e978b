import { AREA_ROLES } from "@/lib/auth/roles";
import { getSessionDetail } from "@/lib/data/sessions/get-session-detail";
import { readRoute } from "@/lib/http/route-handler";

export const GET = (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  readRoute(AREA_ROLES.sessions, async ({ user }) => getSessionDetail({ actor: user, id: (await params).id }))(request);
