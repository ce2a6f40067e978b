import { NextResponse, type NextRequest } from "next/server";
import { decodeUtf8Strict, parseQueryStrict } from "@/lib/protocol/hygiene";

const NO_BODY = new Set(["GET", "HEAD", "OPTIONS"]);

function refusal(message: string) {
  return NextResponse.json({ error: { code: "INVALID_INPUT", message } }, { status: 400, headers: { "cache-control": "no-store" } });
}

/**
 * Refuses a request whose path, query string or body is not valid UTF-8, before any page,
 * route or server action reads it: Next decodes action bodies and URLSearchParams decodes
 * queries with U+FFFD in place of bad bytes, which would accept a name nobody sent. Next
 * hands the proxy a clone of the body, so reading it here leaves the action's copy intact.
 * Returns the 400 answer, or null when the request is clean.
 */
export async function refuseInvalidUtf8(request: NextRequest): Promise<NextResponse | null> {
  const url = new URL(request.url);
  try {
    decodeURIComponent(url.pathname);
  } catch {
    return refusal("The path is not valid percent-encoded UTF-8.");
  }
  try {
    parseQueryStrict(url.search);
  } catch (err) {
    return refusal(`${(err as Error).message} Encode parameters as UTF-8.`);
  }
  if (NO_BODY.has(request.method) || !request.body) return null;
  try {
    // This console takes no file uploads: every body (JSON, action arguments, form fields) is text.
    decodeUtf8Strict(new Uint8Array(await request.arrayBuffer()));
  } catch (err) {
    return refusal(`${(err as Error).message} Send text encoded as UTF-8.`);
  }
  return null;
}
