import type { TEffectiveBufferingMode } from "../protocol";

/** Drop ranges remembered so a viewer's gap can be explained ("dropped" vs "older than the window"). */
const MAX_DROP_RANGES = 32;
const INITIAL_BYTES = 4096;

export type TOutputRead = {
  /** Offset of the first returned byte. */
  offset: number;
  data: Buffer;
  /** Offset of the next byte the shell will produce. */
  end: number;
  /** Of the bytes between the requested offset and `offset`: discarded in Drop mode. */
  droppedBytes: number;
  /** Of the bytes between the requested offset and `offset`: older than the retained window. */
  expiredBytes: number;
};

/**
 * A session's output, as one byte stream numbered by offset (byte N of the shell's output has
 * offset N), and the holder's place in it.
 *
 * - The newest `capacity` bytes are retained (a circular buffer that grows on demand, so an idle
 *   session costs almost nothing). Any viewer can read from any retained offset: a terminal that
 *   attaches, reloads or reconnects replays from where it last was.
 * - `seen` is the holder's cursor: bytes before it were shown to the holder (a terminal acked
 *   them, a Receive returned them) or discarded in Drop mode. The bytes from `seen` on are the
 *   session's output buffer in PowerShell's sense, `unseen` long. They are never evicted: Block
 *   mode stops the shell at `limit` unseen bytes (the caller pauses the PTY), Drop mode discards
 *   the oldest unseen bytes beyond `limit` and counts them.
 */
export class OutputHistory {
  private buf: Buffer = Buffer.alloc(0);
  /** Index in `buf` of the oldest retained byte. */
  private head = 0;
  private retained = 0;
  /** Offset of the next byte. */
  end = 0;
  seen = 0;
  droppedSinceReceive = 0;
  totalDropped = 0;
  private drops: Array<{ from: number; to: number }> = [];

  constructor(
    /** Bytes retained for viewers (at least the buffer limit). */
    public capacity: number,
    /** The output buffer size: unseen bytes beyond it block (Block) or are dropped (Drop). */
    public limit: number,
  ) {
    this.capacity = Math.max(capacity, limit);
  }

  /** Offset of the oldest retained byte. */
  get start(): number {
    return this.end - this.retained;
  }

  get size(): number {
    return this.retained;
  }

  get unseen(): number {
    return this.end - this.seen;
  }

  /** Memory held for retained output (the ring's allocation). */
  get allocatedBytes(): number {
    return this.buf.length;
  }

  isFull(): boolean {
    return this.unseen >= this.limit;
  }

  /** Appends output; in Drop mode the oldest unseen bytes beyond the limit are discarded. */
  push(data: Buffer, mode: TEffectiveBufferingMode): void {
    if (data.length === 0) return;
    if (mode === "Drop" && this.unseen + data.length > this.limit) {
      const newSeen = this.end + data.length - this.limit;
      this.drop(newSeen);
      if (data.length > this.limit) {
        // Only the tail of this chunk survives; nothing older is retained either.
        this.end += data.length - this.limit;
        this.head = 0;
        this.retained = 0;
        data = data.subarray(data.length - this.limit);
      }
    }
    this.append(data);
  }

  /** Marks everything before `offset` as shown to the holder. Returns true if the cursor moved. */
  ack(offset: number): boolean {
    const to = Math.min(offset, this.end);
    if (to <= this.seen) return false;
    this.seen = to;
    return true;
  }

  /**
   * Undoes an optimistic ack (output handed to a stream that turned out to be gone): the bytes
   * from `offset` are unseen again, as far as they are still retained.
   */
  unsee(offset: number): void {
    this.seen = Math.min(this.seen, Math.max(offset, this.start));
  }

  /** Receive: the unseen bytes, in order, and what was dropped since the previous Receive. */
  takeUnseen(): { offset: number; data: Buffer; dropped: number } {
    const offset = Math.max(this.seen, this.start);
    const data = this.copy(offset, this.end);
    this.seen = this.end;
    const dropped = this.droppedSinceReceive;
    this.droppedSinceReceive = 0;
    return { offset, data, dropped };
  }

  /** Bytes from `from` (clamped to what is retained), at most `max` of them, and why any before them are missing. */
  read(from: number, max = Number.POSITIVE_INFINITY): TOutputRead {
    const want = Math.max(0, Math.min(from, this.end));
    const offset = Math.max(want, this.start);
    const stop = Math.min(this.end, offset + max);
    const droppedBytes = this.droppedBetween(want, offset);
    return { offset, data: this.copy(offset, stop), end: this.end, droppedBytes, expiredBytes: offset - want - droppedBytes };
  }

  /** Forgets every byte (the session ended). The cursor and counts stay. */
  clear(): void {
    this.buf = Buffer.alloc(0);
    this.head = 0;
    this.retained = 0;
  }

  private drop(newSeen: number): void {
    const from = this.seen;
    const n = newSeen - from;
    if (n <= 0) return;
    this.seen = newSeen;
    this.droppedSinceReceive += n;
    this.totalDropped += n;
    const last = this.drops[this.drops.length - 1];
    if (last && last.to === from) last.to = newSeen;
    else this.drops.push({ from, to: newSeen });
    if (this.drops.length > MAX_DROP_RANGES) this.drops.shift();
    // Dropped bytes leave the retained window too, so every viewer and Receive agree on them.
    const forget = Math.min(this.retained, Math.max(0, newSeen - this.start));
    this.head = this.wrap(this.head + forget);
    this.retained -= forget;
  }

  private droppedBetween(from: number, to: number): number {
    let n = 0;
    for (const d of this.drops) n += Math.max(0, Math.min(to, d.to) - Math.max(from, d.from));
    return n;
  }

  private append(data: Buffer): void {
    const needed = this.retained + data.length;
    if (needed > this.buf.length && this.buf.length < this.capacity) this.grow(Math.min(this.capacity, needed));
    // Unseen bytes are never evicted: past capacity (Block's one read of overshoot) the ring grows.
    if (this.unseen + data.length > this.buf.length) this.grow(this.unseen + data.length);
    const room = this.buf.length;
    if (data.length >= room) {
      data.copy(this.buf, 0, data.length - room);
      this.head = 0;
      this.retained = room;
    } else {
      const evict = Math.max(0, this.retained + data.length - room);
      this.head = this.wrap(this.head + evict);
      this.retained -= evict;
      let at = this.wrap(this.head + this.retained);
      let src = 0;
      while (src < data.length) {
        const n = Math.min(data.length - src, room - at);
        data.copy(this.buf, at, src, src + n);
        src += n;
        at = this.wrap(at + n);
      }
      this.retained += data.length;
    }
    this.end += data.length;
  }

  private grow(size: number): void {
    let next = Math.max(INITIAL_BYTES, this.buf.length);
    while (next < size) next *= 2;
    next = Math.max(size, Math.min(next, Math.max(this.capacity, size)));
    const fresh = Buffer.allocUnsafe(next);
    const old = this.copy(this.start, this.end);
    old.copy(fresh, 0);
    this.buf = fresh;
    this.head = 0;
  }

  /** Copies retained bytes [from, to) out of the ring (a copy: the ring's memory is reused). */
  private copy(from: number, to: number): Buffer {
    const n = to - from;
    if (n <= 0) return Buffer.alloc(0);
    const at = this.wrap(this.head + (from - this.start));
    const out = Buffer.allocUnsafe(n);
    const first = Math.min(n, this.buf.length - at);
    this.buf.copy(out, 0, at, at + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  private wrap(i: number): number {
    const len = this.buf.length;
    return len === 0 ? 0 : i % len;
  }
}
