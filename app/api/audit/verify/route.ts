import { AREA_ROLES } from "@/lib/auth/roles";
import { verifyAuditTrail } from "@/lib/data/audit/verify-audit-trail";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit/verify: walks the whole hash chain (the page's badge calls it after loading,
// so the page itself never waits for a full verification).
export const GET = readRoute(AREA_ROLES.audit, ({ user }) => verifyAuditTrail({ actor: user }));
