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

// Known Prisma errors become AppErrors; unknown ones are returned unchanged for the caller to rethrow.
export function mapPrismaError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (code === "P2002") {
    const target = (err as { meta?: { target?: unknown } }).meta?.target;
    const fields = Array.isArray(target) ? target.join(", ") : typeof target === "string" ? target : "value";
    return new AppError("CONFLICT", `Another record already uses this ${fields}.`);
  }
  if (code === "P2025") return new AppError("NOT_FOUND", "The record no longer exists.");
  return err;
}
