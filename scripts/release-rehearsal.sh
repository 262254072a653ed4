#!/usr/bin/env bash
# The release rehearsal: publishes every public @larder/* package into a throwaway local registry
# and installs them by name, as a user will after the first release. Steps:
#  1. verdaccio (pinned below) installed with npm into .larder-tmp/verdaccio/<version>/, not a
#     workspace dependency (its 300 packages stay out of the lockfile);
#  2. started on 127.0.0.1 on a free port, with its config and storage in a temp directory:
#     @larder/* live only there (anyone may publish, no uplink, so nothing on the real registry
#     can answer for them); every other package is proxied to the registry npm is configured with
#     (`npm config get registry`, read now, never written down);
#  3. `pnpm -r publish --no-git-checks` of the public packages into it, with a throwaway token in
#     a temp .npmrc (verdaccio lets anyone publish @larder/* there; npm and pnpm still want a token);
#  4. scripts/consumer-check.ts --registry <local>: scratch npm apps (ESM .mjs, CommonJS .cjs,
#     TypeScript) whose .npmrc says `@larder:registry=<local>`, so `npm install @larder/core ...`
#     takes our packages by name from the local registry and everything else from the usual one;
#     they run the README quick starts unchanged and it prints a table;
#  5. verdaccio stopped by its pid, the temp directory removed. Exits non-zero on any failure.
# Usage (after setup): bash scripts/release-rehearsal.sh [--keep]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
verdaccio_version=6.8.0 # 6.9+ wants Node 22; CI runs Node 20

# 1. verdaccio, once per version, into a staging directory renamed into place when complete.
vdir="$root/.larder-tmp/verdaccio/$verdaccio_version"
vbin="$vdir/node_modules/verdaccio/bin/verdaccio"
if [ ! -f "$vbin" ]; then
  echo "rehearsal: installing verdaccio@$verdaccio_version with npm into .larder-tmp/verdaccio/$verdaccio_version"
  staging="$vdir.partial.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  if ! npm install --prefix "$staging" --no-audit --no-fund --no-package-lock --ignore-scripts --loglevel=error "verdaccio@$verdaccio_version"; then
    rm -rf "$staging"
    echo "rehearsal: npm could not install verdaccio@$verdaccio_version (its error is above)" >&2
    exit 1
  fi
  rm -rf "$vdir"
  mv "$staging" "$vdir"
fi

# 2. a temp directory for the config, the storage, the log and the publishing .npmrc.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/larder-rehearsal-XXXXXX")"
pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "${1:-}" = keep ]; then echo "rehearsal: kept $tmp"; else rm -rf "$tmp"; fi
}
keep=""
[ "${1:-}" = --keep ] && keep=keep
trap 'stop $keep' EXIT

upstream="$(npm config get registry)"
case "$upstream" in
  http://* | https://*) ;;
  *) echo "rehearsal: npm config get registry gave '$upstream', not a URL" >&2; exit 1 ;;
esac
# A free port: the kernel picks one for a listener that is closed at once.
port="$(node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
local_registry="http://127.0.0.1:$port/"

mkdir -p "$tmp/storage"
cat >"$tmp/config.yaml" <<EOF
# Written by scripts/release-rehearsal.sh for one run; removed afterwards.
storage: $tmp/storage
auth:
  htpasswd:
    file: $tmp/htpasswd
    max_users: -1
uplinks:
  upstream:
    url: $upstream
    timeout: 60s
packages:
  '@larder/*':
    access: \$all
    publish: \$all
    unpublish: \$all
  '**':
    access: \$all
    publish: \$authenticated
    proxy: upstream
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
EOF

echo "rehearsal: verdaccio $verdaccio_version on $local_registry (config and storage in $tmp)"
node "$vbin" --config "$tmp/config.yaml" --listen "127.0.0.1:$port" >"$tmp/verdaccio.log" 2>&1 &
pid=$!
up=""
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if node -e 'fetch(process.argv[1] + "-/ping").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$local_registry"; then
    up=yes
    break
  fi
  sleep 0.5
done
if [ -z "$up" ]; then
  echo "rehearsal: verdaccio did not answer on $local_registry within 60 s; its log:" >&2
  cat "$tmp/verdaccio.log" >&2
  exit 1
fi

# 3. publish. The token is a placeholder: the config lets anyone publish @larder/*.
printf '//127.0.0.1:%s/:_authToken=rehearsal-placeholder-token\n' "$port" >"$tmp/npmrc"
echo "rehearsal: pnpm -r publish --registry $local_registry --no-git-checks (the public packages)"
if ! NPM_CONFIG_USERCONFIG="$tmp/npmrc" npm_config_userconfig="$tmp/npmrc" \
  bash scripts/pnpm.sh -r --filter './packages/*' publish --registry "$local_registry" --no-git-checks; then
  echo "rehearsal: pnpm -r publish into the local registry failed; verdaccio's log:" >&2
  cat "$tmp/verdaccio.log" >&2
  exit 1
fi

# 4. install by name and run the README samples.
status=0
node --import tsx scripts/consumer-check.ts --registry "$local_registry" ${keep:+--keep} || status=$?
exit "$status"
