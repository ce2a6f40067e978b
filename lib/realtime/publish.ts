import type { Server } from "socket.io";
import type { TRole } from "@/lib/auth/roles";
import { LIVE_EVENT, roomForRole, roomForUser, type TLiveEvent } from "@/lib/realtime/events";

// Server actions run in Next's bundle, the socket.io server in server.ts: the instance crosses
// over on globalThis (ENVIRONMENT.md).
const g = globalThis as typeof globalThis & { __batonIo?: Server };

export function setRealtimeServer(io: Server | undefined): void {
  g.__batonIo = io;
}

export type TAudience = { roles?: readonly TRole[]; users?: readonly string[] };

export function publish(event: TLiveEvent, audience: TAudience): void {
  const io = g.__batonIo;
  if (!io) return;
  const rooms = [...(audience.roles ?? []).map(roomForRole), ...(audience.users ?? []).map(roomForUser)];
  if (rooms.length === 0) return;
  io.to(rooms).emit(LIVE_EVENT, event);
}
