#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing: memcached and the
# SASL tools to run real servers, the Python clients used as wire-compatibility peers, and
# Chromium for the example app's browser test.
set -euo pipefail

need=()
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v saslpasswd2 >/dev/null 2>&1 || need+=(sasl2-bin)
# The example app's browser test drives Debian's Chromium (playwright-core, no downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
for pkg in libsasl2-modules python3-pylibmc python3-pymemcache; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
