"use client";
import { useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import type { TSessionFilters } from "@/lib/dto/sessions";
import { parseSessionFilters, sessionFiltersToParams } from "@/lib/queries/sessions";

// Filters, sort and page live in the URL. Updates replace the history entry in place
// (history.replaceState, which Next's router picks up): no server render per keystroke,
// since the list itself refetches through the API.
export function useSessionFilters() {
  const searchParams = useSearchParams();
  const { filters, problems } = useMemo(() => parseSessionFilters(new URLSearchParams(searchParams.toString())), [searchParams]);
  const setFilters = useCallback(
    (patch: Partial<TSessionFilters>) => {
      // Any change but paging itself starts again at page 1.
      const next: TSessionFilters = { ...filters, ...patch, page: patch.page ?? 1 };
      const qs = sessionFiltersToParams(next).toString();
      window.history.replaceState(null, "", `${window.location.pathname}${qs ? `?${qs}` : ""}`);
    },
    [filters],
  );
  return { filters, problems, setFilters };
}
