import http from "node:http";
import net from "node:net";

export type DelayProxy = {
  baseUrl: string;
  /** Requests that matched `counts`, in flight now and at most so far, and in total. */
  stats: { inFlight: number; peak: number; total: number };
  delay: { ms: number };
  reset(): void;
  close(): Promise<void>;
};

/**
 * An HTTP proxy in front of one agent that adds `delayMs` to each matching request and counts
 * them (in flight, peak, total); `delayMs` may be changed while it runs. The stream's WebSocket upgrade passes through untouched. When
 * the agent is gone, a request's connection is dropped as the agent's would be (no 502 page).
 */
export async function startDelayProxy(opts: {
  target: string;
  delayMs: number;
  counts?: (method: string, path: string) => boolean;
  /** Share one set of counters between proxies (a job over several agents). */
  stats?: DelayProxy["stats"];
  /** Told +1 when a counted request arrives and -1 when it is answered or dropped (with how long it took). */
  onChange?: (delta: 1 | -1, ms?: number) => void;
  /** Forwards a counted request only once the promise this returns settles (tests that act mid-request). */
  hold?: (method: string, path: string) => Promise<void> | undefined;
}): Promise<DelayProxy> {
  const target = new URL(opts.target);
  const counts = opts.counts ?? ((method: string) => method !== "GET");
  const stats = opts.stats ?? { inFlight: 0, peak: 0, total: 0 };
  const sockets = new Set<net.Socket>();
  const delay = { ms: opts.delayMs };
  const server = http.createServer((req, res) => {
    const counted = counts(req.method ?? "GET", req.url ?? "/");
    if (counted) {
      stats.total++;
      stats.peak = Math.max(stats.peak, ++stats.inFlight);
      opts.onChange?.(1);
    }
    let finished = false;
    const t0 = performance.now();
    const done = () => {
      if (counted && !finished) {
        stats.inFlight--;
        opts.onChange?.(-1, performance.now() - t0);
      }
      finished = true;
    };
    res.once("close", done);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    const held = counted ? opts.hold?.(req.method ?? "GET", req.url ?? "/") : undefined;
    req.on("end", async () => {
      await held?.catch(() => undefined);
      setTimeout(() => {
        const up = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        up.on("error", (err) => {
          // Said, so that a dropped request in a test or benchmark is told from one the console
          // dropped (a refused connection is the agent being down, which the test knows).
          if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED")
            process.stderr.write(`delay proxy: ${req.method} ${req.url} to ${opts.target} failed (${(err as NodeJS.ErrnoException).code ?? err.message}); dropping the connection\n`);
          req.socket.destroy();
        });
        up.end(Buffer.concat(chunks));
      }, delay.ms);
    });
  });
  // The agent's answers carry its keep-alive hint (30 s), which clients honour; this server must
  // not close an idle connection sooner (Node's default is 5 s), or a client reusing it as it
  // closes gets "socket hang up" for a request no agent ever saw.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
    const drop = () => {
      socket.destroy();
      up.destroy();
    };
    up.on("error", drop);
    up.on("close", drop);
    socket.on("error", drop);
    socket.on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stats,
    delay,
    reset() {
      stats.peak = stats.inFlight;
      stats.total = 0;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
