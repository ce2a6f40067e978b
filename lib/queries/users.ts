import { queryOptions } from "@tanstack/react-query";
import type { TUserRow } from "@/lib/data/users/list-users";
import { fetchJson } from "@/lib/queries/fetch-json";
import { queryKeys } from "@/lib/queries/keys";

export const usersListQuery = (initialData: TUserRow[]) =>
  queryOptions({ queryKey: queryKeys.users.list(), queryFn: () => fetchJson<TUserRow[]>("/api/users"), initialData });
