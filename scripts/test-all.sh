#!/usr/bin/env bash
# Every suite: type check, production build, unit + integration (Vitest: lib/, real agents, real
# databases, whole console processes), browser tests (Playwright against real agents and the real console).
# Ends with one line "N passed, N failed, N skipped" adding up all suites.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 npm_config_nodedir="${npm_config_nodedir:-/usr}"
bash scripts/setup.sh --test || exit 1
mkdir -p reports
rm -f reports/vitest.json reports/e2e.json

steps_failed=0
step() {
  echo "=== $1"
  shift
  if ! "$@"; then
    echo "=== FAILED: $*"
    steps_failed=$((steps_failed + 1))
    return 1
  fi
}

step "type check" npx tsc --noEmit
# Built first: the integration suites that start whole console processes (two instances on one
# PostgreSQL and Redis) run the production build, as the browser tests do.
built=0
step "production build" npx next build && built=1
step "unit and integration tests" npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json
if ((built)); then
  step "browser tests" npx playwright test
  # The e2e console's demo agents outlive it by design (a restart adopts them); the run is over.
  BATON_DEMO_FLEET_DIR=data/e2e-demo-fleet node_modules/.bin/tsx scripts/demo-stop.ts || true
fi

node - "$steps_failed" <<'NODE'
const fs = require("node:fs");
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
let passed = 0, failed = 0, skipped = 0;
// Named here, next to the total, so the end of a CI log says which tests failed and which
// passed only on their retry (CI retries once, as Playwright does).
const failedNames = [], flakyNames = [];
const v = read("reports/vitest.json");
if (v) {
  passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  for (const f of v.testResults) {
    const file = f.name.replace(`${process.cwd()}/`, "");
    for (const a of f.assertionResults) {
      const name = `vitest ${file} > ${a.fullName}`;
      if (a.status === "failed") failedNames.push(`${name}\n      ${(a.failureMessages[0] ?? "").split("\n")[0].slice(0, 300)}`);
      else if (a.status === "passed" && a.failureMessages.length > 0) flakyNames.push(`${name}\n      first try: ${a.failureMessages[0].split("\n")[0].slice(0, 300)}`);
    }
    if (f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")) failedNames.push(`vitest ${file}: ${(f.message ?? "").split("\n")[0].slice(0, 300)}`);
  }
} else { console.log("no Vitest report (reports/vitest.json): counted as a failure"); failed++; }
const e = read("reports/e2e.json");
if (e) {
  passed += e.stats.expected + e.stats.flaky; failed += e.stats.unexpected; skipped += e.stats.skipped;
  const walk = (suite, titles) => {
    for (const s of suite.suites ?? []) walk(s, [...titles, s.title]);
    for (const spec of suite.specs ?? []) for (const t of spec.tests ?? []) {
      const name = `playwright ${[...titles, spec.title].filter(Boolean).join(" > ")}`;
      const firstError = (t.results ?? []).map((r) => r.error?.message ?? "").find(Boolean) ?? "";
      const line = `${name}\n      ${firstError.replace(/\x1b\[[0-9;]*m/g, "").split("\n")[0].slice(0, 300)}`;
      if (t.status === "unexpected") failedNames.push(line);
      else if (t.status === "flaky") flakyNames.push(line);
    }
  };
  walk(e, []);
} else { console.log("no Playwright report (reports/e2e.json): counted as a failure"); failed++; }
if (flakyNames.length) console.log(`passed on retry (flaky):\n  ${flakyNames.join("\n  ")}`);
if (failedNames.length) console.log(`failed:\n  ${failedNames.join("\n  ")}`);
// A step that failed without reporting tests (type errors, a broken build) counts as one failure.
const stepsFailed = Number(process.argv[2]);
if (stepsFailed > 0 && failed === 0) failed = stepsFailed;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
NODE
