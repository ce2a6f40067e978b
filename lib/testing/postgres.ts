// A private PostgreSQL cluster for tests: initdb into a temp dir as the `postgres` OS user,
// listen on loopback at a free port, stop and delete on dispose. Needs Debian's postgresql.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export type TestPostgres = {
  url: (database?: string) => string;
  stop: () => void;
  /** pg_ctl on this cluster's data directory (e.g. ["restart", "-m", "immediate"]); waits for it. */
  ctl: (args: string[]) => void;
  /** Creates a database owned by the app role `baton` (default name "baton"); returns its URL. */
  createDatabase: (name?: string) => Promise<string>;
};

export function findPostgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(root, v, "bin");
    if (fs.existsSync(path.join(bin, "initdb"))) return bin;
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-pg-"));
  fs.chmodSync(dir, 0o777);
  const dataDir = path.join(dir, "data");
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) => {
    const isRoot = process.getuid?.() === 0;
    const r = isRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { encoding: "utf8" })
      : spawnSync(path.join(bin, cmd), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  asPostgres("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  asPostgres("pg_ctl", ["-D", dataDir, "-l", path.join(dir, "log"), "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`, "-w", "start"]);
  const psql = path.join(bin, "psql");
  execFileSync(psql, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", "CREATE ROLE baton LOGIN PASSWORD 'baton' CREATEDB"]);
  const pgctlOptions = ["-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`];
  return {
    ctl: (args: string[]) => asPostgres("pg_ctl", ["-D", dataDir, "-l", path.join(dir, "log"), "-w", ...args, ...(args[0] === "stop" ? [] : pgctlOptions)]),
    url: (database = "baton") => `postgresql://baton:baton@127.0.0.1:${port}/${database}`,
    createDatabase: async (name = "baton") => {
      // The app role has CREATEDB: connected as it, the database it creates is its own.
      const admin = new pg.Client({ connectionString: `postgresql://baton:baton@127.0.0.1:${port}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return `postgresql://baton:baton@127.0.0.1:${port}/${name}`;
    },
    stop: () => {
      try {
        asPostgres("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
