#!/usr/bin/env bash
# Installing Larder from a checkout, until the first release on the registry: installs and builds
# (scripts/setup.sh), packs every published package with `pnpm pack` into .larder-tmp/packs/, and
# prints the one `npm install` line that installs them all at once, so that npm finds the
# packages' dependencies on each other (@larder/express needs @larder/http and @larder/core)
# among the tarballs named on that line. Usage: bash scripts/pack.sh   (then run the line it
# prints in your app, adding the framework you use: fastify, express, nunjucks...)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >&2
out="$root/.larder-tmp/packs"
rm -rf "$out"
mkdir -p "$out"
for dir in packages/*/; do
  private="$(node -p 'require(process.argv[1]).private === true' "$root/$dir/package.json")"
  [ "$private" = true ] && continue
  (cd "$dir" && bash "$root/scripts/pnpm.sh" pack --pack-destination "$out" >/dev/null)
done
echo "pack: the packages are packed in $out; install them in your app with this one line:" >&2
printf 'npm install'
for tarball in "$out"/*.tgz; do printf ' %q' "$tarball"; done
printf '\n'
