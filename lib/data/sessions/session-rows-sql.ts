import "server-only";
import { db, sqlPlaceholders } from "@/lib/db/client";
import type { TSessionFilters } from "@/lib/dto/sessions";
import type { TSessionRecord } from "@/lib/data/sessions/to-session-row";

/**
 * Sessions' list rows by id, one page of them in a sort's order, as one SQL statement: the
 * session, its computer's name, its open handoff with both users' names, and its configuration's
 * idle-timeout maximum. Prisma reads the same select as a statement per relation, one after the
 * other (session, computer, handoff, two users), then the configurations: six round trips and as
 * many plans built, which on PostgreSQL made up most of a technician's page (docs/benchmarks.md).
 * Every value is a bound parameter; the SQL's only variable parts are the column names below.
 */

const SORT_COLUMNS: Record<TSessionFilters["sort"], [string, string]> = {
  computer: ["computerName", "agentSessionId"],
  name: ["nameKey", "id"],
  state: ["state", "id"],
  id: ["agentSessionId", "id"],
  owner: ["ownerName", "id"],
  updated: ["updatedAt", "id"],
  expires: ["expiresOn", "id"],
};

const SESSION_COLUMNS = [
  "id",
  "computerId",
  "agentSessionId",
  "instanceId",
  "name",
  "configurationName",
  "ownerId",
  "ownerName",
  "holderId",
  "holderName",
  "state",
  "reason",
  "idleTimeoutSec",
  "outputBufferingMode",
  "disconnectedOn",
  "expiresOn",
  "bufferedBytes",
  "bufferSizeBytes",
  "outputBlocked",
  "droppedBytes",
  "totalDroppedBytes",
  "runningCommand",
  "commandStartedOn",
  "askBeforeWatching",
  "updatedAt",
] as const;

type TRaw = Record<(typeof SESSION_COLUMNS)[number], unknown> & {
  computer_name: string;
  handoff_toUserId: string | null;
  handoff_reason: string | null;
  handoff_createdAt: unknown;
  handoff_toUser: string | null;
  handoff_fromUser: string | null;
  maxIdleTimeoutMs: unknown;
};

export type TSessionRecordWithMaxIdle = { record: TSessionRecord; maxIdleTimeoutMs: number | null };

/**
 * The raw drivers differ where the model API does not: SQLite hands back dates as stored text
 * or epoch numbers, booleans as 0/1 and BIGINTs as numbers; PostgreSQL gives Date, boolean, bigint.
 */
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string | number));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const bool = (v: unknown): boolean => v === true || v === 1 || v === 1n || v === "1" || v === "true";
const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as number | string));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

function toRecord(r: TRaw): TSessionRecordWithMaxIdle {
  const record: TSessionRecord = {
    id: r.id as string,
    computerId: r.computerId as string,
    computer: { name: r.computer_name },
    agentSessionId: num(r.agentSessionId),
    instanceId: r.instanceId as string,
    name: r.name as string,
    configurationName: r.configurationName as string,
    ownerId: r.ownerId as string,
    ownerName: r.ownerName as string,
    holderId: (r.holderId as string | null) ?? null,
    holderName: (r.holderName as string | null) ?? null,
    state: r.state as TSessionRecord["state"],
    reason: (r.reason as string | null) ?? null,
    idleTimeoutSec: num(r.idleTimeoutSec),
    outputBufferingMode: r.outputBufferingMode as TSessionRecord["outputBufferingMode"],
    disconnectedOn: dateOrNull(r.disconnectedOn),
    expiresOn: dateOrNull(r.expiresOn),
    bufferedBytes: num(r.bufferedBytes),
    bufferSizeBytes: num(r.bufferSizeBytes),
    outputBlocked: bool(r.outputBlocked),
    droppedBytes: big(r.droppedBytes),
    totalDroppedBytes: big(r.totalDroppedBytes),
    runningCommand: (r.runningCommand as string | null) ?? null,
    commandStartedOn: dateOrNull(r.commandStartedOn),
    askBeforeWatching: bool(r.askBeforeWatching),
    updatedAt: date(r.updatedAt),
    handoffs:
      r.handoff_toUserId === null
        ? []
        : [
            {
              toUserId: r.handoff_toUserId,
              reason: r.handoff_reason as string,
              createdAt: date(r.handoff_createdAt),
              toUser: { username: r.handoff_toUser as string },
              fromUser: { username: r.handoff_fromUser as string },
            },
          ],
  };
  return { record, maxIdleTimeoutMs: numOrNull(r.maxIdleTimeoutMs) };
}

/**
 * The page (`skip`, `take`) of the sessions `ids` in the sort's order (the model API's order:
 * the same columns, directions and NULL placement). `ids` are bound one parameter each, so the
 * caller keeps them within one statement's bound values.
 */
export async function readSessionRowsPage(ids: readonly string[], sort: TSessionFilters["sort"], dir: "asc" | "desc", skip: number, take: number): Promise<TSessionRecordWithMaxIdle[]> {
  if (ids.length === 0) return [];
  const p = sqlPlaceholders();
  const d = dir === "desc" ? "DESC" : "ASC";
  const orderBy = SORT_COLUMNS[sort].map((c) => `s."${c}" ${d}`).join(", ");
  const sql = `SELECT ${SESSION_COLUMNS.map((c) => `s."${c}"`).join(", ")},
      c."name" AS "computer_name",
      h."toUserId" AS "handoff_toUserId", h."reason" AS "handoff_reason", h."createdAt" AS "handoff_createdAt",
      tu."username" AS "handoff_toUser", fu."username" AS "handoff_fromUser",
      sc."maxIdleTimeoutMs" AS "maxIdleTimeoutMs"
    FROM "Session" s
    JOIN "Computer" c ON c."id" = s."computerId"
    LEFT JOIN "Handoff" h ON h."id" = (
      SELECT h2."id" FROM "Handoff" h2 WHERE h2."sessionId" = s."id" AND h2."endedAt" IS NULL ORDER BY h2."createdAt" DESC LIMIT 1)
    LEFT JOIN "User" tu ON tu."id" = h."toUserId"
    LEFT JOIN "User" fu ON fu."id" = h."fromUserId"
    LEFT JOIN "SessionConfiguration" sc ON sc."computerId" = s."computerId" AND sc."name" = s."configurationName"
    WHERE s."id" IN (${ids.map(() => p()).join(", ")})
    ORDER BY ${orderBy}
    LIMIT ${p()} OFFSET ${p()}`;
  const rows = await db.$queryRawUnsafe<TRaw[]>(sql, ...ids, take, skip);
  return rows.map(toRecord);
}
