"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { queryKeys } from "@/lib/queries/keys";
import { LIVE_EVENT, ZLiveEvent, type TLiveEvent } from "@/lib/realtime/events";
import { acquireSocket, releaseSocket } from "@/lib/realtime/socket-client";

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
      // The session's own view, its lists, and the computers' usage counts ("*": every session).
      if (event.id === "*") return [queryKeys.sessions.all, queryKeys.computers.all];
      return [queryKeys.sessions.detail(event.id), SESSION_LISTS, queryKeys.computers.all];
    case "handoff.received":
    case "session.taken-over":
      return [queryKeys.sessions.all];
    case "bulk.progress":
      return [];
  }
}

const SESSION_LISTS = ["sessions", "list"] as const;
const INVALIDATE_WINDOW_MS = 200;
// Whole lists refetch at most this often while their events keep coming (a bulk job changes
// hundreds of sessions in a second or two); a lone event still refetches at once.
const LIST_WINDOW_MS: Record<string, number> = { [SESSION_LISTS.join("\u0000")]: 1000, [queryKeys.computers.all.join("\u0000")]: 2000 };

// A burst of events (a bulk job touching hundreds of sessions) must not restart the same
// refetch on every event, which would cancel each one before it answers: the first event of a
// key invalidates at once, later ones in the window collapse into one trailing invalidation.
function throttledInvalidation(run: (key: readonly string[]) => void) {
  const windows = new Map<string, { timer?: ReturnType<typeof setTimeout>; again: boolean }>();
  const push = (key: readonly string[]) => {
    const id = key.join("\u0000");
    const open = windows.get(id);
    if (open) {
      open.again = true;
      return;
    }
    run(key);
    const entry: { timer?: ReturnType<typeof setTimeout>; again: boolean } = { again: false };
    const close = () => {
      if (!entry.again) return void windows.delete(id);
      entry.again = false;
      run(key);
      entry.timer = setTimeout(close, LIST_WINDOW_MS[id] ?? INVALIDATE_WINDOW_MS);
    };
    entry.timer = setTimeout(close, LIST_WINDOW_MS[id] ?? INVALIDATE_WINDOW_MS);
    windows.set(id, entry);
  };
  const stop = () => {
    for (const w of windows.values()) clearTimeout(w.timer);
    windows.clear();
  };
  return { push, stop };
}

// The tab's shared socket (lib/realtime/socket-client.ts); pushed events invalidate the
// matching queries so they refetch. Mount once per tab (the console layout's LiveStatus does).
export function useLiveEvents(onEvent?: (e: TLiveEvent) => void): TLiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TLiveStatus>("connecting");
  useEffect(() => {
    const socket = acquireSocket();
    const invalidate = throttledInvalidation((key) => void queryClient.invalidateQueries({ queryKey: key }));
    if (socket.connected) setStatus("live");
    const onConnect = () => setStatus("live");
    const onDown = () => setStatus("offline");
    const onLive = (raw: unknown) => {
      const parsed = ZLiveEvent.safeParse(raw);
      if (!parsed.success) return;
      for (const key of keysFor(parsed.data)) invalidate.push(key);
      onEvent?.(parsed.data);
    };
    socket.on("connect", onConnect);
    socket.on("disconnect", onDown);
    socket.on("connect_error", onDown);
    socket.on(LIVE_EVENT, onLive);
    return () => {
      socket.off("connect", onConnect);
      socket.off("disconnect", onDown);
      socket.off("connect_error", onDown);
      socket.off(LIVE_EVENT, onLive);
      invalidate.stop();
      releaseSocket();
    };
  }, [queryClient, onEvent]);
  return status;
}

// Listens to live events on the shared socket without invalidating anything (useLiveEvents
// already does that once per tab): for components that follow one kind of event.
export function useLiveEvent(onEvent: (e: TLiveEvent) => void): void {
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });
  useEffect(() => {
    const socket = acquireSocket();
    const onLive = (raw: unknown) => {
      const parsed = ZLiveEvent.safeParse(raw);
      if (parsed.success) handler.current(parsed.data);
    };
    socket.on(LIVE_EVENT, onLive);
    return () => {
      socket.off(LIVE_EVENT, onLive);
      releaseSocket();
    };
  }, []);
}
