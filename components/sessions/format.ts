// Small formatters shared by the sessions and computers pages. Pure: safe anywhere.

const UNITS = ["bytes", "KB", "MB", "GB"] as const;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n.toLocaleString("en-US")} ${n === 1 ? "byte" : "bytes"}`;
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

/** 172800 -> "48 h", 5400 -> "1 h 30 min", 90 -> "1 min 30 s". Coarse on purpose: for reading. */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.round(totalSec));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d >= 3) return h ? `${d} d ${h} h` : `${d} d`;
  if (s >= 3600) {
    const hours = d * 24 + h;
    return m ? `${hours} h ${m} min` : `${hours} h`;
  }
  if (s >= 60) return sec ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}

/** A ticking countdown: "1:59:07", "4:05", "0:09". */
export function formatClock(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(iso: string | null, now: number): string {
  if (!iso) return "never";
  const sec = Math.round((now - new Date(iso).getTime()) / 1000);
  if (sec < 5) return "just now";
  if (sec < 60) return `${sec} s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ago`;
  return `${Math.floor(sec / 86400)} d ago`;
}

/** A fixed, locale-independent timestamp (server and browser render the same text). */
export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/Z$/, " UTC");
}

// CSI sequences, OSC sequences (ended by BEL or ST), other two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Raw terminal output as plain text: escapes removed, carriage-return overwrites applied. */
export function terminalToText(raw: string): string {
  return raw
    .replace(ESCAPES, "")
    .split("\n")
    .map((line) => {
      const parts = line.replace(/\r+$/, "").split("\r");
      return parts[parts.length - 1];
    })
    .join("\n");
}
