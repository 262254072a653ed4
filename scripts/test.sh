#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian packages, pnpm, npm dependencies),
# builds, then runs the suites against real memcached servers the harness starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh
pnpm test
