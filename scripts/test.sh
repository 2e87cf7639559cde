#!/usr/bin/env bash
# Runs the whole test suite: build, fetch the offline helm binary, run every compiled test file.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE_FOR_TESTS:-$PWD/.tools/empty.tfrc}"
mkdir -p .tools && : > .tools/empty.tfrc
bash scripts/ensure-helm.sh >/dev/null
npx tsc -p tsconfig.json
# Every compiled *.test.js under dist/test; node's runner prints the summary (tests/pass/fail).
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
exec node --test --test-concurrency="${MLOBS_TEST_CONCURRENCY:-2}" "${files[@]}"
