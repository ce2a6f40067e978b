import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { assertAccessTokenActive, userForAccessToken } from "@/lib/auth/access-token-check";
import { tokenFromCookieHeader, userForToken, type TSessionUser } from "@/lib/auth/session-store";
import { appendAuditEvent, auditActorOf } from "@/lib/audit/append";
import { AppError } from "@/lib/errors";
import { auditOriginRefusal } from "@/lib/http/origin-refusal";
import { clientAddress, judgeOrigin, refusalMessage, requestFacts } from "@/lib/http/origins";
import { logger } from "@/lib/logger";
import { setRealtimeServer } from "@/lib/realtime/publish";
import { roomForRole, roomForUser } from "@/lib/realtime/events";
import { attachTerminalRelay } from "@/lib/realtime/terminal-relay";

// socket.io on the console's own port. A socket must present the same session cookie as the
// pages; without one the handshake is refused. The handshake must also come from one of the
// console's origins (`allowed`): a WebSocket is not bound by CORS, and a page on another port of
// the same host gets the cookie attached. Each socket joins its user's and role's rooms.
//
// A program (the baton CLI's connect-session --attach) presents a personal access token instead,
// in socket.io's handshake auth ({ token }) or as Authorization: Bearer, with the REST API's
// checks (its user, its narrower role, revoked, expired), audited when refused. A token is not
// an ambient credential, so no page on another origin can make a browser present it. Every
// message of such a socket checks the token again: revoked or expired mid-way, the socket is
// told why and closed.
const BEARER = /^Bearer\s+(\S+)\s*$/i;

function presentedToken(handshake: { auth: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }): string | null {
  if (typeof handshake.auth?.token === "string") return handshake.auth.token;
  const header = handshake.headers.authorization;
  const match = typeof header === "string" ? BEARER.exec(header) : null;
  return match ? match[1] : null;
}
export function attachRealtime(httpServer: HttpServer, { allowed, trustProxy = false }: { allowed: readonly string[]; trustProxy?: boolean }): Server {
  const io = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 32 * 1024,
    // No CORS headers: only same-origin pages may read the polling transport.
    cors: undefined,
    allowRequest: (req, callback) => {
      const facts = requestFacts(req);
      const verdict = judgeOrigin(facts, allowed);
      if (verdict.ok) return callback(null, true);
      const address = clientAddress(req, trustProxy);
      logger.warn({ origin: verdict.origin, address }, "socket.io handshake from a foreign origin refused");
      void auditOriginRefusal({ facts, verdict, cookieHeader: req.headers.cookie, channel: "socket.io", address }).finally(() =>
        callback(refusalMessage(verdict, allowed), false),
      );
    },
  });
  io.use(async (socket, next) => {
    const token = presentedToken(socket.handshake);
    try {
      const user = token !== null ? await userForAccessToken(token) : await userForToken(tokenFromCookieHeader(socket.handshake.headers.cookie));
      if (!user) return next(new Error("unauthorized: sign in first"));
      socket.data.user = user;
      next();
    } catch (err) {
      if (err instanceof AppError && token !== null) {
        // Audited as the REST API audits a refused token: anonymous, the reason, never the value.
        await appendAuditEvent({ actor: { id: null, name: "(anonymous)", role: "none" }, action: "socket.authenticate", outcome: "refused", params: { channel: "socket.io" }, error: `${err.code}: ${err.message}` }).catch(
          (caught) => logger.error({ err: caught }, "refused socket token not audited"),
        );
        return next(new Error(`unauthorized: ${err.message}`));
      }
      logger.error({ err }, "socket auth failed");
      next(new Error("unavailable"));
    }
  });
  io.on("connection", (socket) => {
    const user = socket.data.user as TSessionUser;
    void socket.join([roomForUser(user.id), roomForRole(user.role)]);
    if (user.accessToken) {
      socket.use((_packet, next) => {
        assertAccessTokenActive(user).then(
          () => next(),
          (err: unknown) => {
            const message = err instanceof AppError ? err.message : "The access token could not be checked.";
            void appendAuditEvent({ actor: auditActorOf(user), action: "socket.authenticate", outcome: "refused", params: { channel: "socket.io" }, error: `UNAUTHENTICATED: ${message}` }).catch(() => {});
            socket.emit("auth.refused", { message });
            socket.disconnect(true);
            next(err instanceof Error ? err : new Error(message));
          },
        );
      });
    }
    attachTerminalRelay(socket, user);
    logger.debug({ userId: user.id, socket: socket.id }, "socket connected");
  });
  setRealtimeServer(io);
  return io;
}
