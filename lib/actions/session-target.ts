import { db } from "@/lib/db/client";
import type { TAuditTarget } from "@/lib/actions/run-action";

const SESSION_ID = /^[a-z0-9]{20,40}$/;

/**
 * The session an action's raw input names (`sessionId`), looked up on its own so that a call
 * refused before or inside the handler (role, input, not found, not yours) is still recorded
 * against the session it aimed at. The actor is never told what was found: this is for the
 * audit trail only. An id that is malformed or names no session gives no target; the event's
 * parameters still carry what was sent.
 */
export async function sessionTargetOf(raw: unknown): Promise<TAuditTarget> {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return {};
  const id = (raw as { sessionId?: unknown }).sessionId;
  if (typeof id !== "string" || !SESSION_ID.test(id)) return {};
  const s = await db.session.findUnique({ where: { id }, select: { id: true, name: true, computer: { select: { name: true } } } });
  return s ? { sessionId: s.id, sessionName: s.name, computerName: s.computer.name } : {};
}
