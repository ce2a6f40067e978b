#!/usr/bin/env bash
# The console as the browser tests see it: production build, demo accounts, a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
# One database per port, so two runs in one checkout do not wipe each other's.
db="data/e2e-${PORT:-3210}.db"
rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
# The trail's signed checkpoints belong to that database: a fresh one starts with none.
checkpoints="data/e2e-${PORT:-3210}-audit-checkpoints"
rm -rf "$checkpoints"
export DATABASE_URL="file:./$db"
export BATON_AUDIT_CHECKPOINT_DIR="$checkpoints" BATON_AUDIT_KEY_FILE="data/e2e-audit-keys.json"
export NODE_ENV=production BATON_DEMO=1 NEXT_TELEMETRY_DISABLED=1
# A fresh database: the demo agents a previous run left running are stopped, not adopted. They
# are kept apart from a developer's own demo fleet (scripts/test-all.sh stops them at the end).
export BATON_DEMO_FLEET_RESET=1 BATON_DEMO_FLEET_DIR="data/e2e-demo-fleet"
export BATON_SECRET="${BATON_SECRET:-e2e-secret-not-for-production-0123456789abcdef}"
export HOST=127.0.0.1 PORT="${PORT:-3210}" LOG_LEVEL="${LOG_LEVEL:-warn}"
export BATON_DEMO_AGENT_PORT="${BATON_DEMO_AGENT_PORT:-$((PORT + 2000))}"
exec node --import tsx server.ts
