/**
 * bench:bulk's second part: the same jobs through the real console (production build, its own
 * process), started over its REST API as the CLI does, with the sessions page open in Chromium
 * during the job and, interleaved, without it (issue 14: "with the sessions page open in a
 * browser during the job"). The console's CPU is read from /proc; the page's requests are counted
 * by kind (whole-list fetches, row reads, computers) while each job runs.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { bounded } from "./bounded";
import { ensureBuild, freePort, startConsole, type TConsole } from "./console-server";

export type TPageJob = {
  op: "disconnect" | "connect";
  limit: number;
  page: boolean;
  wallMs: number;
  idealMs: number;
  failed: number;
  cpuMsPerTarget: number;
  /** The page's fetches during the job: whole lists, row reads, computers (0 without a page). */
  fetches: { lists: number; rows: number; computers: number };
  loadAtEnd: string;
};

type TSetup = {
  root: string;
  env: Record<string, string>;
  targets: number;
  singleMs: { disconnect: number; connect: number };
  /** Cookie value of a signed-in manager, and a personal access token of the same manager. */
  cookie: { name: string; value: string };
  token: string;
  /** Resolves once the store shows `count` targets in `state` (the agents' events applied). */
  storeShows: (state: "Disconnected" | "Opened", count: number) => Promise<void>;
  load: () => string;
};

export async function runWithPage(s: TSetup, plan: readonly { op: "disconnect" | "connect"; limit: number; page: boolean }[]): Promise<TPageJob[]> {
  ensureBuild(s.root);
  const port = await freePort();
  let running: TConsole | null = null;
  let browser: Browser | null = null;
  try {
    running = await startConsole({
      root: s.root,
      env: {
        ...s.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        HOST: "127.0.0.1",
        PORT: String(port),
        BATON_DEMO_FLEET: "0",
        LOG_LEVEL: "warn",
        // BENCH_PROFILE: the console's whole run profiled too (written before it stops).
        ...(process.env.BENCH_PROFILE
          ? { NODE_OPTIONS: `--require ${path.join(import.meta.dirname, "cpu-profile-preload.cjs")}`, BENCH_CPU_PROFILE_FILE: path.join(process.env.BENCH_PROFILE, "console.cpuprofile") }
          : {}),
      },
    });
    const base = running.baseUrl;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${s.token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json()) as { data?: unknown };
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
      return json.data;
    };
    // The console's own links to every agent up before the first job. Not the computers' stored
    // status: part 1 left it "online" in the database, and the first job then raced the links'
    // start ("Bulk1 is not answering" for every target).
    await bounded(
      (async () => {
        for (;;) {
          const ready = (await (await fetch(`${base}/readyz`)).json().catch(() => null)) as { checks?: { agents?: { online?: number; ok?: boolean } } } | null;
          const agents = ready?.checks?.agents;
          if (agents?.ok && (agents.online ?? 0) > 0) return;
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
      "the console's links to the agents online",
      60_000,
    );

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addCookies([{ name: s.cookie.name, value: s.cookie.value, url: base }]);

    const results: TPageJob[] = [];
    for (const step of plan) {
      let page: Page | null = null;
      const fetches = { lists: 0, rows: 0, computers: 0 };
      let counting = false;
      if (step.page) {
        page = await context.newPage();
        page.on("request", (req) => {
          if (!counting) return;
          const { pathname } = new URL(req.url());
          if (pathname === "/api/sessions" && req.method() === "GET") fetches.lists++;
          else if (pathname === "/api/sessions/rows") fetches.rows++;
          else if (pathname === "/api/computers") fetches.computers++;
        });
        // The whole fleet's list, as a manager watching it opens it (the targets' rows among others).
        await page.goto(`${base}/sessions`);
        await page.getByRole("table").first().waitFor({ timeout: 30_000 });
        await page.getByText("Live", { exact: true }).first().waitFor({ timeout: 30_000 });
      }
      const cpu0 = running.cpuMs();
      counting = true;
      const start = performance.now();
      const { jobId, total } = (await api("POST", "/api/v1/sessions/bulk", { operation: step.op, filters: { name: "Target*" }, throttleLimit: step.limit })) as { jobId: string; total: number };
      let job: { finished: boolean; outcomes: { ok: boolean; error: string | null }[] };
      do job = (await bounded(api("GET", `/api/v1/sessions/bulk/${jobId}?wait=1`), `${step.op} job at ThrottleLimit ${step.limit}`, 60_000)) as typeof job;
      while (!job.finished);
      const wallMs = performance.now() - start;
      const cpuMs = running.cpuMs() - cpu0;
      counting = false;
      if (total !== s.targets) throw new Error(`the job took ${total} targets, expected ${s.targets}`);
      const failed = job.outcomes.filter((o) => !o.ok).length;
      // A failed target is a finding: say why (the first distinct reasons), not only how many.
      const reasons = [...new Set(job.outcomes.flatMap((o) => (o.ok ? [] : [o.error ?? "no reason given"])))].slice(0, 3);
      if (reasons.length) console.log(`  ${step.op} T=${step.limit}: ${failed} targets failed, for example: ${reasons.join(" | ")}`);
      await s.storeShows(step.op === "disconnect" ? "Disconnected" : "Opened", s.targets - failed);
      await page?.close();
      results.push({
        ...step,
        wallMs,
        idealMs: Math.ceil(total / step.limit) * s.singleMs[step.op],
        failed,
        cpuMsPerTarget: cpuMs / total,
        fetches,
        loadAtEnd: s.load(),
      });
      const r = results.at(-1)!;
      console.log(
        `  ${step.op} T=${step.limit}, page ${step.page ? "open" : "closed"}: ${(wallMs / 1000).toFixed(2)} s (ratio ${(wallMs / r.idealMs).toFixed(2)}), failed ${failed}, ` +
          `console CPU ${r.cpuMsPerTarget.toFixed(2)} ms per target${step.page ? `; the page fetched ${fetches.lists} lists, ${fetches.rows} row reads, ${fetches.computers} computers` : ""}; load ${r.loadAtEnd}`,
      );
    }
    return results;
  } finally {
    await browser?.close().catch(() => undefined);
    if (process.env.BENCH_PROFILE && running) {
      // Every process of the console's group writes console-<pid>.cpuprofile (tsx's launcher too).
      const written = () => fs.readdirSync(process.env.BENCH_PROFILE!).filter((f) => f.startsWith("console-")).length;
      running.signal("SIGUSR2");
      for (let i = 0; i < 50 && written() < 2; i++) await new Promise((r) => setTimeout(r, 200));
    }
    await running?.stop().catch(() => undefined);
  }
}
