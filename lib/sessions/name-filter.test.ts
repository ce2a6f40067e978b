import { prepareTestDatabase } from "@/lib/testing/test-db";
import { nameFilterSuite } from "@/lib/sessions/name-filter.suite";

// Session name filters on SQLite (the same suite runs on PostgreSQL in name-filter-postgres.test.ts).
nameFilterSuite(async () => prepareTestDatabase());
