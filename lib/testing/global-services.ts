// Vitest global setup: ONE PostgreSQL cluster and ONE Redis server per test run, shared by every
// suite that needs them (each suite creates its own database in the cluster and its own key
// prefix in Redis; see lib/testing/shared-services.ts). A machine without the Debian packages
// runs the rest and those suites say what is missing.
import type { TestProject } from "vitest/node";
import { findPostgresBin, startTestPostgres, type TestPostgres } from "@/lib/testing/postgres";
import { findRedisServer, startTestRedis, type TestRedis } from "@/lib/testing/redis";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL (database "postgres") of the run's PostgreSQL cluster; "" when not installed. */
    postgresAdminUrl: string;
    /** URL of the run's Redis server; "" when not installed. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  let postgres: TestPostgres | null = null;
  let redis: TestRedis | null = null;
  const [pgResult, redisResult] = await Promise.allSettled([
    findPostgresBin() ? startTestPostgres() : Promise.resolve(null),
    findRedisServer() ? startTestRedis() : Promise.resolve(null),
  ]);
  if (pgResult.status === "fulfilled") postgres = pgResult.value;
  else console.error("test services: PostgreSQL did not start:", pgResult.reason);
  if (redisResult.status === "fulfilled") redis = redisResult.value;
  else console.error("test services: Redis did not start:", redisResult.reason);
  project.provide("postgresAdminUrl", postgres ? postgres.url("postgres") : "");
  project.provide("redisUrl", redis?.url ?? "");
  return () => {
    redis?.stop();
    postgres?.stop();
  };
}
