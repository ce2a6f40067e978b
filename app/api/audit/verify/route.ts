import { AREA_ROLES } from "@/lib/auth/roles";
import { parseAuditVerifyMode, verifyAuditTrail } from "@/lib/data/audit/verify-audit-trail";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit/verify?mode=full|since-checkpoint: the whole hash chain by default; the page's
// badge asks for the routine check since the newest checkpoint after loading, and for a full
// one on request (the page itself never waits for either).
export const GET = readRoute(AREA_ROLES.audit, ({ user, url }) => verifyAuditTrail({ actor: user, mode: parseAuditVerifyMode(url.searchParams.get("mode")) }));
