#!/usr/bin/env bash
# Installs what Baton needs on a Debian machine: npm packages always; with --test also
# Debian's Chromium (browser tests), PostgreSQL (database tests) and Redis (several consoles).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-/usr}" NEXT_TELEMETRY_DISABLED=1

if [[ "${1:-}" == "--test" ]]; then
  missing=()
  [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || missing+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "setup: please install Debian packages: ${missing[*]} (sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]} with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm install (not npm ci: the registry lacks some other-platform optional packages the lockfile names).
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
