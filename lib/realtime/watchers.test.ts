import { describe, expect, it } from "vitest";
import { addWatcher, presenceOf, removeWatcher, watcherCount, watchersOf, type TWatcherEntry } from "@/lib/realtime/watchers";

const entry = (socketId: string, userId: string, over: Partial<TWatcherEntry> = {}): TWatcherEntry => ({
  socketId,
  userId,
  username: userId,
  name: `${userId} (help desk)`,
  role: "helpdesk",
  since: new Date("2026-11-30T10:00:00Z"),
  state: "watching",
  end: () => {},
  grant: () => {},
  tell: () => {},
  ...over,
});

describe("watchers", () => {
  it("counts watching terminals per session, not counting the terminal that asks again", () => {
    const s = "session-count";
    addWatcher(s, entry("a", "hana"));
    addWatcher(s, entry("b", "hana"));
    addWatcher(s, entry("c", "max"));
    expect(watcherCount(s)).toBe(3);
    expect(watcherCount(s, "b")).toBe(2);
    expect(watcherCount(s, "zzz")).toBe(3);
    expect(watcherCount("other")).toBe(0);
    expect(removeWatcher(s, "b")).toBe(true);
    expect(removeWatcher(s, "b")).toBe(false);
    for (const w of watchersOf(s)) removeWatcher(s, w.socketId);
    expect(watcherCount(s)).toBe(0);
  });

  it("shows each user once, since their first terminal, with the furthest their participation went", () => {
    const s = "session-presence";
    addWatcher(s, entry("a", "max", { since: new Date("2026-11-30T10:05:00Z") }));
    addWatcher(s, entry("b", "max", { since: new Date("2026-11-30T10:01:00Z"), state: "joined" }));
    addWatcher(s, entry("c", "hana", { since: new Date("2026-11-30T10:03:00Z"), state: "asking" }));
    expect(presenceOf(s)).toEqual([
      { userId: "max", name: "max (help desk)", role: "helpdesk", since: "2026-11-30T10:01:00.000Z", state: "joined" },
      { userId: "hana", name: "hana (help desk)", role: "helpdesk", since: "2026-11-30T10:03:00.000Z", state: "asking" },
    ]);
  });

  it("shows a join request's reason while the user is asking, from whichever of their terminals asked", () => {
    const s = "session-reason";
    addWatcher(s, entry("a", "max", { state: "asking", joinReason: "INC-4711: show the fix" }));
    addWatcher(s, entry("b", "max"));
    addWatcher(s, entry("c", "hana", { state: "asking" }));
    addWatcher(s, entry("d", "tess", { state: "joined", joinReason: "stale" }));
    expect(presenceOf(s).map((p) => [p.userId, p.state, p.reason])).toEqual([
      ["max", "asking", "INC-4711: show the fix"],
      ["hana", "asking", undefined],
      ["tess", "joined", undefined],
    ]);
    expect(presenceOf(s)[1]).not.toHaveProperty("reason");
  });
});
