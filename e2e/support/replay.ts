import type { APIRequest, APIRequestContext, Page, Request } from "@playwright/test";

// A server action exactly as a browser sent it (Next's action id, router state, body), so a
// test can send it again as someone else, or against another session, bypassing the UI that
// would not offer the button. What the server answers is the verdict.

export type TCapturedAction = { url: string; headers: Record<string, string>; body: string };

/** Runs `trigger` in `page` and keeps the server-action POST whose body contains every one of `needles`. */
export async function captureAction(page: Page, needles: string[], trigger: () => Promise<unknown>): Promise<TCapturedAction> {
  const isIt = (r: Request) => r.method() === "POST" && !!r.headers()["next-action"] && needles.every((n) => (r.postData() ?? "").includes(n));
  const [request] = await Promise.all([page.waitForRequest(isIt), trigger()]);
  return { url: request.url(), headers: request.headers(), body: request.postData() ?? "" };
}

/** The signed-in cookie of a page's context, as a Cookie header. */
export async function cookieOf(page: Page): Promise<string> {
  const c = (await page.context().cookies()).find((x) => x.name === "baton_session");
  if (!c) throw new Error("no baton_session cookie");
  return `baton_session=${c.value}`;
}

/**
 * Sends a captured action again with another user's cookie (and optionally an edited body);
 * returns the server's answer as text (Next's RSC payload, which carries the action's result).
 */
export async function replayAction(
  playwright: { request: APIRequest },
  action: TCapturedAction,
  as: Page,
  edit: (body: string) => string = (b) => b,
): Promise<string> {
  const ctx: APIRequestContext = await playwright.request.newContext();
  try {
    const res = await ctx.post(action.url, {
      headers: {
        "next-action": action.headers["next-action"],
        "next-router-state-tree": action.headers["next-router-state-tree"] ?? "",
        "content-type": action.headers["content-type"],
        accept: "text/x-component",
        cookie: await cookieOf(as),
      },
      data: edit(action.body),
    });
    return await res.text();
  } finally {
    await ctx.dispose();
  }
}
