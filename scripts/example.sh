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
[ "${LARDER_EXAMPLE_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh
exec node --import tsx "$server"
