import { apiRead } from "@/lib/api/route";
import { AREA_ROLES } from "@/lib/auth/roles";
import { listAuditEvents } from "@/lib/data/audit/list-audit-events";
import { parseAuditQuery } from "@/lib/data/audit/schemas";
import { AppError } from "@/lib/errors";

// GET /api/v1/audit?actor=&computer=&session=&action=&outcome=&from=&to=&before=|after=&size=
export const GET = apiRead(AREA_ROLES.audit, async ({ user, url }) => {
  const parsed = parseAuditQuery(url.searchParams);
  if (!parsed.ok) throw new AppError("INVALID_INPUT", parsed.problems.join(" "));
  return listAuditEvents({ actor: user, query: parsed.query });
});
