import { queryOptions } from "@tanstack/react-query";
import type { TBulkJobView } from "@/lib/dto/sessions";
import { fetchJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

export const jobsListQuery = (initialData: TBulkJobView[]) =>
  queryOptions({ queryKey: queryKeys.jobs.list(), queryFn: () => fetchJson<TBulkJobView[]>("/api/jobs"), initialData });
