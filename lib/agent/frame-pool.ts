import { OUTPUT_FRAME_HEADER_BYTES } from "../protocol";

/**
 * Output frame buffers, reused once the socket has taken a frame's bytes. A session sends a
 * frame about every 64 KiB of output; a fresh 64 KiB buffer each time doubled the agent's
 * external allocations (PTY reads are the other half) and with them its garbage collections.
 * The pool is the agent's, not a session's, and holds at most `keep` free buffers, so idle
 * sessions hold none.
 */
export class FramePool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Largest payload a pooled buffer carries; a larger frame gets a buffer of its own. */
    readonly payloadCapacity = 128 * 1024,
    private readonly keep = 16,
  ) {}

  /** A buffer of at least `payloadBytes` after the header: pooled (to `give` back) when it fits. */
  take(payloadBytes: number): Buffer {
    if (payloadBytes > this.payloadCapacity) return Buffer.allocUnsafe(OUTPUT_FRAME_HEADER_BYTES + payloadBytes);
    return this.free.pop() ?? Buffer.allocUnsafeSlow(OUTPUT_FRAME_HEADER_BYTES + this.payloadCapacity);
  }

  /** Returns a buffer from `take` once nothing reads it any more; others are left to the GC. */
  give(buf: Buffer): void {
    if (buf.length === OUTPUT_FRAME_HEADER_BYTES + this.payloadCapacity && buf.byteOffset === 0 && this.free.length < this.keep) this.free.push(buf);
  }

  get size(): number {
    return this.free.length;
  }
}

export const framePool = new FramePool();
