import { AREA_ROLES } from "@/lib/auth/roles";
import { parseCommandSearch } from "@/lib/data/audit/schemas";
import { searchCommands } from "@/lib/data/audit/search-commands";
import { AppError } from "@/lib/errors";
import { readRoute } from "@/lib/http/route-handler";

// GET /api/audit/commands?q=&before=|after=&size=
export const GET = readRoute(AREA_ROLES.audit, ({ user, url }) => {
  const parsed = parseCommandSearch(url.searchParams);
  if (!parsed.ok) throw new AppError("INVALID_INPUT", parsed.problems.join(" "));
  return searchCommands({ actor: user, query: parsed.query });
});
