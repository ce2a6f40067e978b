import { infiniteQueryOptions, keepPreviousData, queryOptions } from "@tanstack/react-query";
import type { TAuditPage } from "@/lib/data/audit/list-audit-events";
import type { TCommandSearchPage } from "@/lib/data/audit/search-commands";
import type { TSessionTimeline } from "@/lib/data/audit/get-session-timeline";
import type { TTranscriptPage } from "@/lib/data/audit/get-session-transcript";
import type { TVerifyMode } from "@/lib/audit/verify";
import type { TAuditVerification } from "@/lib/data/audit/verify-audit-trail";
import { auditQueryToParams, commandSearchToParams, type TAuditQuery, type TCommandSearch } from "@/lib/data/audit/schemas";
import { fetchJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

export type { TAuditPage };

// Everything under queryKeys.audit.all refetches when an audit event is appended (the live
// channel invalidates that prefix). The chain verification is kept outside it on purpose: it
// reads every event, so it runs when asked, not once per appended event.
export const auditKeys = {
  list: (q: Partial<TAuditQuery>) => queryKeys.audit.list(Object.fromEntries(auditQueryToParams(q))),
  timeline: (sessionId: string) => [...queryKeys.audit.all, "timeline", sessionId] as const,
  transcript: (sessionId: string) => [...queryKeys.audit.all, "transcript", sessionId] as const,
  commands: (q: Partial<TCommandSearch>) => [...queryKeys.audit.all, "commands", commandSearchToParams(q).toString()] as const,
  verify: ["audit-verify"] as const,
};

/** One page of the trail; `initial` is the server-rendered page, used only for the same query. */
export const auditListQuery = (query: TAuditQuery, initial?: { query: TAuditQuery; page: TAuditPage }) =>
  queryOptions({
    queryKey: auditKeys.list(query),
    queryFn: () => fetchJson<TAuditPage>(`/api/audit?${auditQueryToParams(query)}`),
    initialData: initial && auditQueryToParams(initial.query).toString() === auditQueryToParams(query).toString() ? initial.page : undefined,
    placeholderData: keepPreviousData,
  });

/** `run` numbers the requests, so asking again always verifies again rather than showing a cached verdict. */
export const auditVerifyQuery = (mode: TVerifyMode, run: number) =>
  queryOptions({
    queryKey: [...auditKeys.verify, mode, run] as const,
    queryFn: () => fetchJson<TAuditVerification>(`/api/audit/verify?mode=${mode}`),
    staleTime: Infinity,
    retry: false,
  });

export const sessionTimelineQuery = (sessionId: string, initialData?: TSessionTimeline) =>
  queryOptions({
    queryKey: auditKeys.timeline(sessionId),
    queryFn: () => fetchJson<TSessionTimeline>(`/api/audit/sessions/${encodeURIComponent(sessionId)}`),
    initialData,
  });

/** The transcript, a page of commands at a time (oldest first) as the replay needs them. */
export const sessionTranscriptQuery = (sessionId: string) =>
  infiniteQueryOptions({
    queryKey: auditKeys.transcript(sessionId),
    queryFn: ({ pageParam }) =>
      fetchJson<TTranscriptPage>(`/api/audit/sessions/${encodeURIComponent(sessionId)}/transcript${pageParam ? `?after=${encodeURIComponent(pageParam)}` : ""}`),
    initialPageParam: "",
    getNextPageParam: (last) => last.next ?? undefined,
  });

export const commandSearchQuery = (query: TCommandSearch, initial?: { query: TCommandSearch; page: TCommandSearchPage }) =>
  queryOptions({
    queryKey: auditKeys.commands(query),
    queryFn: () => fetchJson<TCommandSearchPage>(`/api/audit/commands?${commandSearchToParams(query)}`),
    initialData: initial && commandSearchToParams(initial.query).toString() === commandSearchToParams(query).toString() ? initial.page : undefined,
    placeholderData: keepPreviousData,
  });
