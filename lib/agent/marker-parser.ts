/**
 * Splits raw PTY output into data and Baton's in-band markers.
 *
 * The session's shell prints markers as OSC sequences, `ESC ] 777 ; <nonce> ; <fields> BEL`,
 * from PS0 (a command started, with the line bash read; see `decodeStartMarker`), from the run wrapper (a `run` command's output starts) and
 * from PROMPT_COMMAND (a command ended, with its exit code and the working directory).
 * The nonce is random per session so command output cannot forge a marker by accident.
 * Markers can be split across reads, so a possible marker prefix at the end of a chunk is
 * held back until the next chunk decides it.
 */
export type TParsedPiece = { kind: "data"; data: Buffer } | { kind: "marker"; fields: string[] };

const BEL = 0x07;
const ESC = 0x1b;
/**
 * A started marker longer than this is not ours; pass it through as data. The longest of ours
 * is a start marker with a 64 KiB command line in base64 (about 87 KiB).
 */
const MAX_MARKER_BYTES = 128 * 1024;
/** The shell reports at most this many bytes of `history 1` (see shell.ts). */
export const MAX_REPORTED_LINE_BYTES = 65536;

export type TStartMarker = { command: string | null; truncated: boolean };

/**
 * Reads the fields of a start marker, `B;<history on>;<expected history number>;<base64 of
 * history 1>`. The line is the command just read only when history was on and the newest
 * entry has the number the shell expected for it; otherwise the shell kept the line out of
 * its history and `command` is null (never the previous entry's line).
 */
export function decodeStartMarker(rest: string[]): TStartMarker {
  const [on, expected, b64] = rest;
  if (on !== "1" || !/^\d+$/.test(expected ?? "") || !b64) return { command: null, truncated: false };
  const raw = Buffer.from(b64, "base64");
  const m = /^ *(\d+)[* ] ([\s\S]*)$/.exec(raw.toString("utf8"));
  if (!m || m[1] !== expected) return { command: null, truncated: false };
  const truncated = raw.length >= MAX_REPORTED_LINE_BYTES;
  return { command: truncated ? m[2] : m[2].replace(/\n$/, ""), truncated };
}

export class MarkerParser {
  private readonly prefix: Buffer;
  private pending: Buffer | null = null;

  constructor(nonce: string) {
    this.prefix = Buffer.from(`\x1b]777;${nonce};`, "latin1");
  }

  /**
   * True when `chunk` is all data: no marker can start in it (no ESC byte) and none is held back
   * from the previous chunk (a marker that started there may end in this one). The caller then
   * routes the chunk as is without `push`: bulk output without escape sequences skips the parser.
   */
  isPlain(chunk: Buffer): boolean {
    return this.pending === null && chunk.indexOf(ESC) === -1;
  }

  push(chunk: Buffer): TParsedPiece[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    const out: TParsedPiece[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const start = buf.indexOf(this.prefix, pos);
      if (start === -1) {
        const keep = this.partialPrefixLength(buf, pos);
        const end = buf.length - keep;
        if (end > pos) out.push({ kind: "data", data: buf.subarray(pos, end) });
        if (keep > 0) this.pending = Buffer.from(buf.subarray(end));
        break;
      }
      if (start > pos) out.push({ kind: "data", data: buf.subarray(pos, start) });
      const bodyStart = start + this.prefix.length;
      const bel = buf.indexOf(BEL, bodyStart);
      if (bel === -1) {
        if (buf.length - start > MAX_MARKER_BYTES) {
          out.push({ kind: "data", data: buf.subarray(start, bodyStart) });
          pos = bodyStart;
          continue;
        }
        this.pending = Buffer.from(buf.subarray(start));
        break;
      }
      out.push({ kind: "marker", fields: buf.toString("utf8", bodyStart, bel).split(";") });
      pos = bel + 1;
    }
    return out;
  }

  /** Bytes at the end of buf (from pos on) that could be the start of a marker prefix. */
  private partialPrefixLength(buf: Buffer, pos: number): number {
    const from = Math.max(pos, buf.length - this.prefix.length + 1);
    for (let i = from; i < buf.length; i++) {
      if (buf[i] !== ESC) continue;
      const n = buf.length - i;
      if (buf.compare(this.prefix, 0, n, i, buf.length) === 0) return n;
    }
    return 0;
  }
}
