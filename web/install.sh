#!/usr/bin/env bash
# Installs the dashboard's pinned charting library into web/node_modules
# from package-lock.json, unless it is there already for this lock file.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.cctv-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
