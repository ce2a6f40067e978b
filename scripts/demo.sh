#!/usr/bin/env bash
# One command for a demo: install, build, migrate, start the console with demo accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NEXT_TELEMETRY_DISABLED=1 BATON_DEMO=1 NODE_ENV=production
if [[ -z "${BATON_SECRET:-}" ]]; then
  mkdir -p data
  [[ -s data/.secret ]] || node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))" > data/.secret
  export BATON_SECRET="$(cat data/.secret)"
fi
npx next build
# One process (not tsx's launcher and a child): a signal to this pid reaches the console itself.
exec node --import tsx server.ts
