import { defineConfig } from "prisma/config";

// One schema, two providers: SQLite (embedded default) and PostgreSQL, picked by DATABASE_URL.
// The PostgreSQL variant and its migrations live under prisma/postgres/.
const url = process.env.DATABASE_URL ?? "file:./data/baton.db";
const postgres = /^postgres(ql)?:\/\//.test(url);

export default defineConfig({
  schema: postgres ? "prisma/postgres/schema.prisma" : "prisma/schema.prisma",
  migrations: { path: postgres ? "prisma/postgres/migrations" : "prisma/migrations" },
  datasource: { url },
});
