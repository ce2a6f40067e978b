import { prepareTestDatabase } from "@/lib/testing/test-db";
import { bulkHistorySuite } from "@/lib/sessions/bulk-history.suite";

// Bulk jobs kept in the database, on SQLite (the same suite runs on PostgreSQL in bulk-history-postgres.test.ts).
bulkHistorySuite(async () => prepareTestDatabase());
