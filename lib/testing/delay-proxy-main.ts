import { startDelayProxy, type DelayProxy } from "./delay-proxy";

// Runs delay proxies in their own process (see proxy-process.ts), so that their work does not
// count as the console's in a test that measures the console. Commands arrive over IPC.
type TCommand = { id: number; type: "stats" | "reset" | "delay" | "close"; index?: number; ms?: number };

const targets: string[] = JSON.parse(process.env.BATON_PROXY_TARGETS ?? "[]");
const delayMs = Number(process.env.BATON_PROXY_DELAY_MS ?? "50");
const isBulkRequest = (method: string, path: string) => method === "DELETE" || /\/(disconnect|connect|receive)$/.test(path);
const combined = { inFlight: 0, peak: 0, total: 0, medianMs: 0 };
// How long each counted request took here (the added delay plus the agent's answer), since the last reset.
let durations: number[] = [];
const median = () => {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
};
const perTarget = targets.map(() => ({ inFlight: 0, peak: 0, total: 0 }));

const proxies: DelayProxy[] = [];
for (const [i, target] of targets.entries()) {
  const own = perTarget[i];
  // Each proxy counts into its own stats and into the combined ones.
  const onChange = (delta: 1 | -1, ms?: number) => {
    combined.inFlight += delta;
    if (ms !== undefined) durations.push(ms);
    if (delta > 0) {
      combined.total++;
      combined.peak = Math.max(combined.peak, combined.inFlight);
    }
  };
  proxies.push(await startDelayProxy({ target, delayMs, counts: isBulkRequest, stats: own, onChange }));
}
process.send!({ ready: proxies.map((p) => p.baseUrl) });
process.on("message", async (m: TCommand) => {
  combined.medianMs = median();
  switch (m.type) {
    case "stats":
      break;
    case "reset":
      combined.peak = combined.inFlight;
      combined.total = 0;
      durations = [];
      for (const p of proxies) p.reset();
      break;
    case "delay":
      proxies[m.index!].delay.ms = m.ms!;
      break;
    case "close":
      await Promise.all(proxies.map((p) => p.close()));
      process.send!({ id: m.id, combined, perTarget }, () => process.exit(0));
      return;
  }
  process.send!({ id: m.id, combined, perTarget });
});
