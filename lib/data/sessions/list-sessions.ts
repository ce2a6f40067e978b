import "server-only";
import type { Prisma } from "@/lib/generated/prisma-sqlite/client";
import type { TSessionUser } from "@/lib/auth/session-store";
import { db } from "@/lib/db/client";
import { CLOSED_VISIBLE_MS, sessionNameKey, type TSessionFilters, type TSessionPage, type TSessionSelectionFilters } from "@/lib/dto/sessions";
import { sessionScope, visibleSessionsWhere } from "@/lib/data/sessions/session-scope";
import { sessionRowSelect, toSessionRow, type TSessionRecord } from "@/lib/data/sessions/to-session-row";
import { readSessionRowsPage, type TSessionRecordWithMaxIdle } from "@/lib/data/sessions/session-rows-sql";

/**
 * The count stops here (the page then says "1,000+"): counting every match of a broad filter
 * costs an index walk (and a row read per entry) the first page does not need. At 10,000 this
 * walk was half the first page's CPU at 50,000 sessions (docs/benchmarks.md); at 1,000 it costs
 * what a page does. Paging past the cap raises it to the page asked for, so the pager always
 * knows whether a next page exists.
 */
export const COUNT_CAP = 1_000;

/**
 * The key range holding every name key that starts with `prefix` (`it` -> >= "it" and < "iu"),
 * so the name index serves a prefix wildcard: neither database uses an index for the LIKE that
 * `startsWith` becomes (SQLite's LIKE is case-folding, PostgreSQL's index may use a linguistic
 * collation). Only for letters and digits, where every collation orders alike; the LIKE stays
 * beside it and decides what matches.
 */
function prefixRange(prefix: string): Prisma.SessionWhereInput | null {
  if (!/^[a-z0-9]+$/.test(prefix)) return null;
  const last = prefix.charCodeAt(prefix.length - 1);
  return { nameKey: { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(last + 1) } };
}

/** The key range of a name pattern's literal prefix (`IT*` -> "it"), when it has one. */
const patternPrefixRange = (pattern: string) => prefixRange(sessionNameKey(pattern).split(/[*?]/)[0]);

/**
 * `IT*`, `*Task`, `*pat*`, `a*b`: case-insensitive wildcards over the lower-cased name key.
 * `range: false` leaves out the prefix's key range (the LIKE alone decides, as it does anyway).
 */
export function nameWhere(pattern: string, { range: withRange = true } = {}): Prisma.SessionWhereInput {
  // In the stored key's form: LIKE's own wildcards in the literal text are stand-ins there.
  const p = sessionNameKey(pattern);
  if (!p.includes("*") && !p.includes("?")) return { nameKey: p };
  const parts = p.split(/[*?]+/);
  const and: Prisma.SessionWhereInput[] = [];
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (first) {
    and.push({ nameKey: { startsWith: first } });
    const range = withRange ? prefixRange(first) : null;
    if (range) and.push(range);
  }
  if (last && parts.length > 1) and.push({ nameKey: { endsWith: last } });
  for (const mid of parts.slice(1, -1)) if (mid) and.push({ nameKey: { contains: mid } });
  return { AND: and };
}

/** State and availability as the viewer sees them (DESIGN.md), translated to stored fields. */
function viewWhere(filters: TSessionSelectionFilters, viewerId: string): Prisma.SessionWhereInput[] {
  const where: Prisma.SessionWhereInput[] = [];
  const attachedElsewhere: Prisma.SessionWhereInput = { state: "Opened", holderId: { not: viewerId } };
  switch (filters.state) {
    case undefined:
      // Matches most rows, so deliberately no index range: the page walks its order's index
      // and stops after a page (an indexable OR here makes SQLite gather and sort every match).
      where.push({ OR: [{ state: { not: "Closed" } }, { updatedAt: { gte: new Date(Date.now() - CLOSED_VISIBLE_MS) } }] });
      break;
    case "Disconnected":
      where.push({ OR: [{ state: "Disconnected" }, attachedElsewhere] });
      break;
    case "Opened":
      where.push({ state: "Opened", holderId: viewerId });
      break;
    default:
      where.push({ state: filters.state });
  }
  switch (filters.availability) {
    case undefined:
      break;
    case "Available":
      where.push({ state: "Opened", holderId: viewerId, runningCommand: null });
      break;
    case "Busy":
      where.push({ OR: [attachedElsewhere, { state: "Opened", holderId: viewerId, runningCommand: { not: null } }] });
      break;
    case "None":
      where.push({ state: { not: "Opened" } });
      break;
  }
  return where;
}

const ORDER: Record<TSessionFilters["sort"], (dir: Prisma.SortOrder) => Prisma.SessionOrderByWithRelationInput[]> = {
  computer: (dir) => [{ computerName: dir }, { agentSessionId: dir }],
  name: (dir) => [{ nameKey: dir }, { id: dir }],
  state: (dir) => [{ state: dir }, { id: dir }],
  id: (dir) => [{ agentSessionId: dir }, { id: dir }],
  owner: (dir) => [{ ownerName: dir }, { id: dir }],
  updated: (dir) => [{ updatedAt: dir }, { id: dir }],
  expires: (dir) => [{ expiresOn: dir }, { id: dir }],
};

/**
 * The order the bounded count walks: the index of its most selective filter when it has one
 * (the name prefix, the computer, the owner), else the page's own. Prisma orders a count with
 * `take` by id otherwise, which walks the whole primary key.
 */
function countOrder(filters: TSessionFilters): Prisma.SessionOrderByWithRelationInput[] {
  if (filters.name && patternPrefixRange(filters.name)) return [{ nameKey: "asc" }, { id: "asc" }];
  if (filters.computer) return [{ computerName: "asc" }, { agentSessionId: "asc" }];
  if (filters.owner) return [{ ownerName: "asc" }, { id: "asc" }];
  return ORDER[filters.sort](filters.dir);
}

/** What the filters select, without the viewer's scope. */
function filtersWhere(actor: TSessionUser, filters: TSessionSelectionFilters, { nameRange = true } = {}): Prisma.SessionWhereInput[] {
  const and: Prisma.SessionWhereInput[] = viewWhere(filters, actor.id);
  if (filters.computer) and.push({ computerName: filters.computer });
  if (filters.name) and.push(nameWhere(filters.name, { range: nameRange }));
  if (filters.owner) and.push({ ownerName: filters.owner });
  if (filters.handed === "me") and.push({ handoffs: { some: { toUserId: actor.id, endedAt: null } } });
  return and;
}

export function sessionsWhere(actor: TSessionUser, filters: TSessionSelectionFilters, { nameRange = true } = {}): Prisma.SessionWhereInput {
  return { AND: [visibleSessionsWhere(actor), ...filtersWhere(actor, filters, { nameRange })] };
}

/** Idle-timeout maxima of the configurations the given sessions use, keyed "computerId/name". */
export async function maxIdleByConfiguration(rows: { computerId: string; configurationName: string }[]): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  const configs = await db.sessionConfiguration.findMany({
    where: { computerId: { in: [...new Set(rows.map((r) => r.computerId))] } },
    select: { computerId: true, name: true, maxIdleTimeoutMs: true },
  });
  return new Map(configs.map((c) => [`${c.computerId}/${c.name}`, c.maxIdleTimeoutMs]));
}

type TPageRecords = Awaited<ReturnType<typeof readPage>>;

function readPage(where: Prisma.SessionWhereInput, filters: TSessionFilters, orderBy = ORDER[filters.sort](filters.dir)) {
  return db.session.findMany({ where, select: sessionRowSelect, orderBy, skip: (filters.page - 1) * filters.pageSize, take: filters.pageSize });
}

/** A viewer who sees every session: one query for the page, one bounded count. */
async function everyonePage(actor: TSessionUser, filters: TSessionFilters, cap: number): Promise<{ counted: number; records: TPageRecords }> {
  const where = sessionsWhere(actor, filters);
  // A name prefix (IT*) read through its key range makes the page sort every match: cheap for a
  // few, not for a fifth of 50,000. So the count goes first (bounded, through the range): when
  // it reaches the cap, matches are common and the page walks its order's index without the
  // range, stopping after a page; otherwise it reads the few matches through the range.
  const count = () => db.session.count({ where, orderBy: countOrder(filters), take: cap + 1 });
  if (filters.name && /[*?]/.test(filters.name) && patternPrefixRange(filters.name)) {
    const counted = await count();
    return { counted, records: await readPage(counted > cap ? sessionsWhere(actor, filters, { nameRange: false }) : where, filters) };
  }
  const [counted, records] = await Promise.all([count(), readPage(where, filters)]);
  return { counted, records };
}

/**
 * Bound values one statement may carry (SQLite: 999, Prisma refuses more with P2029), less room
 * for the filters' own.
 */
const MAX_IDS = 900;

/**
 * A viewer who sees some sessions (a technician: owned, held, handed over). Each branch of the
 * scope is its own query, all three at once: the owner's and holder's index ranges of
 * (ownerId | holderId, computerName, agentSessionId), each read in the page's order up to cap + 1
 * ids (its first `reach` hold all of its rows on the page and before it; the whole read counts),
 * and the few sessions of open handoffs, found through the Handoff index. The page lies within
 * their union, which one statement orders and reads with everything a row shows (by id: every id
 * came from a query holding its branch's condition on the viewer). The count is the union's size.
 * Two round trips in all: reading the count apart, and the handoffs before their sessions, took
 * two more, and Prisma's page read with its relations and the configurations took five.
 */
async function scopedPage(
  actor: TSessionUser,
  filters: TSessionFilters,
  scope: NonNullable<ReturnType<typeof sessionScope>>,
  cap: number,
): Promise<{ counted: number; rows: TSessionRecordWithMaxIdle[] }> {
  // Each branch is one index range already: a name prefix's key range would only tempt the
  // planner away from the range that gives the page's order.
  const rest = filtersWhere(actor, filters, { nameRange: false });
  const orderBy = ORDER[filters.sort](filters.dir);
  const reach = filters.page * filters.pageSize;
  const idsOf = (branch: Prisma.SessionWhereInput) =>
    db.session.findMany({ where: { AND: [branch, ...rest] }, select: { id: true }, orderBy, take: cap + 1 }).then((rows) => rows.map((r) => r.id));
  // The handed-over sessions start from the viewer's open handoffs (the Handoff index), each
  // session checked by id against the filters: all of them, a viewer is handed few. (Asked from
  // the session's side, as a handoff subquery, SQLite walks every session in the page's order.)
  const handed = db.handoff
    .findMany({ where: { AND: [scope.handoffs, { session: { AND: rest } }] }, select: { sessionId: true } })
    .then((rows) => [...new Set(rows.map((r) => r.sessionId))]);
  // "Handed to me" selects within the handed-over branch alone.
  const [handedIds, ...ranges] = await Promise.all([handed, ...(filters.handed === "me" ? [] : scope.sessions.map(idsOf))]);
  const counted = new Set([...handedIds, ...ranges.flat()]).size;
  // A range's first `reach` ids hold its part of the page; the handed-over ids come in no order, so all of them.
  const union = [...new Set([...handedIds, ...ranges.flatMap((range) => range.slice(0, reach))])];
  const skip = (filters.page - 1) * filters.pageSize;
  // Deep pages (their union past one statement's bound values) read the whole scope in one query.
  if (union.length > MAX_IDS) return { counted, rows: await withMaxIdle(await readPage(sessionsWhere(actor, filters), filters, orderBy)) };
  return { counted, rows: await readSessionRowsPage(union, filters.sort, filters.dir, skip, filters.pageSize) };
}

/** Each record with its configuration's idle-timeout maximum. */
async function withMaxIdle(records: TPageRecords): Promise<TSessionRecordWithMaxIdle[]> {
  const maxIdle = await maxIdleByConfiguration(records);
  return (records as TSessionRecord[]).map((record) => ({ record, maxIdleTimeoutMs: maxIdle.get(`${record.computerId}/${record.configurationName}`) ?? null }));
}

export async function listSessions({ actor, filters }: { actor: TSessionUser; filters: TSessionFilters }): Promise<TSessionPage> {
  const cap = Math.max(COUNT_CAP, filters.page * filters.pageSize);
  const scope = sessionScope(actor);
  const { counted, rows } = scope
    ? await scopedPage(actor, filters, scope, cap)
    : await everyonePage(actor, filters, cap).then(async (p) => ({ counted: p.counted, rows: await withMaxIdle(p.records) }));
  const totalCapped = counted > cap;
  return {
    rows: rows.map(({ record, maxIdleTimeoutMs }) => toSessionRow(record, actor, maxIdleTimeoutMs)),
    total: totalCapped ? cap : counted,
    totalCapped,
    page: filters.page,
    pageSize: filters.pageSize,
  };
}
