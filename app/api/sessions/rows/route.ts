import { AREA_ROLES } from "@/lib/auth/roles";
import { getSessionRows } from "@/lib/data/sessions/get-session-rows";
import { ZSessionRowsRequest } from "@/lib/dto/sessions";
import { AppError } from "@/lib/errors";
import { readRoute } from "@/lib/http/route-handler";

// POST /api/sessions/rows { ids: [...] }: a read (it changes nothing), sent as POST because 500
// ids do not fit a URL. The sessions page asks for the rows live events named.
export const POST = readRoute(AREA_ROLES.sessions, async ({ user, request }) => {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new AppError("INVALID_INPUT", "The request body must be JSON: { \"ids\": [session ids] }.");
  }
  const parsed = ZSessionRowsRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("INVALID_INPUT", `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`);
  }
  return getSessionRows({ actor: user, ids: parsed.data.ids });
});
