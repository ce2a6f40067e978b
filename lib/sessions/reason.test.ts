import { describe, expect, it } from "vitest";
import { REASON_MAX_CHARS, ZHandOffReason, ZJoinReason, ZTakeOverReason } from "@/lib/sessions/reason";

const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues.map((i) => i.message) ?? [];

describe("reasons", () => {
  it("a join reason is optional, trimmed, and one visible line of at most the limit", () => {
    expect(ZJoinReason.parse("")).toBe("");
    expect(ZJoinReason.parse("  INC-4711: I'll show the fix  ")).toBe("INC-4711: I'll show the fix");
    expect(ZJoinReason.parse("x".repeat(REASON_MAX_CHARS))).toHaveLength(REASON_MAX_CHARS);
    expect(messages(ZJoinReason.safeParse("x".repeat(REASON_MAX_CHARS + 1)))).toEqual([`must be at most ${REASON_MAX_CHARS} characters`]);
    expect(messages(ZJoinReason.safeParse("first\nsecond"))).toEqual(["must be one line without control characters (found U+000A)"]);
    expect(messages(ZJoinReason.safeParse("bell\u0007"))).toEqual(["must be one line without control characters (found U+0007)"]);
    expect(messages(ZJoinReason.safeParse("csi\u009b31m"))).toEqual(["must be one line without control characters (found U+009B)"]);
    expect(messages(ZJoinReason.safeParse("INC\u202E-4711"))[0]).toContain("must not contain U+202E RIGHT-TO-LEFT OVERRIDE");
    expect(ZJoinReason.parse("Grüße, 日本語 ✓")).toBe("Grüße, 日本語 ✓");
  });

  it("hand-off and take-over reasons stay required, with their own hint", () => {
    expect(messages(ZHandOffReason.safeParse("  ab "))).toEqual(["say why (at least 3 characters), e.g. a ticket number"]);
    expect(messages(ZTakeOverReason.safeParse(""))).toEqual(["say why (at least 3 characters)"]);
    expect(messages(ZTakeOverReason.safeParse("x".repeat(REASON_MAX_CHARS + 1)))).toEqual([`must be at most ${REASON_MAX_CHARS} characters`]);
    expect(messages(ZHandOffReason.safeParse("INC\u200B-4711"))[0]).toContain("U+200B ZERO WIDTH SPACE");
    // A hand-off's reason may run over several lines, as before.
    expect(ZHandOffReason.parse("INC-4711\nsee the ticket")).toBe("INC-4711\nsee the ticket");
  });
});
