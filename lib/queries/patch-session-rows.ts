import { CLOSED_VISIBLE_MS, nameMatches, type TSessionFilters, type TSessionPage, type TSessionRow } from "@/lib/dto/sessions";

export { nameMatches };

// What the sessions page does with the sessions a burst of live events named: rows that merely
// changed and still belong where they are get patched in place; anything that could change which
// rows a page holds, or their order, or its total, makes that page refetch. Pure, so the rules
// are tested without a browser; lib/realtime/use-live-events.ts applies them.

/** One cached list page: its query key, the filters it was read with, and its data. */
export type TCachedPage = { key: readonly unknown[]; filters: TSessionFilters; page: TSessionPage };

/** Why a changed session makes a page refetch instead of a patch. */
export type TFallbackReason =
  | "not-on-page" // not on the page but may belong on it: a new session, one entering its filters, one from a page not read
  | "gone" // removed, or no longer the viewer's to see
  | "filters" // it no longer matches the page's filters: it leaves the page, the total changes
  | "order"; // its place in the page's sort order moved

export type TFallback = { id: string; reason: TFallbackReason };

/**
 * The changed ids whose rows can spare a refetch: those on a cached page (to patch), and, when a
 * page filters by computer or name, the others too (a row outside those filters leaves that page
 * alone). Any other id makes the pages refetch whatever its row says, so reading it is waste.
 */
export function idsWorthReading(changed: Iterable<string>, pages: readonly TCachedPage[]): string[] {
  const ids = [...new Set(changed)];
  if (pages.some((p) => p.filters.computer || p.filters.name)) return ids;
  const cached = new Set(pages.flatMap((p) => p.page.rows.map((r) => r.id)));
  return ids.filter((id) => cached.has(id));
}

/**
 * Each cached page with the fresh rows put in place, or, when a changed session could change
 * which rows the page holds, their order or its total, that page to refetch instead (with why).
 * `changed`: the ids events named; `rows`: those read of them (idsWorthReading), so a session on
 * a page but not among `rows` is gone or hidden. A page that holds none of them and cannot gain
 * them (they fail its computer or name filter) is left alone.
 */
export function planSessionPatch({
  pages,
  changed,
  rows,
  now,
}: {
  pages: readonly TCachedPage[];
  changed: readonly string[];
  rows: readonly TSessionRow[];
  now: number;
}): { patched: TCachedPage[]; refetch: { key: readonly unknown[]; fallback: TFallback[] }[] } {
  const fresh = new Map(rows.map((r) => [r.id, r]));
  const named = new Set(changed);
  const patched: TCachedPage[] = [];
  const refetch: { key: readonly unknown[]; fallback: TFallback[] }[] = [];
  for (const cached of pages) {
    const onPage = new Set(cached.page.rows.map((r) => r.id));
    const fallback: TFallback[] = [];
    for (const id of named) {
      if (onPage.has(id)) continue;
      const row = fresh.get(id);
      if (row && outsideForGood(row, cached.filters)) continue;
      fallback.push({ id, reason: "not-on-page" });
    }
    let touched = false;
    const next = cached.page.rows.map((old) => {
      if (!named.has(old.id)) return old;
      touched = true;
      const row = fresh.get(old.id);
      const reason = row ? misfit(old, row, cached.filters, now) : "gone";
      if (!reason) return row!;
      fallback.push({ id: old.id, reason });
      return old;
    });
    if (fallback.length) refetch.push({ key: cached.key, fallback });
    else if (touched) patched.push({ ...cached, page: { ...cached.page, rows: next } });
  }
  return { patched, refetch };
}

/**
 * A session that fails a page's computer or name filter never was and never will be on it (a
 * session keeps its computer and name), whatever else changed.
 */
function outsideForGood(row: TSessionRow, filters: TSessionFilters): boolean {
  return (!!filters.computer && row.computerName !== filters.computer) || (!!filters.name && !nameMatches(row.name, filters.name));
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
