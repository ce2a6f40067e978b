import { describe, expect, it } from "vitest";
import { nextRunShared } from "@/lib/utils/next-run-shared";

describe("nextRunShared", () => {
  it("gives the callers of one turn one run, and a later caller a run that starts after it asked", async () => {
    let state = "old";
    const started: string[] = [];
    const check = nextRunShared(async () => {
      const seen = state;
      started.push(seen);
      await new Promise((r) => setTimeout(r, 5));
      return seen;
    });
    const firstTurn = [check(), check(), check()];
    expect(started).toEqual([]); // nothing runs before the turn ends
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(["old"]);
    // The run is under way: the state changes, and a caller now must not be given the old answer.
    state = "new";
    const late = check();
    expect(await Promise.all(firstTurn)).toEqual(["old", "old", "old"]);
    expect(await late).toBe("new");
    expect(started).toEqual(["old", "new"]);
  });

  it("hands a failed run's error to each of its callers, and runs again for the next", async () => {
    let fail = true;
    const check = nextRunShared(async () => {
      if (fail) throw new Error("revoked");
      return "ok";
    });
    const results = await Promise.allSettled([check(), check()]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await expect(check()).resolves.toBe("ok");
  });
});
