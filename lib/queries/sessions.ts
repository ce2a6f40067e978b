import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { SESSION_ROWS_MAX, ZSessionFilters, type TSessionDetail, type TSessionFilters, type TSessionPage, type TSessionRow, type TSessionRows } from "@/lib/dto/sessions";
import { fetchJson, postJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

const DEFAULTS = ZSessionFilters.parse({});

/** The filters as URL search params, leaving out defaults so shared links stay short. */
export function sessionFiltersToParams(filters: TSessionFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(ZSessionFilters.shape) as (keyof TSessionFilters)[]) {
    const value = filters[key];
    if (value === undefined || value === DEFAULTS[key]) continue;
    params.set(key, String(value));
  }
  return params;
}

/**
 * One page of sessions. `initialData` is the server-rendered page for exactly these filters;
 * other filters fetch, keeping the previous rows on screen meanwhile.
 */
export const sessionsListQuery = (filters: TSessionFilters, initial?: { filters: TSessionFilters; page: TSessionPage }) =>
  queryOptions({
    queryKey: queryKeys.sessions.list(filters),
    queryFn: () => fetchJson<TSessionPage>(`/api/sessions?${sessionFiltersToParams(filters)}`),
    initialData: initial && sessionFiltersToParams(initial.filters).toString() === sessionFiltersToParams(filters).toString() ? initial.page : undefined,
    placeholderData: keepPreviousData,
  });

export const sessionDetailQuery = (id: string, initialData?: TSessionDetail) =>
  queryOptions({
    queryKey: queryKeys.sessions.detail(id),
    queryFn: () => fetchJson<TSessionDetail>(`/api/sessions/${encodeURIComponent(id)}`),
    initialData,
  });

/** The current rows of these sessions (those the viewer may see), SESSION_ROWS_MAX per request. */
export async function fetchSessionRows(ids: readonly string[]): Promise<TSessionRow[]> {
  const rows: TSessionRow[] = [];
  for (let at = 0; at < ids.length; at += SESSION_ROWS_MAX) {
    rows.push(...(await postJson<TSessionRows>("/api/sessions/rows", { ids: ids.slice(at, at + SESSION_ROWS_MAX) })).rows);
  }
  return rows;
}

type TRawParams = Record<string, string | string[] | undefined>;

/**
 * The URL's filters, each bad parameter replaced by its default and named in `problems`, so a
 * mistyped link still shows a page and says what was ignored.
 */
export function parseSessionFilters(raw: TRawParams | URLSearchParams): { filters: TSessionFilters; problems: string[] } {
  const entries: Record<string, string> = {};
  const source = raw instanceof URLSearchParams ? [...raw.entries()] : Object.entries(raw);
  for (const [key, value] of source) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined && key in ZSessionFilters.shape) entries[key] = v;
  }
  const problems: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) {
    const parsed = ZSessionFilters.safeParse(entries);
    if (parsed.success) return { filters: parsed.data, problems };
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      if (!(key in entries)) continue;
      const why = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
      problems.push(`The filter ${key}=“${entries[key]}” was ignored (${why}).`);
      delete entries[key];
    }
  }
  return { filters: DEFAULTS, problems };
}
