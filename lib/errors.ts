// Errors that cross a boundary carry a code; the code decides the HTTP status and the wording
// the user sees. Anything else is a bug: logged once, shown as a generic failure.
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  QUOTA_EXCEEDED: 409,
  INVALID_STATE: 409,
  AGENT_UNAVAILABLE: 503,
  AGENT_ERROR: 502,
  DB_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;
export type TErrorCode = keyof typeof ERROR_STATUS;

// The console loads this module twice: once in server.ts (tsx) and once in Next's bundle. An
// AppError thrown by the fleet links (server.ts's copy) must still be recognised by the action
// wrapper (the bundle's copy), so identity is a registered symbol, not the class object.
const APP_ERROR = Symbol.for("baton.AppError");

export class AppError extends Error {
  readonly [APP_ERROR] = true;
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[APP_ERROR] === true;
  }
  readonly code: TErrorCode;
  readonly fieldErrors?: Record<string, string[]>;
  constructor(code: TErrorCode, message: string, fieldErrors?: Record<string, string[]>) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const DB_UNAVAILABLE_MESSAGE = "The console's database is unavailable; try again in a moment.";

// What the database drivers say when the server cannot be reached, went away mid-query, is
// restarting, or (SQLite) the file is locked, unopenable or unreadable. Matched on the whole
// cause chain: Prisma wraps the driver's error.
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "57P01", "57P02", "57P03", "08000", "08003", "08006", "53300"]);
const UNAVAILABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|Connection terminated|connection (is )?(closed|terminated)|Can't reach database server|the database system is (starting up|shutting down|in recovery mode)|terminating connection|server closed the connection|Client has encountered a connection error|database is locked|SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|NOTADB|READONLY)|unable to open database file|file is not a database|DatabaseNotReachable|ConnectionClosed|SocketTimeout/i;

/** True when `err` says the database is unreachable (a retry later may succeed), not that a query is wrong. */
export function isDbUnavailable(err: unknown): boolean {
  // A raw query's error (P2010) names the driver's only inside meta.driverAdapterError.
  const next = (e: object) => (e as { cause?: unknown }).cause ?? (e as { meta?: { driverAdapterError?: unknown } }).meta?.driverAdapterError;
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 8; e = next(e), depth++) {
    if (e instanceof AppError) return e.code === "DB_UNAVAILABLE";
    const { code, message, kind } = e as { code?: unknown; message?: unknown; kind?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof kind === "string" && UNAVAILABLE_TEXT.test(kind)) return true;
    if (typeof message === "string" && UNAVAILABLE_TEXT.test(message)) return true;
  }
  return false;
}

/**
 * True when a write hit a unique index: Prisma's P2002 from the model API, or a raw statement's
 * P2010 whose driver error (SQLite SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY, PostgreSQL 23505)
 * it names by kind.
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | null;
  return e?.code === "P2002" || (e?.code === "P2010" && e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation");
}

// Known Prisma errors become AppErrors; unknown ones are returned unchanged for the caller to rethrow.
export function mapPrismaError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (code === "P2002") {
    const target = (err as { meta?: { target?: unknown } }).meta?.target;
    const fields = Array.isArray(target) ? target.join(", ") : typeof target === "string" ? target : "value";
    return new AppError("CONFLICT", `Another record already uses this ${fields}.`);
  }
  if (code === "P2025") return new AppError("NOT_FOUND", "The record no longer exists.");
  if (isDbUnavailable(err)) return new AppError("DB_UNAVAILABLE", DB_UNAVAILABLE_MESSAGE);
  return err;
}
