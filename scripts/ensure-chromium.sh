#!/usr/bin/env bash
# Playwright cannot download its browser here: the tests use Debian's Chromium.
set -euo pipefail
if [[ ! -x /usr/bin/chromium ]]; then
  echo "==> installing Debian's chromium"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
