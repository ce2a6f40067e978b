import { z } from "zod";

// Input hygiene shared by the agent and the console: names that display as what they are,
// bytes that are the text they claim to be, and numbers that are numbers.

/**
 * Characters that change how text is displayed without being visible themselves: bidi controls
 * ("report\u202Etxt.exe" reads as "reportexe.txt") and zero-width characters (two names that
 * look the same but differ). Names must not contain them.
 */
const INVISIBLE: Record<number, string> = {
  0x061c: "ARABIC LETTER MARK",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
};
const INVISIBLE_RE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

/** The first bidi control or zero-width character in `s`, named ("U+202E RIGHT-TO-LEFT OVERRIDE"), or null. */
export function findInvisibleCharacter(s: string): string | null {
  const m = INVISIBLE_RE.exec(s);
  if (!m) return null;
  const cp = m[0].codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} ${INVISIBLE[cp]}`;
}

/**
 * Refinement for every name (session, configuration, computer, user names, reasons): refuses
 * bidi controls and zero-width characters. The issue's path names the field, its message the
 * character, e.g. `name: must not contain U+202E RIGHT-TO-LEFT OVERRIDE (…)`.
 */
export function refuseInvisible(value: string, ctx: z.RefinementCtx): void {
  const found = findInvisibleCharacter(value);
  if (found) ctx.addIssue({ code: "custom", message: `must not contain ${found} (an invisible character that changes how text is displayed)` });
}

/** The first C0/C1 control character or DEL in `s`, named by code point ("U+000A"), or null. */
export function findControlCharacter(s: string): string | null {
  const m = /[\u0000-\u001f\u007f-\u009f]/u.exec(s);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : null;
}

/**
 * Refinement for one-line text shown inside other text (a join request's reason in the presence
 * line): refuses control characters, line breaks included, which would break or restyle the line.
 */
export function refuseControl(value: string, ctx: z.RefinementCtx): void {
  const found = findControlCharacter(value);
  if (found) ctx.addIssue({ code: "custom", message: `must be one line without control characters (found ${found})` });
}

/** A name-like string: `schema` (any string schema) plus {@link refuseInvisible}. */
export const visibleText = <S extends z.ZodType<string>>(schema: S) => schema.superRefine(refuseInvisible);

/**
 * A whole number as a query string carries it: decimal digits only. No sign, blanks, hex
 * ("0x3c"), exponent ("6e1"), fraction or repeated parameter (an array) is read as a number.
 */
export const ZDecimalString = z
  .string({ error: "must be a whole number in decimal digits" })
  .regex(/^\d{1,15}$/, "must be a whole number in decimal digits")
  .transform(Number);

/**
 * A whole number in a query schema that code also fills in: a number, or decimal digits as the
 * URL carries them. Never hex, exponent, sign or blanks; pipe it into the range checks.
 */
export const queryInt = (message = "must be a whole number in decimal digits") =>
  z.union([z.number({ error: message }).int(message), z.string({ error: message }).regex(/^\d{1,15}$/, message)], { error: message }).transform(Number);

/** Decodes bytes that must be UTF-8; throws {@link InvalidUtf8Error} instead of inventing U+FFFD. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidUtf8Error();
  }
}

export class InvalidUtf8Error extends Error {
  constructor(what = "The request body") {
    super(`${what} is not valid UTF-8.`);
    this.name = "InvalidUtf8Error";
  }
}

/**
 * A query string's parameters, decoded strictly: a percent-encoded byte sequence that is not
 * UTF-8 (`?name=%FF`) throws {@link InvalidUtf8Error} instead of turning into U+FFFD, as
 * URLSearchParams would. A repeated key keeps its first value.
 */
export class DuplicateParameterError extends Error {
  constructor(readonly parameter: string) {
    super(`Invalid query: parameter "${parameter.slice(0, 40)}" is given more than once.`);
  }
}

export function parseQueryStrict(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (!query) return out;
  for (const part of query.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const [rawKey, rawValue] = eq === -1 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, " "));
      value = decodeURIComponent(rawValue.replace(/\+/g, " "));
    } catch {
      throw new InvalidUtf8Error("The query string (percent-encoded)");
    }
    // A parameter given twice is ambiguous: refused, never silently one of the two.
    if (Object.hasOwn(out, key)) throw new DuplicateParameterError(key);
    out[key] = value;
  }
  return out;
}

/**
 * Why a request target (`/path?query`, as received) is not percent-encoded UTF-8, or null when
 * it is. Check it before anything parses the URL: parsers quietly turn `%FF` into U+FFFD.
 */
export function invalidUtf8InTarget(target: string): string | null {
  const q = target.indexOf("?");
  try {
    decodeURIComponent(q === -1 ? target : target.slice(0, q));
  } catch {
    return "The path is not valid percent-encoded UTF-8.";
  }
  try {
    parseQueryStrict(q === -1 ? "" : target.slice(q));
  } catch (err) {
    // Repeated parameters are for the page's own schema to judge; only the encoding is checked here.
    if (err instanceof DuplicateParameterError) return null;
    return `${(err as Error).message} Encode parameters as UTF-8.`;
  }
  return null;
}

/**
 * What a form's number field holds, as a number: decimal digits only (`Number` would read
 * "0x3c" as 60 and "" as 0). Anything else is NaN, which the action's schema refuses by name.
 */
export function parseDecimal(text: string): number {
  const t = text.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : Number.NaN;
}
