import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { tokenFromCookieHeader, userForToken, type TSessionUser } from "@/lib/auth/session-store";
import { logger } from "@/lib/logger";
import { setRealtimeServer } from "@/lib/realtime/publish";
import { roomForRole, roomForUser } from "@/lib/realtime/events";
import { attachTerminalRelay } from "@/lib/realtime/terminal-relay";

// socket.io on the console's own port. A socket must present the same session cookie as the
// pages; without one the handshake is refused. Each socket joins its user's and role's rooms.
export function attachRealtime(httpServer: HttpServer, { origin }: { origin?: string } = {}): Server {
  const io = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 32 * 1024,
    cors: origin ? { origin, credentials: true } : undefined,
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
