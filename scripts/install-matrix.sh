#!/usr/bin/env bash
# Proves that the README's setup works whatever pnpm a user has. For each case it installs that
# pnpm with npm into a temporary prefix (never globally), clones this repository into a
# temporary directory, and runs scripts/setup.sh in the clone with that pnpm first on PATH and
# no other pnpm: no pnpm, pnpm 9, the latest pnpm 10, the pinned version itself, and the latest
# pnpm; the latest pnpm installed as `npm i -g pnpm` does beside a system Node (into a prefix
# whose bin directory also holds node, bash, git and the rest of node's directory); once more with Node 22 (installed from the npm registry's `node` package into the case's
# own prefix) and the latest pnpm, where a CommonJS require() of each built package must work
# too; as root, also the no-pnpm case as an unprivileged user with an empty home. The cases
# run in parallel. It prints one table and exits 1 when any setup failed. The table's last
# column is informational only (it never fails the run): what `pnpm install` typed by hand with
# that pnpm does in the clone. A pnpm other than the pinned version first downloads the pin
# (pnpm 11+ through @pnpm/exe), which needs a registry that has it, with its signatures.
# Usage: bash scripts/install-matrix.sh [pnpm versions...]   (default: 9 10 <pin> latest)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
versions=("$@")

if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  echo "install-matrix: $root is not a git checkout, so there is nothing to clone" >&2
  exit 1
fi
tmp="$(mktemp -d "${TMPDIR:-/tmp}/larder-install-matrix.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # the unprivileged case must reach its clone
pin="$(node -p 'require(process.argv[1]).packageManager' "$root/package.json")"
[ ${#versions[@]} -gt 0 ] || versions=(9 10 "${pin#pnpm@}" latest)
node22_case="node-22-pnpm-latest"

global_case="pnpm-global-beside-node"

# Any pnpm already on this machine's PATH is hidden by a directory put before the rest of PATH
# whose `pnpm` refuses to run. No PATH directory is removed: the one holding a pnpm may hold
# bash, node and git too (/bin -> /usr/bin after `npm i -g pnpm`).
hide="$tmp/hide-pnpm"
mkdir -p "$hide"
printf '#!/bin/sh\necho "pnpm: hidden by install-matrix (this case has no pnpm on PATH)" >&2\nexit 127\n' >"$hide/pnpm"
chmod 755 "$hide" "$hide/pnpm"
clean_path="$hide:$PATH"

# `npm i -g pnpm` beside a system Node, without touching the system or npm's global prefix (so it
# runs as any user): the case's own bin directory gets a link to every program in node's own
# directory (node, npm and, where node is in /usr/bin, bash, env and git) and to a pnpm installed
# with a plain `npm install --prefix` into the case's folder, as a global install leaves them side
# by side in one directory. That directory comes first on PATH.
make_global_prefix() {
  local prefix="$1" node_dir entry
  node_dir="$(dirname "$(command -v node)")"
  mkdir -p "$prefix/bin"
  for entry in "$node_dir"/*; do
    [ -x "$entry" ] && [ ! -d "$entry" ] && [ "$(basename "$entry")" != pnpm ] && [ "$(basename "$entry")" != pnpx ] && ln -s "$entry" "$prefix/bin/"
  done
  npm install --prefix "$prefix/lib" --no-audit --no-fund --no-package-lock --loglevel=error pnpm@latest
  ln -s "$prefix/lib/node_modules/.bin/pnpm" "$prefix/bin/pnpm"
}

# Runs one case: $1 name, $2 pnpm version to put first on PATH ("" for none), $3 uid ("" = this user),
# $4 Node major version to put first on PATH ("" = this machine's node).
run_case() {
  local name="$1" version="$2" uid="$3" node_major="${4:-}"
  local dir="$tmp/$name" bin="" found="none" home="$HOME" node_bin=""
  mkdir -p "$dir"
  if [ -n "$node_major" ]; then
    npm install --prefix "$dir/node" --no-audit --no-fund --no-package-lock --loglevel=error "node@$node_major" >"$dir/node-install.log" 2>&1 || {
      printf 'FAILED\t-\t-\t-\tnpm could not install node@%s\n' "$node_major" >"$dir/result"
      return
    }
    node_bin="$dir/node/node_modules/.bin"
  fi
  if [ "$name" = "$global_case" ]; then
    make_global_prefix "$dir/usr" >"$dir/pnpm-install.log" 2>&1 || {
      printf 'FAILED\t-\t-\t-\tnpm could not install pnpm globally into a prefix\n' >"$dir/result"
      return
    }
    bin="$dir/usr/bin"
    found="$(cd "$dir" && PATH="$bin:$PATH" "$bin/pnpm" --version 2>/dev/null | tail -n 1)"
  elif [ -n "$version" ]; then
    npm install --prefix "$dir/pnpm" --no-audit --no-fund --no-package-lock --loglevel=error "pnpm@$version" >"$dir/pnpm-install.log" 2>&1 || {
      printf 'FAILED\t-\t-\t-\tnpm could not install pnpm@%s\n' "$version" >"$dir/result"
      return
    }
    bin="$dir/pnpm/node_modules/.bin"
    found="$(cd "$dir" && PATH="${node_bin:+$node_bin:}$PATH" "$bin/pnpm" --version 2>/dev/null | tail -n 1)"
  fi
  git clone --quiet "$root" "$dir/clone"
  local as_user=()
  if [ -n "$uid" ]; then
    home="$dir/home"
    mkdir -p "$home"
    chown -R "$uid:$uid" "$dir/clone" "$home"
    as_user=(setpriv "--reuid=$uid" "--regid=$uid" --clear-groups)
  fi
  local path="${node_bin:+$node_bin:}${bin:+$bin:}$clean_path" start end status=ok used typed="-"
  start="$(date +%s%N)"
  (cd "$dir/clone" && "${as_user[@]}" env HOME="$home" PATH="$path" bash scripts/setup.sh) >"$dir/setup.log" 2>&1 || status=FAILED
  end="$(date +%s%N)"
  if [ -n "$node_major" ] && [ "$status" = ok ]; then
    # The built packages as a CommonJS app on this Node would load them: require() of ESM.
    (cd "$dir/clone" && env PATH="$path" node -e '
      // Resolved by name from the example app, so the "require" export conditions of each package apply.
      const from = { paths: [require("path").resolve("examples/app")] };
      for (const name of ["@larder/core", "@larder/fastify-plugin", "@larder/session-store", "@larder/metrics", "@larder/metrics/prometheus"]) {
        const loaded = require(require.resolve(name, from));
        if (Object.keys(loaded).length === 0) throw new Error(name + " exported nothing");
      }
      console.log("require() of the built packages works on Node " + process.version);
    ') >>"$dir/setup.log" 2>&1 || status=FAILED
  fi
  used="$(cd "$dir/clone" && "${as_user[@]}" env HOME="$home" PATH="$path" bash scripts/pnpm.sh --version 2>/dev/null | tail -n 1 || echo '?')"
  if [ -n "$bin" ] && [ "$status" = ok ]; then
    if (cd "$dir/clone" && "${as_user[@]}" env HOME="$home" PATH="$path" timeout 300 pnpm install --frozen-lockfile) >"$dir/typed.log" 2>&1; then
      local ran
      ran="$(grep -o 'using pnpm v[0-9.]*' "$dir/typed.log" | tail -n 1 || true)"
      typed="ok${ran:+ (${ran#using })}"
    else
      typed="fails: $( (grep -o 'ERR_PNPM_[A-Z_]*' "$dir/typed.log" || grep -m 1 'ERROR' "$dir/typed.log" || echo 'no error line') | head -n 1 | cut -c 1-90)"
    fi
  fi
  printf '%s\t%s\t%s\t%d s\t%s\n' "$status" "$found" "$used" "$(( (end - start + 500000000) / 1000000000 ))" "$typed" >"$dir/result"
}

cases=(no-pnpm)
for version in "${versions[@]}"; do cases+=("pnpm-$version"); done
cases+=("$global_case" "$node22_case")
unprivileged=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
  unprivileged="no-pnpm-uid-65534"
  cases+=("$unprivileged")
fi

echo "install-matrix: scripts/setup.sh in fresh clones of $(git -C "$root" rev-parse --short HEAD), cases in parallel: ${cases[*]}"
overall_start="$(date +%s)"
pids=()
for name in "${cases[@]}"; do
  case "$name" in
    no-pnpm) run_case "$name" "" "" & ;;
    "$node22_case") run_case "$name" latest "" 22 & ;;
    "$global_case") run_case "$name" latest "" & ;;
    "$unprivileged") run_case "$name" "" 65534 & ;;
    pnpm-*) run_case "$name" "${name#pnpm-}" "" & ;;
  esac
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

failed=0
echo
echo "install matrix (Node $(node --version) unless the case says otherwise, npm $(npm --version 2>/dev/null), pin $pin, $(( $(date +%s) - overall_start )) s in all)"
printf '%-24s %-13s %-16s %-11s %-7s %s\n' case 'pnpm on PATH' 'setup ran pnpm' 'setup time' result '`pnpm install` typed by hand'
for name in "${cases[@]}"; do
  result_file="$tmp/$name/result"
  if [ ! -f "$result_file" ]; then
    printf '%-24s %s\n' "$name" "FAILED (no result; see above)"
    failed=1
    continue
  fi
  IFS=$'\t' read -r status found used took typed <"$result_file"
  printf '%-24s %-13s %-16s %-11s %-7s %s\n' "$name" "$found" "$used" "$took" "$status" "$typed"
  [ "$status" = ok ] || failed=1
done
for name in "${cases[@]}"; do
  if [ -f "$tmp/$name/result" ] && ! grep -q '^ok' "$tmp/$name/result"; then
    echo
    echo "--- $name: last lines of its setup output"
    tail -n 30 "$tmp/$name/setup.log" 2>/dev/null || tail -n 30 "$tmp/$name/pnpm-install.log" 2>/dev/null || true
  fi
done
exit "$failed"
