import { describe, expect, it } from "vitest";
import { describeGap, lastLines, startAtLine, unwrittenPart } from "./terminal-protocol";

const b = (s: string) => Buffer.from(s);

describe("terminal replay helpers", () => {
  it("keeps only the lines a terminal's scrollback can hold", () => {
    const data = b("a\nb\nc\nd\n");
    expect(lastLines(data, 10)).toBe(0);
    expect(data.subarray(lastLines(data, 2)).toString()).toBe("c\nd\n");
    // The unfinished last line (a prompt) comes with the lines before it.
    const partial = b("a\nb\nc");
    expect(partial.subarray(lastLines(partial, 1)).toString()).toBe("b\nc");
  });

  it("starts a window that begins mid-stream at its first line break", () => {
    expect(startAtLine(100, b("[1;3xx\nnext"))).toEqual({ offset: 107, data: b("next") });
    expect(startAtLine(5, b("no break"))).toEqual({ offset: 5, data: b("no break") });
  });

  it("says what is missing and why, or nothing", () => {
    expect(describeGap({ from: 10, offset: 10, droppedBytes: 0, fresh: false })).toBeNull();
    expect(describeGap({ from: 0, offset: 1500, droppedBytes: 1000, fresh: false })).toBe(
      "1,000 bytes dropped while disconnected (OutputBufferingMode Drop); 500 bytes older than the retained window: not shown",
    );
  });
});

describe("unwrittenPart", () => {
  const data = new Uint8Array([1, 2, 3, 4]);
  it("keeps only the bytes past the terminal's cursor, each byte once", () => {
    expect(unwrittenPart(null, 10, data)).toEqual({ offset: 10, data, end: 14 });
    expect(unwrittenPart(10, 10, data)).toEqual({ offset: 10, data, end: 14 });
    const part = unwrittenPart(12, 10, data)!;
    expect([part.offset, [...part.data], part.end]).toEqual([12, [3, 4], 14]);
    expect(unwrittenPart(14, 10, data)).toBeNull();
    expect(unwrittenPart(20, 10, data)).toBeNull();
  });
});
