import type { TEffectiveBufferingMode } from "../protocol";

/**
 * The bounded per-session buffer for output nobody is attached to receive.
 * Block: the caller pauses the PTY once `isFull()`, so at most one PTY read (<= 64 KiB)
 * lands beyond the limit. Drop: the oldest bytes go, and are counted.
 */
export class OutputBuffer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Dropped and not yet reported by a drain. */
  droppedSinceDrain = 0;
  totalDropped = 0;

  constructor(public limit: number) {}

  get size(): number {
    return this.bytes;
  }

  isFull(): boolean {
    return this.bytes >= this.limit;
  }

  push(data: Buffer, mode: TEffectiveBufferingMode): void {
    if (data.length === 0) return;
    if (mode === "Drop" && data.length >= this.limit) {
      const drop = this.bytes + data.length - this.limit;
      this.chunks = [Buffer.from(data.subarray(data.length - this.limit))];
      this.bytes = this.limit;
      this.count(drop);
      return;
    }
    this.chunks.push(data);
    this.bytes += data.length;
    if (mode === "Drop") this.trimTo(this.limit);
  }

  /** Everything buffered, in order, plus the dropped count since the last drain. */
  drain(): { data: Buffer; dropped: number } {
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytes);
    const dropped = this.droppedSinceDrain;
    this.chunks = [];
    this.bytes = 0;
    this.droppedSinceDrain = 0;
    return { data, dropped };
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }

  private trimTo(limit: number): void {
    let excess = this.bytes - limit;
    if (excess <= 0) return;
    this.count(excess);
    while (excess > 0) {
      const first = this.chunks[0];
      if (first.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.length;
        excess -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.bytes -= excess;
        excess = 0;
      }
    }
  }

  private count(n: number): void {
    this.droppedSinceDrain += n;
    this.totalDropped += n;
  }
}
