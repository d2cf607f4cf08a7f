#!/usr/bin/env bash
# The browser tests drive Debian's Chromium and ChromeDriver (never a browser a tool downloads).
# Installs them with apt when they are missing and this runs as root; otherwise says what to
# install and fails, so the browser tests never skip silently.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} with apt for the browser tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "error: the browser tests need Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}'." >&2
exit 1
