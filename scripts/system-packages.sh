#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing: memcached and the
# SASL tools to run real servers, the Python clients used as wire-compatibility peers, Flask with
# Flask-Caching as the cache-key peer of @larder/http, Chromium for the example app's browser
# test, and git for the install check's fresh clone. Uses apt-get
# as root, through sudo otherwise; when neither is possible it says what to install and stops.
set -euo pipefail

need=()
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v saslpasswd2 >/dev/null 2>&1 || need+=(sasl2-bin)
# The TLS tests make a throw-away CA and certificates with the openssl command.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The example app's browser test drives Debian's Chromium (playwright-core, no downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v git >/dev/null 2>&1 || need+=(git)
for pkg in libsasl2-modules python3-pylibmc python3-pymemcache python3-flask-caching; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing system packages (${need[*]}) and no apt-get here; install their equivalents, then run this again" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: not root and no sudo; install these Debian packages as root, then run this again: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "setup: installing missing Debian packages with ${as_root[*]:-}${as_root[*]:+ }apt-get: ${need[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
