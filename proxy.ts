import { NextResponse, type NextRequest } from "next/server";
import { refuseInvalidUtf8 } from "@/lib/http/utf8-guard";

// Refuses bodies that are not UTF-8, and hands the requested path to server layouts (for the
// sign-in "next" link). Authorization is not done here: every page and action checks the
// session itself.
export async function proxy(request: NextRequest) {
  const invalid = await refuseInvalidUtf8(request);
  if (invalid) return invalid;
  const headers = new Headers(request.headers);
  headers.set("x-baton-path", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/((?!_next/|favicon.ico|socket.io).*)"] };
