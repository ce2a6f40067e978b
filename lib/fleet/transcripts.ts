import { StringDecoder } from "node:string_decoder";
import { neutralise } from "@/lib/audit/neutralise";
import { db } from "@/lib/db/client";

/** Output kept per command for auditors; beyond this the command is marked truncated. */
export const TRANSCRIPT_MAX_CHARS_PER_COMMAND = 64 * 1024;
/** Output held in memory per session between flushes. */
const PENDING_MAX_BYTES = 256 * 1024;

/** Reads a range of a session's output from its agent (retained there by offset). */
export type THoleReader = (instanceId: string, from: number, to: number) => Promise<{ offset: number; data: Buffer } | null>;

type TSegment = { offset: number; data: Buffer };
type TPending = {
  decoder: StringDecoder;
  /** Offset of the next byte to record. */
  cursor: number;
  /** Received output not yet written, in offset order; a segment after a hole waits for it. */
  segments: TSegment[];
  bytes: number;
  /** The agent has output up to here: anything between the cursor and it is fetched at flush. */
  expectTo: number;
  overflow: boolean;
  /** Output taken in (offsets `from`–`to`) whose write failed: written first, next time. */
  unwritten: { text: string; from: number; to: number } | null;
};

/** Output kept in memory while the store cannot take it; beyond this it is read back from the agent by offset. */
export const UNWRITTEN_MAX_CHARS = 256 * 1024;

/**
 * Records what sessions print into their commands' transcripts: bounded per command, with
 * truncation recorded, escape sequences neutralised. Output is recorded by offset, once each:
 * live frames, terminal replays and Receive results overlap freely; output the console never
 * saw (produced while disconnected) is read from the agent to fill the hole, in order.
 */
export class TranscriptRecorder {
  private readonly pending = new Map<string, TPending>();

  constructor(private readonly readHole: THoleReader) {}

  /** Where recording starts for a session the console did not see begin (default: its first byte). */
  start(instanceId: string, offset: number): void {
    if (!this.pending.has(instanceId)) this.state(instanceId, offset);
  }

  add(instanceId: string, offset: number, data: Buffer): void {
    const p = this.state(instanceId, offset);
    const end = offset + data.length;
    const known = Math.max(p.cursor, p.segments.length ? p.segments[p.segments.length - 1].offset + p.segments[p.segments.length - 1].data.length : 0);
    if (end <= known) return;
    if (p.bytes + data.length > PENDING_MAX_BYTES) {
      p.overflow = true;
      return;
    }
    const from = Math.max(offset, known);
    p.segments.push({ offset: from, data: data.subarray(from - offset) });
    p.bytes += end - from;
  }

  /** The agent reports output up to `offset`; what the console has not seen is fetched at the next flush. */
  expect(instanceId: string, offset: number): void {
    const p = this.pending.get(instanceId);
    if (p) p.expectTo = Math.max(p.expectTo, offset);
  }

  async flushAll(): Promise<void> {
    for (const instanceId of [...this.pending.keys()]) await this.flush(instanceId);
  }

  /**
   * Writes what was recorded, in offset order, to the session's running (else last) command.
   * `upTo`: only output before this offset (an event's own offset): what came after it belongs
   * to whatever the event starts, and waits.
   */
  async flush(instanceId: string, upTo = Number.POSITIVE_INFINITY): Promise<void> {
    const p = this.pending.get(instanceId);
    if (!p) return;
    const from = p.unwritten?.from ?? p.cursor;
    const parts: Buffer[] = [];
    let notes = "";
    const fill = async (to: number) => {
      if (to <= p.cursor) return;
      const got = await this.readHole(instanceId, p.cursor, to).catch(() => null);
      const at = got ? got.offset : to;
      if (at > p.cursor) notes += `\n[${(Math.min(at, to) - p.cursor).toLocaleString("en-US")} bytes of output were not recorded: dropped or no longer retained]\n`;
      if (got && got.data.length) {
        parts.push(got.data.subarray(0, Math.max(0, to - got.offset)));
        p.cursor = Math.min(to, got.offset + got.data.length);
      }
      p.cursor = Math.max(p.cursor, Math.min(at, to));
    };
    const segments = p.segments;
    p.segments = [];
    p.bytes = 0;
    for (const seg of segments) {
      const end = seg.offset + seg.data.length;
      if (seg.offset >= upTo) {
        p.segments.push(seg);
        p.bytes += seg.data.length;
        continue;
      }
      if (seg.offset > p.cursor) await fill(seg.offset);
      if (end <= p.cursor) continue;
      const stop = Math.min(end, upTo);
      parts.push(seg.data.subarray(Math.max(0, p.cursor - seg.offset), stop - seg.offset));
      p.cursor = stop;
      if (stop < end) {
        p.segments.push({ offset: stop, data: seg.data.subarray(stop - seg.offset) });
        p.bytes += end - stop;
      }
    }
    const want = Math.min(p.expectTo, upTo);
    if (want > p.cursor && !p.overflow) await fill(want);
    const overflow = p.overflow;
    if (overflow) {
      // Live output came faster than it could be kept: the rest is fetched by offset next time.
      p.overflow = false;
      p.expectTo = Math.max(p.expectTo, p.cursor);
    }
    if (parts.length === 0 && !notes && !overflow && !p.unwritten) return;
    const text = (p.unwritten?.text ?? "") + notes + neutralise(p.decoder.write(Buffer.concat(parts)));
    p.unwritten = null;
    try {
      // Not written (the session's row is not there yet, the store failed): kept for the next flush.
      if (!(await this.write(instanceId, text))) p.unwritten = { text, from, to: p.cursor };
    } catch (err) {
      p.unwritten = { text, from, to: p.cursor };
      throw err;
    } finally {
      if (p.unwritten && p.unwritten.text.length > UNWRITTEN_MAX_CHARS) {
        // Too much to hold: let go of it, and read it back from the agent (by offset) next time;
        // what the agent no longer retains by then is marked as not recorded, with its size.
        p.cursor = p.unwritten.from;
        p.expectTo = Math.max(p.expectTo, p.unwritten.to);
        p.decoder = new StringDecoder("utf8");
        p.unwritten = null;
      }
    }
  }

  /** Appends to the session's running (else last) command; false when the session has no row yet. */
  private async write(instanceId: string, text: string): Promise<boolean> {
    const session = await db.session.findUnique({ where: { instanceId }, select: { id: true } });
    if (!session) return false;
    // The running command if there is one, else the one that ran last.
    const select = { id: true, output: true, outputTruncated: true } as const;
    const command =
      (await db.sessionCommand.findFirst({ where: { sessionId: session.id, endedAt: null }, orderBy: { startedAt: "desc" }, select })) ??
      (await db.sessionCommand.findFirst({ where: { sessionId: session.id }, orderBy: { startedAt: "desc" }, select }));
    if (!command) return true; // output before any command: the shell's banner and prompt
    const room = TRANSCRIPT_MAX_CHARS_PER_COMMAND - command.output.length;
    const truncated = text.length > room;
    if (room <= 0 && command.outputTruncated) return true;
    await db.sessionCommand.update({
      where: { id: command.id },
      data: { output: command.output + text.slice(0, Math.max(0, room)), outputTruncated: command.outputTruncated || truncated },
    });
    return true;
  }

  forget(instanceId: string): void {
    this.pending.delete(instanceId);
  }

  private state(instanceId: string, offset: number): TPending {
    let p = this.pending.get(instanceId);
    if (!p) {
      p = { decoder: new StringDecoder("utf8"), cursor: offset, segments: [], bytes: 0, expectTo: offset, overflow: false, unwritten: null };
      this.pending.set(instanceId, p);
    }
    return p;
  }
}
