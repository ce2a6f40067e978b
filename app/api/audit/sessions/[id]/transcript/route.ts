import { AREA_ROLES } from "@/lib/auth/roles";
import { getSessionTranscript } from "@/lib/data/audit/get-session-transcript";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit/sessions/:id/transcript?after=<command id>: commands with output, oldest first.
export const GET = (request: Request, { params }: { params: Promise<{ id: string }> }) =>
  readRoute(AREA_ROLES.audit, async ({ user, url }) =>
    getSessionTranscript({ actor: user, sessionId: (await params).id, after: url.searchParams.get("after") || undefined }),
  )(request);
