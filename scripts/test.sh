#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian packages, the pinned pnpm, the npm
# dependencies), builds, runs the suites against real memcached servers the harness starts,
# the HTTP cache-tests suite against examples/proxy (scripts/cache-tests.sh), then the install checks: the packed packages in scratch npm apps (scripts/consumer-check.ts),
# the release rehearsal (publish into a local verdaccio on loopback, install by name:
# scripts/release-rehearsal.sh) and setup in fresh clones under several pnpm versions
# (scripts/install-matrix.sh).
# Every step runs even when an earlier one failed; the summary at the end says which failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh

steps=()
failed=0
run_step() {
  local name="$1" start status
  shift
  start="$(date +%s)"
  echo
  echo "test: $name"
  if "$@"; then status=ok; else status=FAILED; failed=1; fi
  steps+=("$(printf '%-46s %-7s %4d s' "$name" "$status" "$(( $(date +%s) - start ))")")
}
run_step 'typecheck and test suites (pnpm test)' bash scripts/pnpm.sh test
run_step 'HTTP cache-tests score, >= 85% (cache-tests)' bash scripts/cache-tests.sh
run_step 'packed packages in npm apps (consumer-check)' node --import tsx scripts/consumer-check.ts
run_step 'publish and install by name (release-rehearsal)' bash scripts/release-rehearsal.sh
run_step 'setup in fresh clones (install-matrix)' bash scripts/install-matrix.sh

echo
echo "test: summary"
printf '%s\n' "${steps[@]}"
exit "$failed"
