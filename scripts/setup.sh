#!/usr/bin/env bash
# Shared setup for the README commands: checks Node, installs the workspace's dependencies from
# the lockfile with the pinned pnpm (scripts/pnpm.sh fetches it into the project when the pnpm on
# PATH is missing or another version), and builds the packages. Writes only inside the project
# and the user's caches (~/.npm, pnpm's store); never needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "setup: node is not on PATH; Larder needs Node 20.19+ or 22.12+ (https://nodejs.org)" >&2
  exit 1
fi
# require(esm), which CommonJS users of the packages rely on, is on by default from 20.19 and 22.12.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 23 ? 0 : 1)'; then
  echo "setup: Node $(node --version) is too old; Larder needs Node 20.19+ or 22.12+ (https://nodejs.org)" >&2
  exit 1
fi

echo "setup: installing the workspace's npm dependencies from pnpm-lock.yaml (pnpm install --frozen-lockfile)"
bash scripts/pnpm.sh install --frozen-lockfile
echo "setup: building packages/* (TypeScript to dist/)"
bash scripts/pnpm.sh run build
