import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { OutputHistory } from "./output-history";

const b = (s: string) => Buffer.from(s);

describe("OutputHistory", () => {
  it("Block keeps every unseen byte past the limit and reports full", () => {
    const h = new OutputHistory(10, 10);
    h.push(b("12345"), "Block");
    expect(h.isFull()).toBe(false);
    h.push(b("678901"), "Block");
    expect(h.isFull()).toBe(true);
    expect(h.takeUnseen()).toEqual({ offset: 0, data: b("12345678901"), dropped: 0 });
    expect(h.unseen).toBe(0);
    expect(h.isFull()).toBe(false);
  });

  it("Drop keeps the newest bytes, counts the rest, and removes them from the window", () => {
    const h = new OutputHistory(10, 10);
    h.push(b("abcdef"), "Drop");
    h.push(b("ghijkl"), "Drop");
    expect(h.unseen).toBe(10);
    h.push(b("0123456789XYZ"), "Drop");
    const r = h.takeUnseen();
    expect(r.data.toString()).toBe("3456789XYZ");
    expect(r.offset).toBe(15);
    expect(r.dropped).toBe(2 + 13);
    expect(h.totalDropped).toBe(15);
    expect(h.takeUnseen().dropped).toBe(0);
    // A viewer reading from 0 is told exactly: 15 bytes dropped, none merely expired.
    expect(h.read(0)).toMatchObject({ offset: 15, droppedBytes: 15, expiredBytes: 0, end: 25 });
  });

  it("retains the newest `capacity` bytes for viewers and says what expired", () => {
    const h = new OutputHistory(8, 4);
    h.push(b("abcd"), "Block");
    h.ack(4);
    h.push(b("efgh"), "Block");
    h.ack(8);
    h.push(b("ijkl"), "Block");
    h.ack(12);
    const r = h.read(0);
    expect(r.data.toString()).toBe("efghijkl");
    expect(r).toMatchObject({ offset: 4, expiredBytes: 4, droppedBytes: 0, end: 12 });
    expect(h.read(6, 3).data.toString()).toBe("ghi");
    expect(h.read(12).data.length).toBe(0);
    expect(h.read(99)).toMatchObject({ offset: 12, end: 12 });
  });

  it("never evicts unseen bytes: the ring grows instead", () => {
    const h = new OutputHistory(4, 4);
    h.push(b("abcd"), "Block");
    h.push(b("efghij"), "Block");
    expect(h.unseen).toBe(10);
    expect(h.takeUnseen().data.toString()).toBe("abcdefghij");
  });

  it("acks move the holder's cursor forward only", () => {
    const h = new OutputHistory(16, 16);
    h.push(b("hello world"), "Block");
    expect(h.ack(5)).toBe(true);
    expect(h.ack(3)).toBe(false);
    expect(h.ack(99)).toBe(true);
    expect(h.seen).toBe(11);
    h.unsee(6);
    expect(h.takeUnseen()).toMatchObject({ offset: 6, data: b("world") });
  });

  it("stays byte-exact across many wrap-arounds of random-sized chunks", () => {
    const h = new OutputHistory(1000, 300);
    const all: Buffer[] = [];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const chunk = crypto.randomBytes(1 + (seed % 97));
      all.push(chunk);
      h.push(chunk, "Block");
      if (i % 3 === 0) h.ack(h.end);
    }
    const whole = Buffer.concat(all);
    const r = h.read(0);
    expect(r.offset).toBe(whole.length - h.size);
    expect(r.data.equals(whole.subarray(r.offset))).toBe(true);
    expect(h.size).toBeLessThanOrEqual(1000 + 97);
    expect(h.allocatedBytes).toBeLessThanOrEqual(2048);
  });

  it("an idle session's history allocates nothing", () => {
    expect(new OutputHistory(1 << 20, 1 << 20).allocatedBytes).toBe(0);
  });
});
