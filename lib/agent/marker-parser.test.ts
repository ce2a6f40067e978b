import { describe, expect, it } from "vitest";
import { MarkerParser, type TParsedPiece } from "./marker-parser";

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

  it("holds back a trailing ESC only while it could start a marker", () => {
    const p = new MarkerParser(NONCE);
    expect(collect(p.push(Buffer.from("x\x1b]7", "latin1"))).data).toBe("x");
    expect(collect(p.push(Buffer.from("0;not ours", "latin1"))).data).toBe("\x1b]70;not ours");
  });
});
