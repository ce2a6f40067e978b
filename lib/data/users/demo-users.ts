import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { DEMO_USERS } from "@/lib/auth/demo-accounts";
import { db } from "@/lib/db/client";

export { DEMO_USERS };


export async function seedDemoUsers(): Promise<{ created: string[] }> {
  const created: string[] = [];
  for (const u of DEMO_USERS) {
    const exists = await db.user.findUnique({ where: { username: u.username }, select: { id: true } });
    if (exists) continue;
    const { password, ...rest } = u;
    await db.user.create({ data: { ...rest, passwordHash: await hashPassword(password) } });
    created.push(u.username);
  }
  return { created };
}

// Usernames whose password is still a published demo password.
export async function usersWithDemoPasswords(): Promise<string[]> {
  const found: string[] = [];
  for (const u of DEMO_USERS) {
    const row = await db.user.findUnique({ where: { username: u.username }, omit: { passwordHash: false } });
    if (row && (await verifyPassword(u.password, row.passwordHash))) found.push(u.username);
  }
  return found;
}
