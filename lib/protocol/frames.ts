/**
 * Binary output frame, agent -> console:
 *   byte 0       0x01 (kind: output)
 *   bytes 1..16  session instanceId (UUID, 16 raw bytes)
 *   bytes 17..24 output offset of the first data byte (unsigned 64-bit big-endian)
 *   bytes 25..   raw terminal output
 * Offsets let a client stitch Receive results and live output without gaps or repeats.
 */
export const OUTPUT_FRAME_KIND = 0x01;
export const OUTPUT_FRAME_HEADER_BYTES = 25;

export type TOutputFrame = { instanceId: string; offset: number; data: Buffer };

export function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

export function bytesToUuid(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function encodeOutputHeader(instanceIdBytes: Buffer, offset: number): Buffer {
  const header = Buffer.allocUnsafe(OUTPUT_FRAME_HEADER_BYTES);
  writeOutputHeader(header, instanceIdBytes, offset);
  return header;
}

/**
 * Writes a frame's header into the first OUTPUT_FRAME_HEADER_BYTES of `frame`, so a sender can
 * build header and payload in one buffer (one copy of the output instead of two).
 */
export function writeOutputHeader(frame: Buffer, instanceIdBytes: Buffer, offset: number): void {
  frame[0] = OUTPUT_FRAME_KIND;
  instanceIdBytes.copy(frame, 1, 0, 16);
  // Offsets stay below 2^53; two 32-bit halves avoid a BigInt per frame.
  frame.writeUInt32BE(Math.floor(offset / 0x100000000), 17);
  frame.writeUInt32BE(offset >>> 0, 21);
}

export function decodeOutputFrame(frame: Buffer): TOutputFrame | null {
  if (frame.length < OUTPUT_FRAME_HEADER_BYTES || frame[0] !== OUTPUT_FRAME_KIND) return null;
  return {
    instanceId: bytesToUuid(frame.subarray(1, 17)),
    offset: Number(frame.readBigUInt64BE(17)),
    data: frame.subarray(OUTPUT_FRAME_HEADER_BYTES),
  };
}
