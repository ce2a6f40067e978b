import { describe, expect, it } from "vitest";
import { auditQueryToParams, auditTimeRange, parseAuditQuery, parseAuditTime, parseCommandSearch } from "@/lib/data/audit/schemas";

describe("audit query parameters", () => {
  it("parses filters and paging from the URL, ignoring unknown parameters", () => {
    const r = parseAuditQuery(new URLSearchParams("actor=tech&action=session.run&outcome=refused&from=2026-11-01&before=120&size=100&utm=x"));
    expect(r).toEqual({ ok: true, query: { actor: "tech", action: "session.run", outcome: "refused", from: "2026-11-01", before: 120, size: 100 } });
  });

  it("treats empty values as unset and defaults the page size", () => {
    const r = parseAuditQuery({ actor: "", action: "", outcome: undefined });
    expect(r).toEqual({ ok: true, query: { size: 50 } });
  });

  it("names each bad parameter and its value", () => {
    const r = parseAuditQuery(new URLSearchParams("outcome=maybe&from=yesterday&before=-3&size=7"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.stringMatching(/^The parameter “outcome” \(“maybe”\) must be one of ok, refused, error\.$/),
      expect.stringMatching(/^The parameter “from” \(“yesterday”\) must be a date/),
      expect.stringMatching(/^The parameter “before” \(“-3”\) must be an event number \(decimal digits\)\.$/),
      expect.stringMatching(/^The parameter “size” \(“7”\) must be one of 25, 50, 100, 200\.$/),
    ]);
  });

  it("reads numbers in decimal digits only: no hex, exponent, sign or blanks", () => {
    for (const v of ["0x3c", "1e2", "+5", " 5", "5.0", "Infinity"]) {
      expect(parseAuditQuery({ before: v })).toMatchObject({ ok: false, problems: [expect.stringContaining("“before”")] });
      expect(parseAuditQuery({ size: v })).toMatchObject({ ok: false, problems: [expect.stringContaining("“size”")] });
    }
    expect(parseAuditQuery({ before: "0042", size: "100" })).toMatchObject({ ok: true, query: { before: 42, size: 100 } });
  });

  it("refuses both cursors at once, a range that ends before it starts and a bad action name", () => {
    expect(parseAuditQuery({ before: "5", after: "3" })).toMatchObject({ ok: false, problems: [expect.stringContaining("“after”")] });
    expect(parseAuditQuery({ from: "2026-11-24", to: "2026-11-23" })).toMatchObject({ ok: false, problems: [expect.stringContaining("“to”")] });
    expect(parseAuditQuery({ action: "DROP TABLE" })).toMatchObject({ ok: false, problems: [expect.stringContaining("“action”")] });
  });

  it("round-trips through search params, leaving defaults out", () => {
    const r = parseAuditQuery({ computer: "Srv1", to: "2026-11-24T10:00", size: "50" });
    expect(r.ok && auditQueryToParams(r.query).toString()).toBe("computer=Srv1&to=2026-11-24T10%3A00");
    expect(r.ok && auditQueryToParams({ ...r.query, before: 9 }, { paging: false }).toString()).toBe("computer=Srv1&to=2026-11-24T10%3A00");
  });
});

describe("audit filter times", () => {
  it("reads UTC unless an offset is given, at the precision written", () => {
    expect(parseAuditTime("2026-11-24")).toEqual({ at: new Date("2026-11-24T00:00:00Z"), step: 86_400_000 });
    expect(parseAuditTime("2026-11-24 14:30")).toEqual({ at: new Date("2026-11-24T14:30:00Z"), step: 60_000 });
    expect(parseAuditTime("2026-11-24T14:30:05")).toEqual({ at: new Date("2026-11-24T14:30:05Z"), step: 1000 });
    expect(parseAuditTime("2026-11-24T14:30:05.250+02:00")).toEqual({ at: new Date("2026-11-24T12:30:05.250Z"), step: 1 });
    expect(parseAuditTime("2026-02-31")).toBeNull();
    expect(parseAuditTime("24/11/2026")).toBeNull();
  });

  it("includes the whole day, minute or second that `to` names", () => {
    expect(auditTimeRange({ from: "2026-11-24", to: "2026-11-24" })).toEqual({ gte: new Date("2026-11-24T00:00:00Z"), lt: new Date("2026-11-25T00:00:00Z") });
    expect(auditTimeRange({ to: "2026-11-24T10:15" })).toEqual({ gte: undefined, lt: new Date("2026-11-24T10:16:00Z") });
  });
});

describe("command search parameters", () => {
  it("parses text and a command-id cursor and names a bad one", () => {
    expect(parseCommandSearch({ q: " mkdir ", before: "cmabcdefghijklmnopqrstuvw" })).toEqual({ ok: true, query: { q: "mkdir", before: "cmabcdefghijklmnopqrstuvw", size: 50 } });
    expect(parseCommandSearch({ before: "../etc" })).toMatchObject({ ok: false, problems: [expect.stringContaining("“before”")] });
  });
});
