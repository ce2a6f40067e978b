import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      "server-only": path.resolve(import.meta.dirname, "lib/testing/empty.ts"),
    },
  },
  test: {
    include: ["**/*.test.ts", "**/*.test.tsx"],
    exclude: ["node_modules/**", "e2e/**", ".next/**"],
    environment: "node",
    // One PostgreSQL and one Redis for the whole run, shared by the suites that need them.
    globalSetup: ["lib/testing/global-services.ts"],
    testTimeout: 30_000,
    // As Playwright does in CI: a test that fails once runs again; the end of \`npm test\` names
    // every test that needed its retry (scripts/test-all.sh), so a flaky test is seen, not hidden.
    retry: process.env.CI ? 1 : 0,
    hookTimeout: 60_000,
    // Integration suites spawn real agents, shells and databases; two cores share them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
