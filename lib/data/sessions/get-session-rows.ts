import "server-only";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import type { TSessionRows } from "@/lib/dto/sessions";
import { maxIdleByConfiguration } from "@/lib/data/sessions/list-sessions";
import { visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { sessionRowSelect, toSessionRow, type TSessionRecord } from "@/lib/data/sessions/to-session-row";

/**
 * The list rows of the given sessions, as `actor` sees them: what the sessions page patches into
 * its cached lists when live events name sessions that changed. A session that is gone, or that
 * the actor may not see, is left out (the page then refetches its lists). `ids` is bounded by
 * ZSessionRowsRequest (500: under SQLite's 999 bound values, with the handoffs' IN beside it).
 */
export async function getSessionRows({ actor, ids }: { actor: TSessionUser; ids: readonly string[] }): Promise<TSessionRows> {
  const records = (await db.session.findMany({
    where: { AND: [{ id: { in: [...new Set(ids)] } }, visibleSessionsWhere(actor)] },
    select: sessionRowSelect,
  })) as TSessionRecord[];
  const maxIdle = await maxIdleByConfiguration(records);
  return { rows: records.map((r) => toSessionRow(r, actor, maxIdle.get(`${r.computerId}/${r.configurationName}`) ?? null)) };
}
