/**
 * Server actions and live events as a browser sees them, for `npm run bench:console`.
 *
 * A browser calls a server action with a POST to the page carrying the `Next-Action` header
 * (the action's id in this build) and the arguments encoded by React (`encodeReply`, which for
 * plain JSON arguments is the JSON array itself, sent as text/plain). We send exactly that, so the
 * server runs the same path as for a click: Next's action handler, the cookie session, the action
 * wrapper (role, zod, audit), the agent request, and the store update that publishes the event.
 * The id comes from the build's server-reference manifest, looked up by file and export name.
 */
import fs from "node:fs";
import path from "node:path";
import { io, type Socket } from "socket.io-client";

export type TActionRef = { id: string; page: string };

/** The ids of the named exports of `file` in this build, and a page that registers each. */
export function findActions(root: string, file: string, names: string[]): { found: Record<string, TActionRef>; missing: string[] } {
  const manifestFile = path.join(root, ".next/server/server-reference-manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as {
    node: Record<string, { filename?: string; exportedName?: string; workers: Record<string, unknown> }>;
  };
  const found: Record<string, TActionRef> = {};
  for (const [id, entry] of Object.entries(manifest.node)) {
    if (entry.filename !== file || !entry.exportedName || !names.includes(entry.exportedName)) continue;
    // A static page that registers the action: "app/(console)/sessions/page" -> "/sessions".
    const worker = Object.keys(entry.workers)
      .filter((w) => w.endsWith("/page") && !w.includes("["))
      .sort((a, b) => a.length - b.length)[0];
    if (!worker) continue;
    const page = "/" + worker.replace(/^app\//, "").replace(/\/?page$/, "").split("/").filter((s) => !/^\(.*\)$/.test(s)).join("/");
    found[entry.exportedName] = { id, page };
  }
  return { found, missing: names.filter((n) => !found[n]) };
}

export type TActionCall<T> = { ms: number; result: { ok: true; data: T } | { ok: false; code: string; error: string } };

export async function callAction<T>({ baseUrl, cookie, action, input }: { baseUrl: string; cookie: string; action: TActionRef; input: unknown }): Promise<TActionCall<T>> {
  const start = performance.now();
  const res = await fetch(baseUrl + action.page, {
    method: "POST",
    headers: {
      "next-action": action.id,
      "content-type": "text/plain;charset=UTF-8",
      accept: "text/x-component",
      origin: baseUrl,
      cookie,
    },
    body: JSON.stringify([input]),
  });
  const text = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`action ${action.id} on ${action.page}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  // The RSC payload: one "row:json" line holds the action's return value.
  for (const line of text.split("\n")) {
    const json = line.slice(line.indexOf(":") + 1);
    if (!json.startsWith("{")) continue;
    try {
      const value = JSON.parse(json) as Record<string, unknown>;
      if (typeof value.ok === "boolean") return { ms, result: value as TActionCall<T>["result"] };
    } catch {
      // not a JSON row
    }
  }
  throw new Error(`action ${action.id}: no result in the response: ${text.slice(0, 300)}`);
}

export type TLiveEventSeen = { type: string; id?: string; state?: string; at: number };

/** A second signed-in browser's live channel: every event it receives, with its arrival time. */
export async function openLiveSocket(baseUrl: string, cookie: string): Promise<{ socket: Socket; seen: TLiveEventSeen[]; waitFor: (match: (e: TLiveEventSeen) => boolean, timeoutMs?: number) => Promise<TLiveEventSeen> }> {
  // Same transports as the console's own client (lib/realtime/socket-client.ts).
  const socket = io(baseUrl, { transports: ["websocket", "polling"], extraHeaders: { cookie }, reconnection: false });
  const seen: TLiveEventSeen[] = [];
  const waiters = new Set<() => void>();
  socket.on("baton", (e: { type: string; id?: string; state?: string }) => {
    seen.push({ type: e.type, id: e.id, state: e.state, at: performance.now() });
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (err) => reject(new Error(`live socket: ${err.message}`)));
  });
  const waitFor = (match: (e: TLiveEventSeen) => boolean, timeoutMs = 10_000) =>
    new Promise<TLiveEventSeen>((resolve, reject) => {
      const check = () => {
        const hit = seen.find(match);
        if (!hit) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching live event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { socket, seen, waitFor };
}
