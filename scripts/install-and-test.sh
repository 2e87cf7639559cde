#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine, then runs the whole suite.
#   Debian: unzip (extracts the offline helm binary), prometheus (promtool),
#           prometheus-alertmanager (amtool)
#   npm:    exactly the lockfile (npm ci), including re2 (compiled from source, ~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(unzip prometheus prometheus-alertmanager)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  # --no-install-recommends; the packages' services are not needed (tests start their own on loopback)
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
npm ci --no-audit --no-fund
exec npm test
