#!/usr/bin/env bash
# Runs exactly the pnpm this project pins ("packageManager" in package.json), whatever pnpm is
# on PATH, if any. Usage: bash scripts/pnpm.sh <pnpm arguments>.
#
# The pnpm on PATH is used when it is that very version. Otherwise the pinned version is
# installed once with npm into .larder-tmp/pnpm/<version>/ inside this project (npm keeps its
# download in its cache, ~/.npm) and used from there. Nothing is installed globally, so this
# works without root. Why not the pnpm on PATH: pnpm 8 cannot read the lockfile, pnpm 11 and
# later need Node >= 22.13 or must first switch to the pinned version themselves, and a
# different version may resolve the workspace differently.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pin="$(node -e 'const pm = require(process.argv[1]).packageManager ?? ""; process.stdout.write(pm.replace(/^pnpm@/, "").split("+")[0])' "$root/package.json")"
if [ -z "$pin" ]; then
  echo "pnpm.sh: package.json has no \"packageManager\": \"pnpm@<version>\" pin" >&2
  exit 1
fi

# The version of the pnpm on PATH, asked from / so that no project pin makes it switch versions.
found=""
on_path="missing"
if command -v pnpm >/dev/null 2>&1; then
  found="$(cd / && COREPACK_ENABLE_DOWNLOAD_PROMPT=0 pnpm --version 2>/dev/null </dev/null | tail -n 1 || true)"
  on_path="${found:-one whose 'pnpm --version' fails here (pnpm 11 needs Node 22.13+)}"
fi

if [ "$found" != "$pin" ]; then
  local_dir="$root/.larder-tmp/pnpm/$pin"
  local_bin="$local_dir/node_modules/.bin"
  if [ ! -x "$local_bin/pnpm" ]; then
    echo "pnpm.sh: this project pins pnpm $pin and the pnpm on PATH is $on_path; installing pnpm@$pin with npm into .larder-tmp/pnpm/$pin (inside the project, no root needed)" >&2
    staging="$local_dir.partial.$$"
    rm -rf "$staging"
    mkdir -p "$staging"
    # --ignore-scripts: the pnpm package needs no install scripts; a staging directory renamed
    # into place means an interrupted install is never mistaken for a finished one.
    if ! npm install --prefix "$staging" --no-audit --no-fund --no-package-lock --ignore-scripts --loglevel=error "pnpm@$pin" >&2; then
      rm -rf "$staging"
      echo "pnpm.sh: npm could not install pnpm@$pin (its error is above)" >&2
      exit 1
    fi
    if [ -x "$local_bin/pnpm" ]; then rm -rf "$staging"; else rm -rf "$local_dir" && mv "$staging" "$local_dir"; fi
  fi
  # First on PATH, so the scripts pnpm runs (which call `pnpm` themselves) get the same version.
  export PATH="$local_bin:$PATH"
fi
exec pnpm "$@"
