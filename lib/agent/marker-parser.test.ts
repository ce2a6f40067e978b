import { describe, expect, it } from "vitest";
import { decodeStartMarker, MAX_REPORTED_LINE_BYTES, MarkerParser, type TParsedPiece } from "./marker-parser";

const NONCE = "abc123";
const marker = (body: string) => `\x1b]777;${NONCE};${body}\x07`;

function collect(pieces: TParsedPiece[]) {
  let data = "";
  const markers: string[][] = [];
  for (const p of pieces) {
    if (p.kind === "data") data += p.data.toString("latin1");
    else markers.push(p.fields);
  }
  return { data, markers };
}

describe("MarkerParser", () => {
  it("separates markers from data", () => {
    const p = new MarkerParser(NONCE);
    const r = collect(p.push(Buffer.from(`hello${marker("E;0;/tmp")}world`, "latin1")));
    expect(r).toEqual({ data: "helloworld", markers: [["E", "0", "/tmp"]] });
  });

  it("finds a marker split at every possible position", () => {
    const text = `a${marker("S;c1")}bc${marker("E;2;/home/x;y")}d`;
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new MarkerParser(NONCE);
      const r = collect([...p.push(Buffer.from(text.slice(0, cut), "latin1")), ...p.push(Buffer.from(text.slice(cut), "latin1"))]);
      expect(r).toEqual({ data: "abcd", markers: [["S", "c1"], ["E", "2", "/home/x", "y"]] });
    }
  });

  it("passes through other OSC sequences and markers with another nonce", () => {
    const p = new MarkerParser(NONCE);
    const other = "\x1b]0;title\x07\x1b]777;zzz;E;0\x07";
    const r = collect(p.push(Buffer.from(other, "latin1")));
    expect(r).toEqual({ data: other, markers: [] });
  });

  it("lets a chunk skip the parser only when no marker can start or end in it", () => {
    // As the session reads: a plain chunk is data as is, anything else goes through push.
    const feed = (p: MarkerParser, chunk: string) => {
      const buf = Buffer.from(chunk, "latin1");
      return p.isPlain(buf) ? [{ kind: "data" as const, data: buf }] : p.push(buf);
    };
    const p = new MarkerParser(NONCE);
    expect(p.isPlain(Buffer.from("plain output\r\n"))).toBe(true);
    expect(p.isPlain(Buffer.from("colour \x1b[1m"))).toBe(false);
    // The marker straddles the chunks and its second part holds no ESC: not plain while pending.
    const first = collect(feed(p, `out${marker("E;0;/tmp").slice(0, 9)}`));
    expect(first).toEqual({ data: "out", markers: [] });
    expect(p.isPlain(Buffer.from(marker("E;0;/tmp").slice(9)))).toBe(false);
    expect(collect(feed(p, `${marker("E;0;/tmp").slice(9)}more`))).toEqual({ data: "more", markers: [["E", "0", "/tmp"]] });
    expect(p.isPlain(Buffer.from("after"))).toBe(true);

    // Every split into three chunks, whichever of them skip the parser, gives the same result.
    const text = `a${marker("S;c1")}bc${marker("E;2;/home/x;y")}d`;
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const q = new MarkerParser(NONCE);
        const r = collect([...feed(q, text.slice(0, i)), ...feed(q, text.slice(i, j)), ...feed(q, text.slice(j))]);
        expect(r).toEqual({ data: "abcd", markers: [["S", "c1"], ["E", "2", "/home/x", "y"]] });
      }
    }
  });

  it("holds back a trailing ESC only while it could start a marker", () => {
    const p = new MarkerParser(NONCE);
    expect(collect(p.push(Buffer.from("x\x1b]7", "latin1"))).data).toBe("x");
    expect(collect(p.push(Buffer.from("0;not ours", "latin1"))).data).toBe("\x1b]70;not ours");
  });
});

describe("decodeStartMarker", () => {
  const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

  it("takes the newest history entry when it is the line just read", () => {
    expect(decodeStartMarker(["1", "12", b64("   12  echo hi\n")])).toEqual({ command: "echo hi", truncated: false });
    // A modified entry is marked with `*`; a multi-line entry keeps its newlines.
    expect(decodeStartMarker(["1", "7", b64("    7* cat <<EOF\nx\nEOF\n")])).toEqual({ command: "cat <<EOF\nx\nEOF", truncated: false });
  });

  it("reports no line when the newest entry is an older one, history is off or empty", () => {
    expect(decodeStartMarker(["1", "13", b64("   12  echo previous\n")]).command).toBeNull();
    expect(decodeStartMarker(["0", "12", b64("   12  echo hi\n")]).command).toBeNull();
    expect(decodeStartMarker(["1", "1", ""]).command).toBeNull();
    expect(decodeStartMarker(["1", "", b64("    1  x\n")]).command).toBeNull();
    expect(decodeStartMarker([]).command).toBeNull();
  });

  it("marks a line the shell cut at 64 KiB as truncated", () => {
    const entry = Buffer.from(`    3  echo ${"x".repeat(MAX_REPORTED_LINE_BYTES)}\n`).subarray(0, MAX_REPORTED_LINE_BYTES);
    const r = decodeStartMarker(["1", "3", b64(entry)]);
    expect(r.truncated).toBe(true);
    expect(r.command?.startsWith("echo xxx")).toBe(true);
  });
});
