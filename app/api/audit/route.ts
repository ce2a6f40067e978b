import { z } from "zod";
import { listAuditEvents } from "@/lib/data/audit/list-audit-events";
import { AppError } from "@/lib/errors";
import { readRoute } from "@/lib/http/route-handler";

const ZQuery = z.object({ before: z.coerce.number().int().positive().optional() });

export const GET = readRoute(["auditor", "admin"], ({ user, url }) => {
  const q = ZQuery.safeParse(Object.fromEntries(url.searchParams));
  if (!q.success) throw new AppError("INVALID_INPUT", "before must be a positive event number");
  return listAuditEvents({ actor: user, before: q.data.before });
});
