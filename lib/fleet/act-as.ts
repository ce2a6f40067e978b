import type { TSessionUser } from "@/lib/auth/session-store";
import type { ActAs } from "@/lib/fleet/agent-client";

/** The identity the console asserts to an agent for a signed-in user. */
export const actAs = (u: TSessionUser): ActAs => ({ id: u.id, name: u.username, roles: [u.role] });
