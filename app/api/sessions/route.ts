import { AREA_ROLES } from "@/lib/auth/roles";
import { listSessions } from "@/lib/data/sessions/list-sessions";
import { ZSessionFilters } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { readRoute } from "@/lib/http/route-handler";

export const GET = readRoute(AREA_ROLES.sessions, ({ user, url }) => {
  const parsed = ZSessionFilters.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("INVALID_INPUT", `Filter ${issue.path.join(".")}: ${issue.message}`);
  }
  return listSessions({ actor: user, filters: parsed.data });
});
