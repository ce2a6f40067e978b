import { describe, expect, it } from "vitest";
import { ZSessionFilters, type TSessionFilters, type TSessionRow } from "@/lib/dto/sessions";
import { idsWorthReading, matchesView, nameMatches, planSessionPatch, type TCachedPage } from "@/lib/queries/patch-session-rows";

// The rules the sessions page follows when live events name sessions that changed: which rows it
// patches in place, and which make it refetch its lists.
const NOW = Date.parse("2026-12-01T12:00:00Z");
const ME = "u-me";

function row(id: string, over: Partial<TSessionRow> = {}): TSessionRow {
  return {
    id,
    computerId: "c1",
    computerName: "Server01",
    agentSessionId: Number(id.replace(/\D/g, "")) || 1,
    instanceId: `i-${id}`,
    name: `Task-${id}`,
    configurationName: "Microsoft.PowerShell",
    ownerId: ME,
    ownerName: "me",
    holderId: ME,
    holderName: "me",
    state: "Opened",
    agentState: "Opened",
    availability: "Available",
    reason: null,
    idleTimeoutSec: 7200,
    outputBufferingMode: "Block",
    disconnectedOn: null,
    expiresOn: null,
    bufferedBytes: 0,
    bufferSizeBytes: 1024,
    outputBlocked: false,
    droppedBytes: 0,
    totalDroppedBytes: 0,
    runningCommand: null,
    commandStartedOn: null,
    updatedAt: new Date(NOW - 60_000).toISOString(),
    askBeforeWatching: false,
    handedTo: null,
    maxIdleTimeoutSec: 43_200,
    idleTimeoutExceedsMax: false,
    can: { disconnect: true, connect: false, receive: true, remove: true, run: true, handoff: true, takeOver: false, chooseWatching: true },
    ...over,
  };
}

/** The same session after a Disconnect, as the rows read returns it. */
const disconnected = (r: TSessionRow): TSessionRow => ({
  ...r,
  state: "Disconnected",
  agentState: "Disconnected",
  availability: "None",
  holderId: null,
  holderName: null,
  updatedAt: new Date(NOW).toISOString(),
  disconnectedOn: new Date(NOW).toISOString(),
  expiresOn: new Date(NOW + 7_200_000).toISOString(),
});

function page(filters: Partial<TSessionFilters>, rows: TSessionRow[]): TCachedPage {
  const parsed = ZSessionFilters.parse(filters);
  return { key: ["sessions", "list", parsed], filters: parsed, page: { rows, total: rows.length, totalCapped: false, page: 1, pageSize: 50 } };
}

describe("idsWorthReading", () => {
  it("reads the ids on some cached page; the others too only when a page filters by computer or name", () => {
    const plain = [page({}, [row("s1"), row("s2")]), page({ state: "Opened" }, [row("s3")])];
    expect(idsWorthReading(["s1", "s3", "s9", "s1"], plain)).toEqual(["s1", "s3"]);
    expect(idsWorthReading(["s9"], [])).toEqual([]);
    expect(idsWorthReading(["s1", "s9"], [...plain, page({ name: "Night*" }, [])])).toEqual(["s1", "s9"]);
    expect(idsWorthReading(["s1", "s9"], [page({ computer: "Srv1" }, [])])).toEqual(["s1", "s9"]);
  });
});

describe("planSessionPatch", () => {
  const plan = (pages: TCachedPage[], changed: string[], rows: TSessionRow[]) => planSessionPatch({ pages, changed, rows, now: NOW });
  const reasons = (result: ReturnType<typeof plan>) => result.refetch.map((r) => [r.key[2], r.fallback]);

  it("patches a row that changed and still matches in place, on every page that lists it, with no refetch", () => {
    const [a, b, c] = [row("s1"), row("s2"), row("s3")];
    const unfiltered = page({}, [a, b, c]);
    const byComputer = page({ computer: "Server01" }, [b]);
    const elsewhere = page({ computer: "Server02" }, [row("s7", { computerName: "Server02" })]);
    const result = plan([unfiltered, byComputer, elsewhere], ["s2"], [disconnected(b)]);
    expect(result.refetch).toEqual([]);
    // Only the pages holding s2 come back; the other rows, the total and the order are kept.
    expect(result.patched.map((p) => p.key)).toEqual([unfiltered.key, byComputer.key]);
    expect(result.patched[0].page.rows.map((r) => [r.id, r.state])).toEqual([
      ["s1", "Opened"],
      ["s2", "Disconnected"],
      ["s3", "Opened"],
    ]);
    expect(result.patched[0].page.rows[0]).toBe(a);
    expect(result.patched[0].page.total).toBe(3);
    expect(result.patched[1].page.rows[0].state).toBe("Disconnected");
  });

  it("refetches a page holding a session the read did not return (removed, or no longer the viewer's), unpatched", () => {
    const [a, b] = [row("s1"), row("s2")];
    const result = plan([page({}, [a, b])], ["s1", "s2"], [disconnected(a)]);
    expect(result.patched).toEqual([]);
    expect(reasons(result)).toEqual([[ZSessionFilters.parse({}), [{ id: "s2", reason: "gone" }]]]);
  });

  it("refetches the pages a row leaves by its state or availability filter, and patches the pages it still fits", () => {
    const a = row("s1");
    const opened = page({ state: "Opened" }, [a]);
    const available = page({ availability: "Available" }, [a]);
    const result = plan([opened, available, page({}, [a])], ["s1"], [disconnected(a)]);
    expect(result.refetch.map((r) => r.key)).toEqual([opened.key, available.key]);
    expect(result.refetch[0].fallback).toEqual([{ id: "s1", reason: "filters" }]);
    expect(result.patched).toHaveLength(1);
    expect(result.patched[0].filters.state).toBeUndefined();
    expect(result.patched[0].page.rows[0].state).toBe("Disconnected");
  });

  it("refetches when a filtered field changed (owner, handoff) even if the state filter still fits", () => {
    const a = row("s1");
    const handed = { ...a, handedTo: { id: "u-other", name: "other", by: "me", reason: "night shift", at: new Date(NOW).toISOString() } };
    expect(plan([page({ handed: "me" }, [a])], ["s1"], [handed]).refetch[0].fallback).toEqual([{ id: "s1", reason: "filters" }]);
    expect(plan([page({ owner: "me" }, [a])], ["s1"], [{ ...a, ownerName: "you" }]).refetch[0].fallback).toEqual([{ id: "s1", reason: "filters" }]);
    // The same change on a page that does not filter by it patches.
    expect(plan([page({}, [a])], ["s1"], [handed]).refetch).toEqual([]);
  });

  it("refetches when the row's place in the page's sort order moved, patches when the order key is unchanged", () => {
    const a = row("s1");
    const moved = (sort: TSessionFilters["sort"]) => plan([page({ sort }, [a])], ["s1"], [disconnected(a)]).refetch.flatMap((r) => r.fallback);
    expect(moved("state")).toEqual([{ id: "s1", reason: "order" }]);
    expect(moved("updated")).toEqual([{ id: "s1", reason: "order" }]);
    expect(moved("expires")).toEqual([{ id: "s1", reason: "order" }]);
    expect(moved("computer")).toEqual([]);
    expect(moved("name")).toEqual([]);
    expect(moved("id")).toEqual([]);
  });

  it("refetches a page a session not on it may enter (new, or from a page not read), unless it fails the page's computer or name", () => {
    const a = row("s1", { name: "Night-1" });
    const night = page({ name: "night*" }, [a]);
    const onSrv1 = page({ computer: "Srv1" }, []);
    const unfiltered = page({}, [a]);
    const newcomer = row("s9", { name: "Day-9", computerName: "Srv1" });
    const result = plan([night, onSrv1, unfiltered], ["s1", "s9"], [disconnected(a), newcomer]);
    // Day-9 can never be on "night*": that page is patched. Srv1's page and the unfiltered one may gain it.
    expect(result.patched.map((p) => p.key)).toEqual([night.key]);
    expect(result.refetch.map((r) => [r.key, r.fallback])).toEqual([
      [onSrv1.key, [{ id: "s9", reason: "not-on-page" }]],
      [unfiltered.key, [{ id: "s9", reason: "not-on-page" }]],
    ]);
    // A session whose row was not read (nothing filters by computer or name) may belong anywhere.
    expect(plan([unfiltered], ["s9"], []).refetch[0].fallback).toEqual([{ id: "s9", reason: "not-on-page" }]);
  });
});

describe("nameMatches", () => {
  it("matches as the list's name filter does: case-insensitive, * and ? wildcards", () => {
    expect(nameMatches("ITTask", "ittask")).toBe(true);
    expect(nameMatches("ITTask2", "ittask")).toBe(false);
    expect(nameMatches("ITTask2", "IT*")).toBe(true);
    expect(nameMatches("Night-Run-7", "*run*")).toBe(true);
    expect(nameMatches("Night-Run-7", "n*-7")).toBe(true);
    expect(nameMatches("Night-Run-7", "n*-8")).toBe(false);
    expect(nameMatches("Day-1", "Night*")).toBe(false);
  });
});

describe("matchesView", () => {
  const other = (r: TSessionRow): TSessionRow => ({ ...r, holderId: "u-other", holderName: "other", state: "Disconnected", availability: "Busy" });
  it("reads state and availability as the viewer sees them", () => {
    const mine = row("s1");
    expect(matchesView(mine, { state: "Opened" }, NOW)).toBe(true);
    expect(matchesView(mine, { availability: "Available" }, NOW)).toBe(true);
    expect(matchesView({ ...mine, runningCommand: "sleep 9", availability: "Busy" }, { availability: "Busy" }, NOW)).toBe(true);
    // Attached to someone else: Disconnected and Busy to this viewer, never Opened.
    expect(matchesView(other(mine), { state: "Disconnected" }, NOW)).toBe(true);
    expect(matchesView(other(mine), { availability: "Busy" }, NOW)).toBe(true);
    expect(matchesView(other(mine), { state: "Opened" }, NOW)).toBe(false);
    expect(matchesView(other(mine), { availability: "None" }, NOW)).toBe(false);
    expect(matchesView(disconnected(mine), { availability: "None", state: "Disconnected" }, NOW)).toBe(true);
    expect(matchesView({ ...mine, state: "Broken", agentState: "Broken", availability: "None" }, { state: "Broken" }, NOW)).toBe(true);
  });

  it("keeps a Closed session in the unfiltered list for 15 minutes after it closed", () => {
    const closed = (agoMs: number) => row("s1", { state: "Closed", agentState: "Closed", availability: "None", holderId: null, updatedAt: new Date(NOW - agoMs).toISOString() });
    expect(matchesView(closed(60_000), {}, NOW)).toBe(true);
    expect(matchesView(closed(16 * 60_000), {}, NOW)).toBe(false);
    expect(matchesView(closed(16 * 60_000), { state: "Closed" }, NOW)).toBe(true);
  });
});
