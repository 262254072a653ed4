#!/usr/bin/env bash
# Runs the example app on the in-memory backend (set MEMCACHED_SERVERS to use memcached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm run --silent demo
