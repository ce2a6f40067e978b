"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { io } from "socket.io-client";
import { queryKeys } from "@/lib/queries/keys";
import { LIVE_EVENT, ZLiveEvent, type TLiveEvent } from "@/lib/realtime/events";

export type TLiveStatus = "connecting" | "live" | "offline";

// Which cached queries an event makes stale. Exhaustive over event types.
export function keysFor(event: TLiveEvent): readonly (readonly string[])[] {
  switch (event.type) {
    case "user.created":
    case "user.updated":
      return [queryKeys.users.all];
    case "audit.appended":
      return [queryKeys.audit.all];
    case "computer.updated":
      return [queryKeys.computers.all];
    case "session.updated":
    case "session.removed":
      return [queryKeys.sessions.all];
  }
}

// One socket per tab; pushed events invalidate the matching queries so they refetch.
export function useLiveEvents(onEvent?: (e: TLiveEvent) => void): TLiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TLiveStatus>("connecting");
  useEffect(() => {
    const socket = io({ withCredentials: true, transports: ["websocket", "polling"] });
    socket.on("connect", () => setStatus("live"));
    socket.on("disconnect", () => setStatus("offline"));
    socket.on("connect_error", () => setStatus("offline"));
    socket.on(LIVE_EVENT, (raw: unknown) => {
      const parsed = ZLiveEvent.safeParse(raw);
      if (!parsed.success) return;
      for (const key of keysFor(parsed.data)) void queryClient.invalidateQueries({ queryKey: key });
      onEvent?.(parsed.data);
    });
    return () => {
      socket.disconnect();
    };
  }, [queryClient, onEvent]);
  return status;
}
