import { listAuditEvents } from "@/lib/data/audit/list-audit-events";
import { parseAuditQuery } from "@/lib/data/audit/schemas";
import { AREA_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit?actor=&computer=&session=&action=&outcome=&from=&to=&before=|after=&size=
export const GET = readRoute(AREA_ROLES.audit, ({ user, url }) => {
  const parsed = parseAuditQuery(url.searchParams);
  if (!parsed.ok) throw new AppError("INVALID_INPUT", parsed.problems.join(" "));
  return listAuditEvents({ actor: user, query: parsed.query });
});
