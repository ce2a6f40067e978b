import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeOutputFrame, OUTPUT_FRAME_HEADER_BYTES, uuidToBytes, writeOutputHeader } from "./frames";

describe("output frames", () => {
  it("round-trips a header written in place, offsets past 32 bits included", () => {
    const instanceId = crypto.randomUUID();
    for (const offset of [0, 1, 0xffffffff, 0x100000000, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      const frame = Buffer.alloc(OUTPUT_FRAME_HEADER_BYTES + 3);
      writeOutputHeader(frame, uuidToBytes(instanceId), offset);
      frame.write("abc", OUTPUT_FRAME_HEADER_BYTES, "latin1");
      const decoded = decodeOutputFrame(frame);
      expect(decoded?.instanceId).toBe(instanceId);
      expect(decoded?.offset).toBe(offset);
      expect(decoded?.data.toString("latin1")).toBe("abc");
    }
  });
});
