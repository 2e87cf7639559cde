#!/usr/bin/env bash
# The end-to-end suite (e2e/*.e2e.ts) on a local Kubernetes control plane built from Go modules
# (scripts/local-cluster.sh): needs the engines (scripts/build-engines.sh) and npm ci first.
# Writes e2e-report.json at the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
bash scripts/ensure-helm.sh >/dev/null
npx tsc -p tsconfig.json
mapfile -t files < <(find dist/e2e -name '*.e2e.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no e2e files found" >&2; exit 1; fi
# One file at a time: each starts its own cluster.
exec node --test --test-concurrency=1 --test-timeout=1200000 "${files[@]}"
