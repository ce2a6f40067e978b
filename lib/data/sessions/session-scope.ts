import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError } from "@/lib/errors";

/**
 * Which sessions a viewer may see, or null when they see every session: the sessions matching
 * any of `sessions`, and those of the open handoffs matching `handoffs`. Each condition names the
 * viewer, so the permission check lives in the query. The sessions list runs each as its own
 * query (as one OR with a handoff subquery, no index serves them in a page's order).
 */
export function sessionScope(viewer: TSessionUser): { sessions: Prisma.SessionWhereInput[]; handoffs: Prisma.HandoffWhereInput } | null {
  switch (viewer.role) {
    case "manager":
    case "admin":
    case "helpdesk":
      return null;
    case "technician":
      return { sessions: [{ ownerId: viewer.id }, { holderId: viewer.id }], handoffs: { toUserId: viewer.id, endedAt: null } };
    case "auditor":
      throw new AppError("FORBIDDEN", "Auditors read sessions through the audit trail.");
  }
}

// Which sessions a viewer may see, as a where clause: the permission check lives in the query.
export function visibleSessionsWhere(viewer: TSessionUser): Prisma.SessionWhereInput {
  const scope = sessionScope(viewer);
  return scope ? { OR: [...scope.sessions, { handoffs: { some: scope.handoffs } }] } : {};
}
