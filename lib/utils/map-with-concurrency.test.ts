import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "@/lib/utils/map-with-concurrency";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("mapWithConcurrency", () => {
  it("never has more than `limit` calls in flight, and uses the whole limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 200 }, (_, i) => i);
    await mapWithConcurrency(items, 32, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(1 + (i % 7));
      inFlight--;
      return i;
    });
    expect(peak).toBe(32);
  });

  it("reports each outcome, keeps order, and does not stop on failures", async () => {
    const settled: number[] = [];
    const results = await mapWithConcurrency(
      [1, 2, 3, 4, 5],
      2,
      async (n) => {
        await sleep(6 - n);
        if (n % 2 === 0) throw new Error(`even ${n}`);
        return n * 10;
      },
      (_r, _item, i) => settled.push(i),
    );
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([10, "even 2", 30, "even 4", 50]);
    expect(settled.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects a nonsense limit", async () => {
    await expect(mapWithConcurrency([1], 0, async (x) => x)).rejects.toThrow(/positive integer/);
  });
});
