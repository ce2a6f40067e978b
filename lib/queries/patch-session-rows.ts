import { CLOSED_VISIBLE_MS, type TSessionFilters, type TSessionPage, type TSessionRow } from "@/lib/dto/sessions";

// What the sessions page does with the sessions a burst of live events named: rows that merely
// changed and still belong where they are get patched in place; anything that could change which
// rows a page holds, or their order, or its total, falls back to refetching the lists. Pure, so
// the rules are tested without a browser; lib/realtime/use-live-events.ts applies them.

/** One cached list page: its query key, the filters it was read with, and its data. */
export type TCachedPage = { key: readonly unknown[]; filters: TSessionFilters; page: TSessionPage };

/** Why a changed session makes the lists refetch instead of a patch. */
export type TFallbackReason =
  | "not-cached" // on no cached page: a new session, or one on a page not read (its list may change)
  | "gone" // removed, or no longer the viewer's to see
  | "filters" // it no longer matches a page's filters: it leaves that page, the total changes
  | "order"; // its place in a page's sort order moved

export type TFallback = { id: string; reason: TFallbackReason };

/** The changed ids that sit on some cached page (worth a rows read) and those that do not. */
export function splitChanged(changed: Iterable<string>, pages: readonly TCachedPage[]): { onPages: string[]; fallback: TFallback[] } {
  const cached = new Set(pages.flatMap((p) => p.page.rows.map((r) => r.id)));
  const onPages: string[] = [];
  const fallback: TFallback[] = [];
  for (const id of new Set(changed)) (cached.has(id) ? onPages.push(id) : fallback.push({ id, reason: "not-cached" }));
  return { onPages, fallback };
}

/**
 * The cached pages with the fresh rows put in place, and the sessions that need a list refetch
 * instead. `requested`: the ids the rows were read for (one not among `rows` is gone or hidden).
 * Only pages that hold a requested row are returned; a page with a row that cannot be patched is
 * not patched at all (its refetch replaces it).
 */
export function patchSessionPages({
  pages,
  requested,
  rows,
  now,
}: {
  pages: readonly TCachedPage[];
  requested: readonly string[];
  rows: readonly TSessionRow[];
  now: number;
}): { patched: TCachedPage[]; fallback: TFallback[] } {
  const asked = new Set(requested);
  const fresh = new Map(rows.map((r) => [r.id, r]));
  const patched: TCachedPage[] = [];
  const fallback = new Map<string, TFallback>();
  for (const cached of pages) {
    let touched = false;
    let fits = true;
    const next = cached.page.rows.map((old) => {
      if (!asked.has(old.id)) return old;
      touched = true;
      const row = fresh.get(old.id);
      const reason = row ? misfit(old, row, cached.filters, now) : "gone";
      if (reason) {
        fits = false;
        if (!fallback.has(old.id)) fallback.set(old.id, { id: old.id, reason });
        return old;
      }
      return row!;
    });
    if (touched && fits) patched.push({ ...cached, page: { ...cached.page, rows: next } });
  }
  return { patched, fallback: [...fallback.values()] };
}

/** Why the fresh row of a session a page lists cannot simply replace the old one, or null. */
export function misfit(old: TSessionRow, row: TSessionRow, filters: TSessionFilters, now: number): TFallbackReason | null {
  // The old row matched the page's filters when it was read: only what changed needs judging.
  if (filters.computer && row.computerName !== old.computerName) return "filters";
  if (filters.name && row.name !== old.name) return "filters";
  if (filters.owner && row.ownerName !== old.ownerName) return "filters";
  if (filters.handed && row.handedTo?.id !== old.handedTo?.id) return "filters";
  if (!matchesView(row, filters, now)) return "filters";
  if (sortValue(row, filters.sort) !== sortValue(old, filters.sort)) return "order";
  return null;
}

/**
 * The state and availability filters over a row as the server computed it for this viewer
 * (lib/data/sessions/list-sessions.ts's viewWhere says the same over stored fields). A row's
 * `state`/`availability` are the viewer's view; a non-null holder on an Opened row the viewer
 * sees as Opened is the viewer.
 */
export function matchesView(row: TSessionRow, filters: Pick<TSessionFilters, "state" | "availability">, now: number): boolean {
  const attached = row.holderId !== null;
  switch (filters.state) {
    case undefined:
      if (row.agentState === "Closed" && Date.parse(row.updatedAt) < now - CLOSED_VISIBLE_MS) return false;
      break;
    case "Disconnected":
      if (row.state !== "Disconnected") return false;
      break;
    case "Opened":
      if (row.state !== "Opened" || !attached) return false;
      break;
    default:
      if (row.agentState !== filters.state) return false;
  }
  switch (filters.availability) {
    case undefined:
      return true;
    case "Available":
    case "Busy":
      return row.availability === filters.availability && attached;
    case "None":
      return row.agentState !== "Opened";
  }
}

/** What a row sorts by on the server (list-sessions.ts's ORDER), as one comparable string. */
function sortValue(row: TSessionRow, sort: TSessionFilters["sort"]): string {
  switch (sort) {
    case "computer":
      return `${row.computerName}\u0000${row.agentSessionId}`;
    case "name":
      return row.name.toLowerCase();
    case "state":
      return row.agentState;
    case "id":
      return String(row.agentSessionId);
    case "owner":
      return row.ownerName;
    case "updated":
      return row.updatedAt;
    case "expires":
      return row.expiresOn ?? "";
  }
}
