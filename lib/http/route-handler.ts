import "server-only";
import { NextResponse } from "next/server";
import { getCurrentUser } from "@/lib/auth/current-user";
import type { TRole } from "@/lib/auth/roles";
import type { TSessionUser } from "@/lib/auth/session-store";
import { AppError, mapPrismaError } from "@/lib/errors";
import { logger } from "@/lib/logger";

// Read endpoints for TanStack Query. Same session and role checks as pages and actions;
// errors are JSON with a code and a message, never a stack trace.
export function readRoute(roles: readonly TRole[], handler: (ctx: { user: TSessionUser; url: URL; request: Request }) => Promise<unknown>) {
  return async (request: Request) => {
    try {
      const user = await getCurrentUser();
      if (!user) throw new AppError("UNAUTHENTICATED", "You are not signed in.");
      if (!roles.includes(user.role)) throw new AppError("FORBIDDEN", `Your role (${user.role}) may not read this.`);
      return NextResponse.json(await handler({ user, url: new URL(request.url), request }));
    } catch (caught) {
      const err = mapPrismaError(caught);
      if (err instanceof AppError) return NextResponse.json({ error: { code: err.code, message: err.message } }, { status: err.status });
      logger.error({ err }, "read route failed");
      return NextResponse.json({ error: { code: "INTERNAL", message: "Something went wrong on the server." } }, { status: 500 });
    }
  };
}
