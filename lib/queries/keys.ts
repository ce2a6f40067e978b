import type { TSessionFilters } from "@/lib/dto/sessions";

// One key factory per domain; invalidate by prefix after a mutation or a live event.
export const queryKeys = {
  users: { all: ["users"] as const, list: () => ["users", "list"] as const },
  audit: { all: ["audit"] as const, list: (filters: Record<string, string>) => ["audit", "list", filters] as const },
  computers: { all: ["computers"] as const, list: () => ["computers", "list"] as const },
  jobs: { all: ["jobs"] as const, list: () => ["jobs", "list"] as const },
  sessions: {
    all: ["sessions"] as const,
    list: (filters: TSessionFilters) => ["sessions", "list", filters] as const,
    detail: (id: string) => ["sessions", "detail", id] as const,
  },
};
