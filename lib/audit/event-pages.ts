import Database from "better-sqlite3";
import pg from "pg";
import type { TChainFields } from "@/lib/audit/chain";
import { env, isPostgresUrl } from "@/lib/env";

// The verifier's reader: pages of audit events in seq order, only the columns the chain covers,
// read straight through the database driver on a connection of its own. Prisma's model layer
// builds an object per row and converts every field; at a million events that was two thirds
// of a full verify (docs/benchmarks.md). Reads only: the console's own client stays the one
// that writes.

export type TChainRow = TChainFields & { prevHash: string; hash: string; keyId: string | null; mac: string | null };

export type TEventPages = {
  /** Events with from <= seq (<= through), in seq order, at most `limit`. */
  read(o: { from: number; through?: number; limit: number }): Promise<TChainRow[]>;
  close(): Promise<void>;
};

const FIELDS = ["seq", "actorId", "actorName", "actorRole", "action", "outcome", "computerName", "sessionId", "sessionName", "params", "error", "prevHash", "hash", "keyId", "mac"];
// `at` as text on both databases, turned into a Date below as Prisma reads it.
const select = (at: string, param: (i: number) => string, bounded: boolean) =>
  `SELECT ${FIELDS.map((f) => `"${f}"`).join(", ")}, ${at} AS "at" FROM "AuditEvent" WHERE "seq" >= ${param(1)}${bounded ? ` AND "seq" <= ${param(2)}` : ""} ORDER BY "seq" LIMIT ${param(bounded ? 3 : 2)}`;

/**
 * A stored DateTime as Prisma reads it: SQLite keeps Prisma's ISO text (or SQLite's own
 * "YYYY-MM-DD HH:MM:SS" for a default), PostgreSQL a timestamp without zone; both are UTC.
 */
function storedDate(v: unknown): Date {
  if (typeof v === "number" || typeof v === "bigint") return new Date(Number(v));
  const s = String(v);
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s.replace(" ", "T")}Z`);
}

type TRaw = Omit<TChainRow, "at" | "seq"> & { seq: number | bigint; at: unknown };
/** In place: no second object per row (at a million rows the collector is a large part of the cost). */
function toRow(r: TRaw): TChainRow {
  r.seq = Number(r.seq);
  r.at = storedDate(r.at);
  return r as TChainRow;
}

export async function openEventPages(url = env().DATABASE_URL): Promise<TEventPages> {
  if (isPostgresUrl(url)) {
    const client = new pg.Client({ connectionString: url });
    // A connection lost mid-verify fails the pending query; unheard, the event would end the process.
    client.on("error", () => undefined);
    await client.connect();
    // to_char, not ::text, whose form follows the server's DateStyle.
    const at = `to_char("at", 'YYYY-MM-DD"T"HH24:MI:SS.MS')`;
    const text = { open: select(at, (i) => `$${i}`, false), bounded: select(at, (i) => `$${i}`, true) };
    return {
      async read({ from, through, limit }) {
        const r = await client.query<TRaw>(through === undefined ? text.open : text.bounded, through === undefined ? [from, limit] : [from, through, limit]);
        return r.rows.map(toRow);
      },
      close: () => client.end(),
    };
  }
  // The same path rule as the Prisma adapter (lib/db/client.ts): the URL minus its scheme.
  const conn = new Database(url.replace(/^file:/, ""), { readonly: true, fileMustExist: true });
  const open = conn.prepare(select(`"at"`, () => "?", false));
  const bounded = conn.prepare(select(`"at"`, () => "?", true));
  return {
    async read({ from, through, limit }) {
      const rows = (through === undefined ? open.all(from, limit) : bounded.all(from, through, limit)) as TRaw[];
      return rows.map(toRow);
    },
    close: async () => {
      conn.close();
    },
  };
}
