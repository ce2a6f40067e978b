import { NextResponse, type NextRequest } from "next/server";

// Only hands the requested path to server layouts (for the sign-in "next" link). Authorization
// is not done here: every page and action checks the session itself.
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set("x-baton-path", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/((?!_next/|favicon.ico|socket.io).*)"] };
