import "server-only";
import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { env, isPostgresUrl } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { assertAuditReader } from "@/lib/data/audit/access";
import type { TCommandSearch } from "@/lib/data/audit/schemas";

export type TCommandHit = {
  id: string;
  command: string;
  actorName: string | null;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  outputTruncated: boolean;
  sessionId: string;
  sessionName: string;
  computerName: string;
};
export type TCommandSearchPage = { rows: TCommandHit[]; older: string | null; newer: string | null };

const select = {
  id: true,
  command: true,
  startedAt: true,
  endedAt: true,
  exitCode: true,
  outputTruncated: true,
  sessionId: true,
  actor: { select: { username: true } },
  session: { select: { name: true, computer: { select: { name: true } } } },
} satisfies Prisma.SessionCommandSelect;

const toHit = (c: Prisma.SessionCommandGetPayload<{ select: typeof select }>): TCommandHit => ({
  id: c.id,
  command: c.command,
  actorName: c.actor?.username ?? null,
  startedAt: c.startedAt.toISOString(),
  endedAt: c.endedAt?.toISOString() ?? null,
  exitCode: c.exitCode,
  outputTruncated: c.outputTruncated,
  sessionId: c.sessionId,
  sessionName: c.session.name,
  computerName: c.session.computer.name,
});

/**
 * Commands whose text contains `q` (case-insensitive on both databases: SQLite's LIKE is,
 * PostgreSQL needs `mode`), newest first, keyset-paged by (startedAt, id) with a command id as
 * the cursor. Without `q`, every command, newest first. Auditors and admins only.
 */
export async function searchCommands({ actor, query }: { actor: TSessionUser; query: TCommandSearch }): Promise<TCommandSearchPage> {
  assertAuditReader(actor);
  const size = query.size;
  const match: Prisma.SessionCommandWhereInput = query.q
    ? // The SQLite client's types lack `mode`; the PostgreSQL client (same model API) takes it.
      { command: isPostgresUrl(env().DATABASE_URL) ? ({ contains: query.q, mode: "insensitive" } as unknown as Prisma.StringFilter) : { contains: query.q } }
    : {};
  const cursorId = query.before ?? query.after;
  const cursor = cursorId ? await db.sessionCommand.findUnique({ where: { id: cursorId }, select: { id: true, startedAt: true } }) : null;
  if (cursorId && !cursor) throw new AppError("INVALID_INPUT", `The parameter “${query.before ? "before" : "after"}” names command ${cursorId}, which does not exist.`);
  const older = (c: { id: string; startedAt: Date }): Prisma.SessionCommandWhereInput => ({
    startedAt: { lte: c.startedAt },
    OR: [{ startedAt: { lt: c.startedAt } }, { id: { lt: c.id } }],
  });
  const newer = (c: { id: string; startedAt: Date }): Prisma.SessionCommandWhereInput => ({
    startedAt: { gte: c.startedAt },
    OR: [{ startedAt: { gt: c.startedAt } }, { id: { gt: c.id } }],
  });
  const exists = async (extra: Prisma.SessionCommandWhereInput) => (await db.sessionCommand.findFirst({ where: { AND: [match, extra] }, select: { id: true } })) !== null;

  if (query.after && cursor) {
    const found = await db.sessionCommand.findMany({ where: { AND: [match, newer(cursor)] }, orderBy: [{ startedAt: "asc" }, { id: "asc" }], take: size + 1, select });
    const rows = found.slice(0, size).reverse().map(toHit);
    const last = rows.at(-1);
    if (!last) return { rows, older: null, newer: null };
    const hasOlder = await exists(older({ id: last.id, startedAt: new Date(last.startedAt) }));
    return { rows, newer: found.length > size ? rows[0].id : null, older: hasOlder ? last.id : null };
  }
  const found = await db.sessionCommand.findMany({
    where: cursor ? { AND: [match, older(cursor)] } : match,
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: size + 1,
    select,
  });
  const rows = found.slice(0, size).map(toHit);
  const first = rows[0];
  if (!first) return { rows, older: null, newer: null };
  const hasNewer = cursor ? await exists(newer({ id: first.id, startedAt: new Date(first.startedAt) })) : false;
  return { rows, older: found.length > size ? rows[rows.length - 1].id : null, newer: hasNewer ? first.id : null };
}
