"use client";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { TSessionDetail, TSessionFilters, TSessionPage, TSessionRow } from "@/lib/dto/sessions";
import { queryKeys } from "@/lib/queries/keys";
import { idsWorthReading, planSessionPatch, type TCachedPage } from "@/lib/queries/patch-session-rows";
import { fetchSessionRows } from "@/lib/queries/sessions";
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
      // The session's own view and the computers' usage counts ("*": every session). Its row in
      // the lists is patched (rowPatcher below), which refetches the lists only when it must.
      if (event.id === "*") return [queryKeys.sessions.all, queryKeys.computers.all];
      return [queryKeys.sessions.detail(event.id), queryKeys.computers.all];
    case "session.removed":
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

const ROWS_WINDOW_MS = 250;

/**
 * The sessions that `session.updated` events name within ROWS_WINDOW_MS are read in one request
 * (POST /api/sessions/rows) and patched into the cached list pages and session pages, so a bulk
 * job over the rows on screen refetches no list. A page a changed session may enter (a new
 * session, one on a page not read) or leave (gone, no longer visible, out of its filters), or
 * move in (its sort order), refetches instead: at once, throttled, when it is on screen; marked
 * stale otherwise (lib/queries/patch-session-rows.ts decides).
 */
function rowPatcher(queryClient: QueryClient, refetchLists: () => void) {
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  // One read at a time, so an older answer never lands after a newer one.
  let chain = Promise.resolve();
  const cachedPages = (): TCachedPage[] =>
    queryClient
      .getQueriesData<TSessionPage>({ queryKey: SESSION_LISTS })
      .flatMap(([key, page]) => (page ? [{ key, filters: key[2] as TSessionFilters, page }] : []));
  const flush = async () => {
    const changed = [...pending];
    pending.clear();
    // No list read yet (another page of the console): nothing to patch; session pages refetch.
    if (changed.length === 0 || cachedPages().length === 0) return;
    const worth = idsWorthReading(changed, cachedPages());
    let rows: TSessionRow[] = [];
    try {
      if (worth.length) rows = await fetchSessionRows(worth);
    } catch {
      return refetchLists();
    }
    if (stopped) return;
    const plan = planSessionPatch({ pages: cachedPages(), changed, rows, now: Date.now() });
    for (const p of plan.patched) queryClient.setQueryData(p.key, p.page);
    for (const row of rows) queryClient.setQueryData<TSessionDetail>(queryKeys.sessions.detail(row.id), (d) => (d ? { ...d, session: row } : d));
    let onScreen = false;
    for (const { key } of plan.refetch) {
      if (queryClient.getQueryCache().find({ queryKey: key, exact: true })?.isActive()) onScreen = true;
      else void queryClient.invalidateQueries({ queryKey: key, exact: true, refetchType: "none" });
    }
    if (onScreen) refetchLists();
  };
  const push = (id: string) => {
    pending.add(id);
    timer ??= setTimeout(() => {
      timer = undefined;
      chain = chain.then(flush, flush);
    }, ROWS_WINDOW_MS);
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    pending.clear();
  };
  return { push, stop };
}

// The tab's shared socket (lib/realtime/socket-client.ts); pushed events invalidate the
// matching queries so they refetch, or patch the session rows they name. Mount once per tab (the
// console layout's LiveStatus does).
export function useLiveEvents(onEvent?: (e: TLiveEvent) => void): TLiveStatus {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TLiveStatus>("connecting");
  useEffect(() => {
    const socket = acquireSocket();
    const invalidate = throttledInvalidation((key) => void queryClient.invalidateQueries({ queryKey: key }));
    const rows = rowPatcher(queryClient, () => invalidate.push(SESSION_LISTS));
    if (socket.connected) setStatus("live");
    const onConnect = () => setStatus("live");
    const onDown = () => setStatus("offline");
    const onLive = (raw: unknown) => {
      const parsed = ZLiveEvent.safeParse(raw);
      if (!parsed.success) return;
      for (const key of keysFor(parsed.data)) invalidate.push(key);
      if (parsed.data.type === "session.updated" && parsed.data.id !== "*") rows.push(parsed.data.id);
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
      rows.stop();
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
