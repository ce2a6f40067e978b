import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AREA_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";

// Who may read the audit trail, command history and transcripts (DESIGN.md "Who may do what").
// Every data function in lib/data/audit calls this first, whatever page or route called it.
export function assertAuditReader(actor: TSessionUser): void {
  if (!AREA_ROLES.audit.includes(actor.role)) throw new AppError("FORBIDDEN", `Your role (${actor.role}) may not read the audit trail.`);
}
