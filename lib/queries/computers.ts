import { queryOptions } from "@tanstack/react-query";
import type { TComputerRow } from "@/lib/dto/computers";
import { fetchJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

export const computersListQuery = (initialData: TComputerRow[]) =>
  queryOptions({ queryKey: queryKeys.computers.list(), queryFn: () => fetchJson<TComputerRow[]>("/api/computers"), initialData });
