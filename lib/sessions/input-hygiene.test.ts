import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ZNewSessionRequest, ZSessionName } from "@/lib/protocol/sessions";
import { decodeUtf8Strict, findInvisibleCharacter, InvalidUtf8Error, parseDecimal, parseQueryStrict, queryInt, ZDecimalString } from "@/lib/protocol/hygiene";
import { ZCreateUser } from "@/lib/data/users/schemas";
import { ZComputerName } from "@/lib/data/computers/schemas";
import { ZDisconnect, ZHandOff, ZNewSession, ZStartBulk } from "@/lib/sessions/schemas";
import { ZUpdateConfiguration } from "@/lib/data/computers/schemas";
import { ZSessionFilters } from "@/lib/dto/sessions";

const ID = "cabcdefghijklmnopqrstu";
const firstIssue = (r: z.ZodSafeParseResult<unknown>) => (r.success ? null : { path: r.error.issues[0].path.join("."), message: r.error.issues[0].message });

describe("names refuse bidi controls and zero-width characters", () => {
  const every = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff];

  it("finds each one and names it with its code point", () => {
    for (const cp of every) expect(findInvisibleCharacter(`a${String.fromCodePoint(cp)}b`)).toMatch(new RegExp(`^U\\+${cp.toString(16).toUpperCase().padStart(4, "0")} [A-Z]`));
    expect(findInvisibleCharacter("report\u202Etxt.exe")).toBe("U+202E RIGHT-TO-LEFT OVERRIDE");
    // Ordinary non-ASCII text, including right-to-left scripts, is fine.
    for (const ok of ["Grüße", "日本語", "שלום", "مرحبا", "emoji 🙂", "a\u00A0b"]) expect(findInvisibleCharacter(ok)).toBeNull();
  });

  it("the same refusal at the agent's and the console's schemas, naming field and character", () => {
    const bad = "report\u202Etxt.exe";
    expect(firstIssue(ZSessionName.safeParse(bad))?.message).toContain("U+202E RIGHT-TO-LEFT OVERRIDE");
    expect(firstIssue(ZNewSessionRequest.safeParse({ name: bad }))).toMatchObject({ path: "name", message: expect.stringContaining("U+202E") });
    expect(firstIssue(ZNewSession.safeParse({ computerId: ID, name: bad, configurationName: "Microsoft.PowerShell" }))).toMatchObject({ path: "name" });
    expect(firstIssue(ZNewSession.safeParse({ computerId: ID, name: "ok", configurationName: "Micro\u200Bsoft" }))).toMatchObject({
      path: "configurationName",
      message: expect.stringContaining("U+200B ZERO WIDTH SPACE"),
    });
    const user = { username: "eve", displayName: "Eve", role: "technician", password: "correct horse battery" };
    expect(firstIssue(ZCreateUser.safeParse({ ...user, displayName: "Eve\u202Eyrotcerid" }))).toMatchObject({ path: "displayName", message: expect.stringContaining("U+202E") });
    expect(firstIssue(ZCreateUser.safeParse({ ...user, username: "eve\u200D" }))).toMatchObject({ path: "username", message: expect.stringContaining("U+200D") });
    expect(firstIssue(ZCreateUser.safeParse({ ...user, team: "blue\u2066" }))).toMatchObject({ path: "team", message: expect.stringContaining("U+2066") });
    expect(firstIssue(ZCreateUser.safeParse({ ...user, displayName: "Eve\u0007" }))).toMatchObject({ path: "displayName" });
    expect(firstIssue(ZComputerName.safeParse("Srv\uFEFF1"))?.message).toContain("U+FEFF");
    expect(firstIssue(ZHandOff.safeParse({ sessionId: ID, toUsername: "manager", reason: "ticket \u2067123\u2069" }))).toMatchObject({ path: "reason", message: expect.stringContaining("U+2067") });
    expect(ZCreateUser.safeParse({ ...user, displayName: "Zoë Ångström" }).success).toBe(true);
  });
});

describe("numbers are numbers", () => {
  it("action inputs refuse strings, arrays and NaN instead of coercing them", () => {
    for (const idleTimeoutSec of [[60], "0x3c", "60", "6e1", Number.NaN, true]) {
      expect(firstIssue(ZDisconnect.safeParse({ sessionId: ID, idleTimeoutSec }))).toMatchObject({ path: "idleTimeoutSec" });
      expect(firstIssue(ZNewSession.safeParse({ computerId: ID, name: "n", configurationName: "c", idleTimeoutSec }))).toMatchObject({ path: "idleTimeoutSec" });
    }
    expect(ZDisconnect.safeParse({ sessionId: ID, idleTimeoutSec: 60 }).success).toBe(true);
    expect(firstIssue(ZStartBulk.safeParse({ operation: "disconnect", sessionIds: [ID], throttleLimit: "0x10" }))).toMatchObject({ path: "throttleLimit" });
    expect(firstIssue(ZUpdateConfiguration.safeParse({ computerId: ID, configurationName: "c", limits: { maxShells: [5] } }))).toMatchObject({ path: "limits.maxShells" });
    expect(firstIssue(ZUpdateConfiguration.safeParse({ computerId: ID, configurationName: "c", limits: { outputBufferBytes: "65536" } }))).toMatchObject({ path: "limits.outputBufferBytes" });
  });

  it("query numbers are decimal digits", () => {
    for (const v of ["0x3c", "6e1", "+60", "-1", "", " 60", "60 ", "1.5", "Infinity"]) expect(ZDecimalString.safeParse(v).success).toBe(false);
    expect(ZDecimalString.parse("060")).toBe(60);
    expect(queryInt().safeParse(["60"]).success).toBe(false);
    expect(queryInt().parse(7)).toBe(7);
    expect(firstIssue(ZSessionFilters.safeParse({ page: "0x2" }))).toMatchObject({ path: "page" });
    expect(ZSessionFilters.parse({ page: "3", pageSize: "100" })).toMatchObject({ page: 3, pageSize: 100 });
  });

  it("form text becomes a number only when it is decimal digits", () => {
    expect(parseDecimal(" 120 ")).toBe(120);
    for (const v of ["0x3c", "1e3", "", "-5", "12abc"]) expect(parseDecimal(v)).toBeNaN();
  });
});

describe("bytes are UTF-8 or refused", () => {
  it("decodes valid UTF-8 and refuses anything else instead of inventing U+FFFD", () => {
    expect(decodeUtf8Strict(Buffer.from("Grüße 日本 🙂"))).toBe("Grüße 日本 🙂");
    for (const bad of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]]) {
      expect(() => decodeUtf8Strict(Uint8Array.from(bad))).toThrow(InvalidUtf8Error);
    }
  });

  it("parses query strings strictly", () => {
    expect(parseQueryStrict("?name=IT%2A&q=a+b&flag")).toEqual({ name: "IT*", q: "a b", flag: "" });
    // A parameter given twice is ambiguous: refused by name, never silently one of the two.
    expect(() => parseQueryStrict("?name=first&name=second")).toThrow(/parameter "name" is given more than once/);
    expect(parseQueryStrict("name=%E6%97%A5")).toEqual({ name: "日" });
    expect(() => parseQueryStrict("?name=%FF")).toThrow(/not valid UTF-8/);
    expect(() => parseQueryStrict("?name=%C0%AF")).toThrow(InvalidUtf8Error);
  });
});
