import { describe, expect, it } from "vitest";
import { csvCell, csvRow } from "@/lib/data/audit/csv";
import { inertText, replayLines } from "@/lib/data/audit/transcript-text";

describe("CSV cells", () => {
  it("quotes text, doubles quotes and keeps commas and line breaks inside the cell", () => {
    expect(csvCell("plain")).toBe('"plain"');
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell("line one\nline two\r\nthree")).toBe('"line one\nline two\r\nthree"');
    expect(csvCell('{"a":"b,c"}')).toBe('"{""a"":""b,c""}"');
  });

  it("tells null from the empty string and leaves numbers bare", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell("")).toBe('""');
    expect(csvCell(42)).toBe("42");
    expect(csvCell(-1)).toBe("-1");
  });

  it.each([
    ["=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\""],
    ["+1+2", "\"'+1+2\""],
    ["-2+3", "\"'-2+3\""],
    ["@SUM(A1:A2)", "\"'@SUM(A1:A2)\""],
    ["\t=1", "\"'\t=1\""],
    ["\r=1", "\"'\r=1\""],
  ])("defuses a formula at the start of a text cell: %j", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it("leaves a formula character alone when it is not the first", () => {
    expect(csvCell("a=b")).toBe('"a=b"');
    expect(csvCell(" =1")).toBe('" =1"');
  });

  it("ends rows with CRLF", () => {
    expect(csvRow([1, "a", null, "=x"])).toBe('1,"a",,"\'=x"\r\n');
  });

  it("round-trips through a standard CSV reading", () => {
    const cells = ['a "quoted", value', "two\nlines", "", "=1+1"];
    expect(parseCsvLine(csvRow(cells))).toEqual(['a "quoted", value', "two\nlines", "", "'=1+1"]);
  });
});

describe("transcript text for the replay terminal", () => {
  it("turns every control character but newline and tab into a visible replacement", () => {
    const forged = "ok\x1b[2J\x1b]0;pwned\x07\x9b31m\rdone\x00\tx";
    const out = inertText(forged);
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(out).toBe("ok\uFFFD[2J\uFFFD]0;pwned\uFFFD\uFFFD31m\uFFFDdone\uFFFD\tx");
  });

  it("ends lines with CRLF so the terminal starts each at column one", () => {
    expect(inertText("a\nb\r\nc")).toBe("a\r\nb\r\nc");
  });

  it("frames a command with its header, prompt, output and truncation note", () => {
    const lines = replayLines(
      { command: "echo \x1b[31mhi", actorName: "tech", startedAt: "2026-11-24T06:00:00.000Z", endedAt: null, exitCode: 0, output: "hi\nthere", outputTruncated: true },
      2,
    );
    expect(lines[0]).toContain("#3 · 2026-11-24 06:00:00 UTC · tech · exit 0");
    expect(lines[1]).toContain("echo \uFFFD[31mhi");
    expect(lines.slice(2, 4)).toEqual(["hi\r\n", "there\r\n"]);
    expect(lines[4]).toContain("[output truncated when recorded]");
  });
});

// A minimal RFC 4180 reader for one record, to check the writer against.
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else v += line[i++];
      }
      out.push(v);
    } else {
      let v = "";
      while (line[i] !== "," && !(line[i] === "\r" && line[i + 1] === "\n")) v += line[i++];
      out.push(v);
    }
    if (line[i] === ",") i++;
    else return out;
  }
}
