import "server-only";
import { hashPassword } from "@/lib/auth/password";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { TCreateUser } from "@/lib/data/users/schemas";

export async function createUser({ actor, input }: { actor: TSessionUser; input: TCreateUser }) {
  if (actor.role !== "admin") throw new AppError("FORBIDDEN", "Only admins may create users.");
  const existing = await db.user.findUnique({ where: { username: input.username }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `A user named ${input.username} already exists.`, { username: ["is taken"] });
  return db.user.create({
    data: {
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      team: input.team ?? null,
      passwordHash: await hashPassword(input.password),
    },
    select: { id: true, username: true, role: true },
  });
}
