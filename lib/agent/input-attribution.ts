import type { TCommandInfo, TControlInput, TControlKey, TUserRef } from "../protocol";

const CONTROL_KEYS: Record<string, TControlKey> = { "\x03": "Ctrl-C", "\x04": "Ctrl-D", "\x1a": "Ctrl-Z", "\x1c": "Ctrl-\\" };
const CONTROL_RE = /[\x03\x04\x1a\x1c]/g;

type TPending = { key: TControlKey; by: TUserRef; lastReport: number; count: number; command: TCommandInfo | null; timer: NodeJS.Timeout | null };

/**
 * Who typed what in one session, without keeping anything typed. Input is looked at only for
 * two things: which user sent the newest Enter (the typist of the line bash reads next) and
 * which control keys arrived (by name). The text itself is never stored, so what a program
 * reads with echo off (a password) cannot end up anywhere.
 *
 * Control keys are reported at most once per key and user every `windowMs`: the first press at
 * once, presses within the window added up into one report at its end, so holding a key down
 * gives one report a second with the count, not one per repeat.
 */
export class InputAttribution {
  /** The user whose input held the newest Enter (CR or LF). */
  lastEnterBy: TUserRef | null = null;
  private readonly pending = new Map<string, TPending>();

  constructor(
    private readonly report: (control: TControlInput) => void,
    private readonly windowMs = 1000,
  ) {}

  note(data: string, by: TUserRef, running: TCommandInfo | null): void {
    if (data.includes("\r") || data.includes("\n")) this.lastEnterBy = { id: by.id, name: by.name };
    const keys = data.match(CONTROL_RE);
    if (!keys) return;
    const counts = new Map<TControlKey, number>();
    for (const k of keys) counts.set(CONTROL_KEYS[k], (counts.get(CONTROL_KEYS[k]) ?? 0) + 1);
    for (const [key, n] of counts) this.press(key, n, { id: by.id, name: by.name }, running);
  }

  private press(key: TControlKey, n: number, by: TUserRef, running: TCommandInfo | null): void {
    const slot = `${key}\n${by.id}`;
    const now = Date.now();
    const p = this.pending.get(slot) ?? { key, by, lastReport: -Infinity, count: 0, command: null, timer: null };
    this.pending.set(slot, p);
    if (p.count === 0) p.command = running;
    p.count += n;
    if (p.timer) return;
    const wait = p.lastReport + this.windowMs - now;
    if (wait <= 0) return this.emit(p);
    p.timer = setTimeout(() => {
      p.timer = null;
      this.emit(p);
    }, wait);
    p.timer.unref();
  }

  private emit(p: TPending): void {
    const control: TControlInput = { key: p.key, count: p.count, by: p.by, command: p.command };
    p.lastReport = Date.now();
    p.count = 0;
    p.command = null;
    this.report(control);
  }
}
