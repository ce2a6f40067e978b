import type { TErrorCode } from "@/lib/errors";

// What every server action returns to the browser.
export type TActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; code: TErrorCode; error: string; fieldErrors?: Record<string, string[]> };
