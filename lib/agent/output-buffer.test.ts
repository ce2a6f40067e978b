import { describe, expect, it } from "vitest";
import { OutputBuffer } from "./output-buffer";

describe("OutputBuffer", () => {
  it("Block keeps everything and reports full", () => {
    const b = new OutputBuffer(10);
    b.push(Buffer.from("12345"), "Block");
    expect(b.isFull()).toBe(false);
    b.push(Buffer.from("678901"), "Block");
    expect(b.isFull()).toBe(true);
    expect(b.drain()).toEqual({ data: Buffer.from("12345678901"), dropped: 0 });
    expect(b.size).toBe(0);
  });

  it("Drop keeps the newest bytes and counts the rest", () => {
    const b = new OutputBuffer(10);
    b.push(Buffer.from("abcdef"), "Drop");
    b.push(Buffer.from("ghijkl"), "Drop");
    expect(b.size).toBe(10);
    b.push(Buffer.from("0123456789XYZ"), "Drop");
    const r = b.drain();
    expect(r.data.toString()).toBe("3456789XYZ");
    expect(r.dropped).toBe(2 + 13);
    expect(b.totalDropped).toBe(15);
    expect(b.drain().dropped).toBe(0);
  });
});
