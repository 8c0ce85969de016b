#!/usr/bin/env bash
# Chromium and chromedriver for the console's browser tests (tests/api/console_browser.rs),
# installed from Debian unless already present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium and chromedriver present: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
apt-get update -qq
apt-get install -y -qq chromium chromium-driver
