#!/usr/bin/env bash
# Runs an example shop on the in-memory backend, or on memcached when MEMCACHED_SERVERS or
# MEMCACHIER_SERVERS is set: `bash scripts/example.sh` (or `fastify`) runs examples/app on
# Fastify, `bash scripts/example.sh express` runs examples/express-app on Express. PORT (default
# 3000), HOST (default 127.0.0.1) and SESSION_SECRET (32+ characters; default a development
# secret) configure it.
# Node replaces this shell (exec), so Ctrl-C or `kill` of this script's process reaches the
# server itself and nothing keeps listening afterwards.
# LARDER_EXAMPLE_SKIP_SETUP=1 skips setup when the tree is already installed and built (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-fastify}"
case "$example" in
  fastify) server=examples/app/src/server.ts ;;
  express) server=examples/express-app/src/server.ts ;;
  *) echo "example: unknown example \"$example\"; choose fastify or express" >&2; exit 2 ;;
esac
# Setup (install from the lockfile, build packages/*) runs only when something it depends on
# changed since the last setup that finished: a hash of the lockfile, the package.json files, the
# TypeScript configs, the build scripts and packages/*/src, kept in .larder-tmp/example-setup.
stamp=.larder-tmp/example-setup
inputs_hash() {
  { git ls-files -co --exclude-standard -- pnpm-lock.yaml pnpm-workspace.yaml package.json 'tsconfig*.json' scripts/build-package.mjs scripts/check-exports.mjs \
      'packages/*/package.json' 'packages/*/tsconfig*.json' 'packages/*/src/**' 'examples/*/package.json' 2>/dev/null \
    || find pnpm-lock.yaml package.json packages/*/package.json packages/*/src -type f; } \
    | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -d ' ' -f 1
}
if [ "${LARDER_EXAMPLE_SKIP_SETUP:-}" != 1 ]; then
  wanted="$(inputs_hash)"
  if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    echo "example: nothing changed since the last setup; not reinstalling or rebuilding (delete $stamp to force it)"
  else
    bash scripts/setup.sh
    mkdir -p .larder-tmp
    echo "$wanted" >"$stamp"
  fi
fi
exec node --import tsx "$server"
