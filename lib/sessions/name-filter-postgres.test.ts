import { preparePostgresTestDatabase } from "@/lib/testing/shared-services";
import { nameFilterSuite } from "@/lib/sessions/name-filter.suite";

// Session name filters on a real PostgreSQL server (the same suite runs on SQLite in name-filter.test.ts).
nameFilterSuite(() => preparePostgresTestDatabase("baton_name_filter"));
