import { NextResponse, type NextRequest } from "next/server";
import { decodeUtf8Strict } from "@/lib/protocol/hygiene";

const NO_BODY = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses a request whose body is not valid UTF-8, before any page, route or server action
 * reads it: Next decodes action bodies with U+FFFD in place of bad bytes, which would accept a
 * name nobody sent. Next hands the proxy a clone of the body, so reading it here leaves the
 * action's copy intact. (Paths and query strings are checked in server.ts, where the request
 * target is still as the client sent it; by the time the proxy runs Next has re-encoded it.)
 * Returns the 400 answer, or null when the body is clean.
 */
export async function refuseInvalidUtf8(request: NextRequest): Promise<NextResponse | null> {
  if (NO_BODY.has(request.method) || !request.body) return null;
  try {
    // This console takes no file uploads: every body (JSON, action arguments, form fields) is text.
    decodeUtf8Strict(new Uint8Array(await request.arrayBuffer()));
  } catch (err) {
    return NextResponse.json(
      { error: { code: "INVALID_INPUT", message: `${(err as Error).message} Send text encoded as UTF-8.` } },
      { status: 400, headers: { "cache-control": "no-store" } },
    );
  }
  return null;
}
