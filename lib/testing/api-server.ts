import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

// The REST API's route handlers (every route.ts under app/api/v1) served over real HTTP on a
// free port, routed as Next.js routes them (a static segment before a [param]), for tests that
// run the CLI as a child process. The routes are imported when served, so a test prepares its
// database and environment first. `realtime` also attaches the console's socket.io (the
// terminal channel) to the same server, as server.ts does.

type THandler = (request: Request, context?: { params: Promise<Record<string, string>> }) => Promise<Response>;
type TRoute = { re: RegExp; names: string[]; dynamic: number; mod: Record<string, THandler> };

const ROOT = path.resolve(import.meta.dirname, "../..");

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === "route.ts" ? [path.join(dir, e.name)] : []));
}

async function loadRoutes(): Promise<TRoute[]> {
  const base = path.join(ROOT, "app/api/v1");
  const routes: TRoute[] = [];
  for (const file of routeFiles(base)) {
    const names: string[] = [];
    const segments = path.relative(base, path.dirname(file)).split(path.sep).filter(Boolean);
    const pattern = segments.map((s) => (/^\[(\w+)\]$/.test(s) ? (names.push(s.slice(1, -1)), "([^/]+)") : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/");
    routes.push({ re: new RegExp(`^/api/v1${pattern ? "/" + pattern : ""}$`), names, dynamic: names.length, mod: (await import(file)) as Record<string, THandler> });
  }
  return routes.sort((a, b) => a.dynamic - b.dynamic);
}

export async function serveApi(opts: { realtime?: boolean } = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const routes = await loadRoutes();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    for (const route of routes) {
      const hit = route.re.exec(url.pathname);
      if (!hit) continue;
      const handler = route.mod[req.method ?? "GET"];
      if (!handler) return void res.writeHead(405, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "INVALID_INPUT", message: `${req.method} is not allowed here` } }));
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(hit[i + 1])]));
      const headers = Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : []));
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const response = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body }), { params: Promise.resolve(params) });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      return void res.end(Buffer.from(await response.arrayBuffer()));
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "NOT_FOUND", message: `No route ${url.pathname}` } }));
  });
  const io = opts.realtime ? (await import("@/lib/realtime/socket-server")).attachRealtime(server, { allowed: [] }) : null;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      await io?.close();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
