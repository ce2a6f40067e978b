import { describe, expect, it } from "vitest";
import { neutralise } from "@/lib/audit/neutralise";

describe("neutralise", () => {
  it("removes colours and cursor movement but keeps the text", () => {
    expect(neutralise("\x1b[1;31mERROR\x1b[0m done\r\n")).toBe("ERROR done\n");
  });

  it("cannot be used to erase or overwrite what an auditor reads", () => {
    // "rm -rf /" followed by cursor-up, erase-line and a harmless replacement.
    const forged = "rm -rf /data\r\n\x1b[1A\x1b[2K\recho hello\r\n";
    const shown = neutralise(forged);
    expect(shown).toContain("rm -rf /data");
    expect(shown).toContain("echo hello");
  });

  it("drops OSC sequences (window titles, hyperlinks) and shows other controls visibly", () => {
    expect(neutralise("\x1b]0;evil title\x07ok")).toBe("ok");
    expect(neutralise("a\bb\x00c")).toBe("a\uFFFDb\uFFFDc");
    expect(neutralise("tab\tok")).toBe("tab\tok");
  });
});
