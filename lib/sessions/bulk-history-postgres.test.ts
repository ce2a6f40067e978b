import { preparePostgresTestDatabase } from "@/lib/testing/shared-services";
import { bulkHistorySuite } from "@/lib/sessions/bulk-history.suite";

// Bulk jobs kept in the database, on a real PostgreSQL server (the same suite runs on SQLite in bulk-history.test.ts).
bulkHistorySuite(() => preparePostgresTestDatabase("baton_bulk_history"));
