import { describe, expect, it } from "vitest";
import { OUTPUT_FRAME_HEADER_BYTES } from "../protocol";
import { FramePool } from "./frame-pool";

describe("FramePool", () => {
  it("hands a given-back buffer out again instead of allocating", () => {
    const pool = new FramePool(1024, 4);
    const a = pool.take(1000);
    expect(a.length).toBe(OUTPUT_FRAME_HEADER_BYTES + 1024);
    pool.give(a);
    expect(pool.size).toBe(1);
    expect(pool.take(10)).toBe(a);
    expect(pool.size).toBe(0);
  });

  it("never hands out one buffer twice while it is taken", () => {
    const pool = new FramePool(1024, 4);
    const taken = [pool.take(100), pool.take(100), pool.take(100)];
    expect(new Set(taken).size).toBe(3);
    pool.give(taken[1]);
    const again = [pool.take(100), pool.take(100)];
    expect(again[0]).toBe(taken[1]);
    expect(taken).not.toContain(again[1]);
  });

  it("gives a frame larger than its capacity a buffer of its own, and does not keep it", () => {
    const pool = new FramePool(1024, 4);
    const big = pool.take(5000);
    expect(big.length).toBe(OUTPUT_FRAME_HEADER_BYTES + 5000);
    pool.give(big);
    expect(pool.size).toBe(0);
    // A view into a pooled buffer is not the buffer: it is not kept either.
    const pooled = pool.take(10);
    pool.give(pooled.subarray(0, 100));
    expect(pool.size).toBe(0);
  });

  it("keeps at most `keep` free buffers", () => {
    const pool = new FramePool(64, 2);
    const taken = Array.from({ length: 5 }, () => pool.take(64));
    for (const b of taken) pool.give(b);
    expect(pool.size).toBe(2);
  });
});
