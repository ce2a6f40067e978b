/** HTTP timing and statistics for `npm run bench:console`. */
import http from "node:http";
import zlib from "node:zlib";

// One keep-alive connection, as a browser tab reuses its connection to the console.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export type TTimed = { status: number; ttfbMs: number; totalMs: number; wireBytes: number; body: string; encoding: string | null };

/** GET with a browser's headers; time to first byte and to the last byte of the body. */
export function timedGet(url: string, headers: Record<string, string>): Promise<TTimed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.get(url, { agent, headers: { "accept-encoding": "gzip, deflate, br", ...headers } }, (res) => {
      const ttfbMs = performance.now() - start;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const totalMs = performance.now() - start;
        const raw = Buffer.concat(chunks);
        const encoding = (res.headers["content-encoding"] as string | undefined) ?? null;
        const decoded = encoding === "gzip" ? zlib.gunzipSync(raw) : encoding === "br" ? zlib.brotliDecompressSync(raw) : encoding === "deflate" ? zlib.inflateSync(raw) : raw;
        resolve({ status: res.statusCode ?? 0, ttfbMs, totalMs, wireBytes: raw.length, body: decoded.toString("utf8"), encoding });
      });
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: GET ${url}`)));
  });
}

export function closeHttp(): void {
  agent.destroy();
}

/** Nearest-rank percentile. */
export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const fmtMs = (n: number) => `${n.toFixed(1)}`;
export const fmtBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);

/** A plain-text table: first row is the header; columns after the first are right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
