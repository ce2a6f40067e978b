import { queryOptions } from "@tanstack/react-query";
import type { TAuditRow } from "@/lib/data/audit/list-audit-events";
import { fetchJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

export type TAuditPage = { rows: TAuditRow[]; nextBefore: number | null };

export const auditListQuery = (initialData: TAuditPage) =>
  queryOptions({ queryKey: queryKeys.audit.list({}), queryFn: () => fetchJson<TAuditPage>("/api/audit"), initialData });
