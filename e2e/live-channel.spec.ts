import { io, type Socket } from "socket.io-client";
import { expect, test } from "./fixtures";

function connect(baseURL: string, cookie?: string): Socket {
  return io(baseURL, { transports: ["websocket"], extraHeaders: cookie ? { cookie } : {}, reconnection: false, forceNew: true });
}

test("a socket without a valid session is refused", async ({ baseURL }) => {
  for (const cookie of [undefined, "baton_session=forged-token-value"]) {
    const socket = connect(baseURL!, cookie);
    const error = await new Promise<Error>((resolve, reject) => {
      socket.on("connect", () => reject(new Error("connected without a session")));
      socket.on("connect_error", resolve);
    });
    expect(error.message).toContain("unauthorized");
    socket.close();
  }
});

test("an admin's socket receives the event a server action pushes; a technician's does not", async ({ pageAs, baseURL }) => {
  const admin = await pageAs("admin");
  await admin.goto("/users");
  const cookieOf = async (page: typeof admin) =>
    `baton_session=${(await page.context().cookies()).find((c) => c.name === "baton_session")!.value}`;
  const tech = await pageAs("technician");
  await tech.goto("/sessions");

  const [adminCookie, techCookie] = [await cookieOf(admin), await cookieOf(tech)];
  const adminSocket = connect(baseURL!, adminCookie);
  const techSocket = connect(baseURL!, techCookie);
  await Promise.all([adminSocket, techSocket].map((s) => new Promise((r) => (s.connected ? r(null) : s.once("connect", () => r(null))))));
  const adminEvents: unknown[] = [];
  const techEvents: unknown[] = [];
  adminSocket.on("baton", (e) => adminEvents.push(e));
  techSocket.on("baton", (e) => techEvents.push(e));

  const name = `live-${Date.now().toString(36)}`;
  await admin.getByLabel("Username").fill(name);
  await admin.getByLabel("Full name").fill("Live Event");
  await admin.getByLabel("Initial password").fill("a-long-enough-password");
  await admin.getByRole("button", { name: "Add user" }).click();

  await expect.poll(() => adminEvents).toContainEqual(expect.objectContaining({ type: "user.created" }));
  // Technicians get their own sessions' events (other tests may cause some); never user events.
  expect(techEvents.filter((e) => String((e as { type: string }).type).startsWith("user."))).toEqual([]);
  adminSocket.close();
  techSocket.close();
});

test("a second admin browser sees the new user without reloading", async ({ pageAs }) => {
  const a = await pageAs("admin");
  const b = await pageAs("admin");
  await Promise.all([a.goto("/users"), b.goto("/users")]);
  await expect(b.locator("[data-live-status=live]")).toBeVisible();
  const name = `seen-${Date.now().toString(36)}`;
  await a.getByLabel("Username").fill(name);
  await a.getByLabel("Full name").fill("Seen Elsewhere");
  await a.getByLabel("Initial password").fill("a-long-enough-password");
  await a.getByRole("button", { name: "Add user" }).click();
  await expect(b.getByRole("cell", { name, exact: true })).toBeVisible();
});
