import "server-only";
import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { assertAuditReader } from "@/lib/data/audit/access";

const ID = /^[a-z0-9]{20,40}$/;

export type TTranscriptCommand = {
  id: string;
  command: string;
  actorName: string | null;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  /** Neutralised when recorded (lib/audit/neutralise.ts): text, never terminal escapes. */
  output: string;
  outputTruncated: boolean;
};
export type TTranscriptPage = { commands: TTranscriptCommand[]; next: string | null };

/**
 * A session's commands with their output, oldest first, keyset-paged by (startedAt, id):
 * `after` is the last command id of the previous page. Output is bounded per command when
 * recorded, so a page's size is bounded too. Auditors and admins only.
 */
export async function getSessionTranscript({ actor, sessionId, after, take = 25 }: { actor: TSessionUser; sessionId: string; after?: string; take?: number }): Promise<TTranscriptPage> {
  assertAuditReader(actor);
  if (!ID.test(sessionId) || (after !== undefined && !ID.test(after))) throw new AppError("NOT_FOUND", "No such session or command.");
  let keyset: Prisma.SessionCommandWhereInput = {};
  if (after) {
    const c = await db.sessionCommand.findFirst({ where: { id: after, sessionId }, select: { id: true, startedAt: true } });
    if (!c) throw new AppError("INVALID_INPUT", `The parameter “after” names command ${after}, which is not in this session.`);
    keyset = { startedAt: { gte: c.startedAt }, OR: [{ startedAt: { gt: c.startedAt } }, { id: { gt: c.id } }] };
  }
  const rows = await db.sessionCommand.findMany({
    where: { sessionId, ...keyset },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    take: take + 1,
    select: { id: true, command: true, startedAt: true, endedAt: true, exitCode: true, output: true, outputTruncated: true, actor: { select: { username: true } } },
  });
  const page = rows.slice(0, take);
  return {
    commands: page.map((c) => ({
      id: c.id,
      command: c.command,
      actorName: c.actor?.username ?? null,
      startedAt: c.startedAt.toISOString(),
      endedAt: c.endedAt?.toISOString() ?? null,
      exitCode: c.exitCode,
      output: c.output,
      outputTruncated: c.outputTruncated,
    })),
    next: rows.length > take ? page[page.length - 1].id : null,
  };
}
