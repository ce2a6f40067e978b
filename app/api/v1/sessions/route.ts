import { apiAction, apiRead } from "@/lib/api/route";
import { AREA_ROLES } from "@/lib/auth/roles";
import { listSessions } from "@/lib/data/sessions/list-sessions";
import { ZSessionFilters } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { newSessionDef } from "@/lib/sessions/session-actions";

// GET /api/v1/sessions?computer=&name=&state=&availability=&owner=&handed=&sort=&dir=&page=&pageSize=
export const GET = apiRead(AREA_ROLES.sessions, async ({ user, url }) => {
  const parsed = ZSessionFilters.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("INVALID_INPUT", `Filter ${issue.path.join(".")}: ${issue.message}`);
  }
  return listSessions({ actor: user, filters: parsed.data });
});

export const POST = apiAction(newSessionDef, ({ body }) => body, { status: 201 });
