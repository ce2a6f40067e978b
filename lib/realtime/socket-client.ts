"use client";
import { io, type Socket } from "socket.io-client";

// One socket.io connection per tab, shared by the live-event hook and terminals. Each user
// takes a reference and gives it back; the socket closes when the last one lets go (so a
// page that mounts and unmounts quickly, as in Strict Mode, does not reconnect).
let socket: Socket | null = null;
let refs = 0;
let closeTimer: ReturnType<typeof setTimeout> | undefined;

export function acquireSocket(): Socket {
  clearTimeout(closeTimer);
  refs++;
  socket ??= io({ withCredentials: true, transports: ["websocket", "polling"] });
  if (socket.disconnected && !socket.active) socket.connect();
  return socket;
}

export function releaseSocket(): void {
  refs = Math.max(0, refs - 1);
  if (refs > 0) return;
  clearTimeout(closeTimer);
  closeTimer = setTimeout(() => {
    if (refs > 0 || !socket) return;
    socket.disconnect();
    socket = null;
  }, 1000);
}
