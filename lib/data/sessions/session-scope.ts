import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError } from "@/lib/errors";

// Which sessions a viewer may see, as a where clause: the permission check lives in the query.
export function visibleSessionsWhere(viewer: TSessionUser): Prisma.SessionWhereInput {
  switch (viewer.role) {
    case "manager":
    case "admin":
    case "helpdesk":
      return {};
    case "technician":
      return { OR: [{ ownerId: viewer.id }, { holderId: viewer.id }, { handoffs: { some: { toUserId: viewer.id, endedAt: null } } }] };
    case "auditor":
      throw new AppError("FORBIDDEN", "Auditors read sessions through the audit trail.");
  }
}
