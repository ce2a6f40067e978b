import path from "node:path";
import { DEMO_USERS } from "../../lib/auth/demo-accounts";
import type { TRole } from "../../lib/auth/roles";

export const storageStateFor = (role: TRole) => path.join(import.meta.dirname, "..", ".auth", `${role}.json`);
export const demoUser = (role: TRole) => {
  const u = DEMO_USERS.find((d) => d.role === role);
  if (!u) throw new Error(`no demo user for ${role}`);
  return u;
};
