import { z } from "zod";
import { queryInt } from "@/lib/protocol/hygiene";

// The audit trail's filters and paging, as they travel in URLs (pages, read routes, exports).
// Pure zod and helpers: safe for client components.

export const AUDIT_OUTCOMES = ["ok", "refused", "error"] as const;
export type TAuditOutcomeName = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_PAGE_SIZES = [25, 50, 100, 200] as const;
export const AUDIT_DEFAULT_PAGE_SIZE = 50;

/** Actions the console writes today; the action filter also offers any other the trail holds. */
export const KNOWN_AUDIT_ACTIONS = [
  "audit.export",
  "auth.lockout",
  "auth.sign-in",
  "computer.register",
  "configuration.update",
  "session.bulk",
  "session.bulk-archive",
  "session.connect",
  "session.disconnect",
  "session.handoff",
  "session.new",
  "session.preview",
  "session.receive",
  "session.remove",
  "session.run",
  "session.take-over",
  "session.watch-consent",
  "security.origin-refused",
  "terminal.command",
  "terminal.control-key",
  "terminal.interrupt",
  "user.create",
] as const;

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
    .optional()
    .transform((v) => v || undefined);

// UTC unless the value names its own offset: the table shows UTC, so links mean the same
// instant for every reader whatever their browser's zone.
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/;
const TIME_HINT = "must be a date or date and time, e.g. 2026-11-24 or 2026-11-24T14:30 (UTC unless an offset is given)";

type TTimeBound = { at: Date; step: number };

/** Parses a filter time; `step` is its precision in ms (a day, a minute, a second, a ms). */
export function parseAuditTime(value: string): TTimeBound | null {
  const m = TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const iso = `${y}-${mo}-${d}T${h ?? "00"}:${mi ?? "00"}:${s ?? "00"}${frac ?? ""}${zone ?? "Z"}`;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return null;
  // Reject dates the Date constructor silently rolls over (2026-02-31).
  if (!zone && at.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return null;
  const step = h === undefined ? 86_400_000 : s === undefined ? 60_000 : frac === undefined ? 1000 : 1;
  return { at, step };
}

const time = z
  .string()
  .trim()
  .optional()
  .transform((v) => v || undefined)
  .refine((v) => v === undefined || parseAuditTime(v) !== null, TIME_HINT);

const cursor = queryInt("must be an event number (decimal digits)").pipe(z.number().positive("must be a positive event number")).optional();

export const ZAuditFilters = z.object({
  actor: text(64), // username
  computer: text(128), // exact computer name
  session: text(128), // session id, or its name
  action: z
    .string()
    .trim()
    .optional()
    .transform((v) => v || undefined)
    .pipe(z.string().max(64, "must be at most 64 characters").regex(/^[a-z][a-z0-9.-]*$/, "must be an action name such as session.run").optional()),
  outcome: z.enum(AUDIT_OUTCOMES, { message: `must be one of ${AUDIT_OUTCOMES.join(", ")}` }).optional(),
  from: time,
  to: time,
});
/** Optional keys (zod's output marks transformed keys as present-but-undefined). */
type TLoose<T> = { [K in keyof T]?: Exclude<T[K], undefined> };
export type TAuditFilters = TLoose<z.infer<typeof ZAuditFilters>>;

const ZAuditQueryShape = ZAuditFilters.extend({
  before: cursor, // older than this event (the "Older" link)
  after: cursor, // newer than this event (the "Newer" link)
  size: queryInt("must be a number (decimal digits)")
    .pipe(z.number())
    .refine((n) => (AUDIT_PAGE_SIZES as readonly number[]).includes(n), `must be one of ${AUDIT_PAGE_SIZES.join(", ")}`)
    .default(AUDIT_DEFAULT_PAGE_SIZE),
});

export const ZAuditQuery = ZAuditQueryShape.superRefine((q, ctx) => {
  if (q.before !== undefined && q.after !== undefined) ctx.addIssue({ code: "custom", path: ["after"], message: "cannot be combined with before" });
  const range = auditTimeRange(q);
  if (range.gte && range.lt && range.gte >= range.lt) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be earlier than from" });
});
export type TAuditQuery = TLoose<z.infer<typeof ZAuditQuery>> & { size: number };

export const AUDIT_FILTER_KEYS = Object.keys(ZAuditFilters.shape) as (keyof TAuditFilters)[];
const QUERY_KEYS = Object.keys(ZAuditQueryShape.shape) as (keyof TAuditQuery)[];

/** The time filters as a half-open range: `to` includes its whole day, minute or second. */
export function auditTimeRange(f: Pick<TAuditFilters, "from" | "to">): { gte?: Date; lt?: Date } {
  const from = f.from ? parseAuditTime(f.from) : null;
  const to = f.to ? parseAuditTime(f.to) : null;
  return { gte: from?.at, lt: to ? new Date(to.at.getTime() + to.step) : undefined };
}

type TRawParams = Record<string, string | string[] | undefined> | URLSearchParams;

export type TParsedAuditQuery = { ok: true; query: TAuditQuery } | { ok: false; problems: string[]; raw: Record<string, string> };

/**
 * The URL's audit query. A bad parameter is not dropped silently (an auditor reading a
 * wider set than they asked for is worse than an error): the answer names each bad one.
 * Unknown parameters are ignored.
 */
export function parseAuditQuery(raw: TRawParams, { keys = QUERY_KEYS }: { keys?: readonly string[] } = {}): TParsedAuditQuery {
  const entries: Record<string, string> = {};
  const source = raw instanceof URLSearchParams ? [...raw.entries()] : Object.entries(raw);
  for (const [key, value] of source) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined && keys.includes(key) && !(key in entries)) entries[key] = v;
  }
  const parsed = ZAuditQuery.safeParse(entries);
  if (parsed.success) return { ok: true, query: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "query");
    const value = entries[key];
    return `The parameter “${key}”${value !== undefined ? ` (“${value.slice(0, 80)}”)` : ""} ${issue.message}.`;
  });
  return { ok: false, problems, raw: entries };
}

/** The query as URL search params, leaving out empty values and defaults so links stay short. */
export function auditQueryToParams(q: Partial<TAuditQuery>, { paging = true }: { paging?: boolean } = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = q[key];
    if (value === undefined || value === "") continue;
    if (key === "size" && value === AUDIT_DEFAULT_PAGE_SIZE) continue;
    if (!paging && (key === "before" || key === "after")) continue;
    params.set(key, String(value));
  }
  return params;
}

export const hasAuditFilters = (f: TAuditFilters) => AUDIT_FILTER_KEYS.some((k) => f[k] !== undefined);

/** A session id as the console makes them (cuid); anything else in the session filter is a name. */
export const looksLikeSessionId = (v: string) => /^c[a-z0-9]{19,39}$/.test(v);

// ----- command search (SessionCommand.command contains text) -----

export const ZCommandSearch = z
  .object({
    q: text(200),
    before: z.string().regex(/^[a-z0-9]{10,40}$/, "must be a command id").optional(),
    after: z.string().regex(/^[a-z0-9]{10,40}$/, "must be a command id").optional(),
    size: ZAuditQueryShape.shape.size,
  })
  .superRefine((q, ctx) => {
    if (q.before && q.after) ctx.addIssue({ code: "custom", path: ["after"], message: "cannot be combined with before" });
  });
export type TCommandSearch = TLoose<z.infer<typeof ZCommandSearch>> & { size: number };

export function parseCommandSearch(raw: TRawParams): { ok: true; query: TCommandSearch } | { ok: false; problems: string[] } {
  const entries: Record<string, string> = {};
  const source = raw instanceof URLSearchParams ? [...raw.entries()] : Object.entries(raw);
  for (const [key, value] of source) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined && ["q", "before", "after", "size"].includes(key) && !(key in entries)) entries[key] = v;
  }
  const parsed = ZCommandSearch.safeParse(entries);
  if (parsed.success) return { ok: true, query: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `The parameter “${String(i.path[0] ?? "query")}” ${i.message}.`) };
}

export function commandSearchToParams(q: Partial<TCommandSearch>): URLSearchParams {
  const params = new URLSearchParams();
  if (q.q) params.set("q", q.q);
  if (q.before) params.set("before", q.before);
  if (q.after) params.set("after", q.after);
  if (q.size && q.size !== AUDIT_DEFAULT_PAGE_SIZE) params.set("size", String(q.size));
  return params;
}
