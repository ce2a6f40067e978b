import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { tokenFromCookieHeader, userForToken, type TSessionUser } from "@/lib/auth/session-store";
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
    try {
      const user = await userForToken(tokenFromCookieHeader(socket.handshake.headers.cookie));
      if (!user) return next(new Error("unauthorized: sign in first"));
      socket.data.user = user;
      next();
    } catch (err) {
      logger.error({ err }, "socket auth failed");
      next(new Error("unavailable"));
    }
  });
  io.on("connection", (socket) => {
    const user = socket.data.user as TSessionUser;
    void socket.join([roomForUser(user.id), roomForRole(user.role)]);
    attachTerminalRelay(socket, user);
    logger.debug({ userId: user.id, socket: socket.id }, "socket connected");
  });
  setRealtimeServer(io);
  return io;
}
