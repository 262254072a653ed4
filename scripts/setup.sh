#!/usr/bin/env bash
# Shared setup for the README commands: pnpm (installed with npm when missing), the
# workspace's dependencies from the lockfile, and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm@$PNPM_VERSION with npm"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm run --silent build
