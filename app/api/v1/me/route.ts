import { ROLES } from "@/lib/auth/roles";
import { apiRead } from "@/lib/api/route";

export const GET = apiRead(ROLES, async ({ user }) => ({
  id: user.id,
  username: user.username,
  displayName: user.displayName,
  role: user.role,
  token: user.accessToken ? { id: user.accessToken.id, name: user.accessToken.name } : null,
}));
