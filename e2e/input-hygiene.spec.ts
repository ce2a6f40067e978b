import { expect, test } from "./fixtures";
import { captureAction, cookieOf } from "./support/replay";
import { newSession, removeSession, unique } from "./support/sessions";

// Input hygiene as an attacker would try it against the running console: bytes that are not
// UTF-8, names that display as something else, numbers written as text or arrays.

test("a session name with a right-to-left override is refused, naming the field and the character", async ({ pageAs }) => {
  const tech = await pageAs("technician");
  await tech.goto("/sessions");
  await tech.getByRole("button", { name: "New session" }).click();
  const dialog = tech.getByRole("dialog", { name: "New session" });
  await dialog.getByLabel("Computer").selectOption({ label: "Srv1" });
  // Shows as "reportexe.txt".
  await dialog.getByLabel("Session name").fill("report\u202Etxt.exe");
  await dialog.getByRole("button", { name: "Create session" }).click();
  await expect(dialog).toContainText("U+202E RIGHT-TO-LEFT OVERRIDE");
  await expect(dialog).toBeVisible();
});

test("raw requests: bytes that are not UTF-8 get 400, numbers as text or arrays are refused, nothing is created", async ({ pageAs, playwright, baseURL }) => {
  const tech = await pageAs("technician");
  const name = unique("Hyg");
  let id = "";
  const captured = await captureAction(tech, [name], async () => {
    id = await newSession(tech, { computer: "Srv1", name, idleTimeoutSec: 3600 });
  });
  expect(captured.body).toContain('"idleTimeoutSec":3600');
  const ctx = await playwright.request.newContext({ baseURL });
  const cookie = await cookieOf(tech);
  const send = (data: string | Buffer) =>
    ctx.post(captured.url, {
      headers: {
        "next-action": captured.headers["next-action"],
        "next-router-state-tree": captured.headers["next-router-state-tree"] ?? "",
        "content-type": captured.headers["content-type"],
        accept: "text/x-component",
        cookie,
      },
      data,
    });
  const listed = async (n: string) => {
    const res = await ctx.get(`/api/sessions?name=${encodeURIComponent(n)}`, { headers: { cookie } });
    expect(res.status()).toBe(200);
    return ((await res.json()) as { rows: unknown[] }).rows.length;
  };
  try {
    // Name bytes ff fe: Next would decode them to U+FFFD and create "Hyg-…-x��".
    const [before, after] = captured.body.split(name);
    const badName = `${name}-x`;
    const res = await send(Buffer.concat([Buffer.from(before + badName), Buffer.from([0xff, 0xfe]), Buffer.from(after)]));
    expect(res.status()).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "INVALID_INPUT", message: expect.stringContaining("not valid UTF-8") } });

    // "0x3c" and [60] are not 60.
    for (const [i, idle] of ['"0x3c"', "[60]", '"60"'].entries()) {
      const text = await (await send(captured.body.replace(name, `${name}-n${i}`).replace('"idleTimeoutSec":3600', `"idleTimeoutSec":${idle}`))).text();
      expect(text).toContain("must be a number of seconds");
    }
    for (const n of [badName, `${name}-n0`, `${name}-n1`, `${name}-n2`]) expect(await listed(n)).toBe(0);
    expect(await listed(name)).toBe(1);

    // Query strings: percent-encoded bytes that are not UTF-8, and numbers that are not decimal digits.
    const q = await ctx.get("/api/sessions?name=%FF%FE", { headers: { cookie } });
    expect(q.status()).toBe(400);
    expect(((await q.json()) as { error: { message: string } }).error.message).toContain("query string");
    const hex = await ctx.get("/api/sessions?page=0x2", { headers: { cookie } });
    expect(hex.status()).toBe(400);
    expect(((await hex.json()) as { error: { message: string } }).error.message).toContain("decimal digits");
  } finally {
    await ctx.dispose();
    if (id) await removeSession(tech, id, `${name} on Srv1`).catch(() => undefined);
  }
});
