#!/usr/bin/env node
// Writes prisma/postgres/schema.prisma from prisma/schema.prisma: same models, PostgreSQL
// provider, its own client output. `--check` exits 1 when the committed copy is stale.
import fs from "node:fs";

const source = fs.readFileSync("prisma/schema.prisma", "utf8");
const header = "// GENERATED from prisma/schema.prisma by scripts/prisma/sync-postgres-schema.mjs. Do not edit.\n";
const replace = (text, from, to) => {
  if (!text.includes(from)) throw new Error(`prisma/schema.prisma no longer contains ${from}`);
  return text.replace(from, to);
};
let target = replace(source, 'provider = "sqlite"', 'provider = "postgresql"');
target = replace(target, 'output       = "../lib/generated/prisma-sqlite"', 'output       = "../../lib/generated/prisma-pg"');
target = header + target;

const out = "prisma/postgres/schema.prisma";
if (process.argv.includes("--check")) {
  const current = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
  if (current !== target) {
    console.error(`${out} is stale: run node scripts/prisma/sync-postgres-schema.mjs`);
    process.exit(1);
  }
} else {
  fs.mkdirSync("prisma/postgres", { recursive: true });
  fs.writeFileSync(out, target);
  console.log(`wrote ${out}`);
}
