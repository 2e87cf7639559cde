#!/usr/bin/env bash
# Installs the npm dependencies from the lockfile and synthesizes every environment in
# config/*.yaml into cdktf.out/stacks/<env>/. Needs no cluster and no network beyond npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
npm ci --no-audit --no-fund
exec npm run --silent synth
