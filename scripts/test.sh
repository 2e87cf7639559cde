#!/usr/bin/env bash
# Runs the whole test suite: build, fetch the offline helm binary, build the engines that are
# missing (scripts/build-engines.sh; reused when unchanged), run every compiled unit test file and
# the end-to-end suite (dist/e2e/*.e2e.js, a local cluster) in one node:test run.
# MLOBS_SKIP_E2E=1 leaves the end-to-end suite out (a quick local loop; CI always runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE_FOR_TESTS:-$PWD/.tools/empty.tfrc}"
mkdir -p .tools && : > .tools/empty.tfrc
bash scripts/ensure-helm.sh >/dev/null
bash scripts/build-engines.sh >&2
npx tsc -p tsconfig.json
# Every compiled *.test.js under dist/test; node's runner prints the summary (tests/pass/fail).
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
if [ "${MLOBS_SKIP_E2E:-0}" = "1" ]; then
  echo "test: MLOBS_SKIP_E2E=1: the end-to-end suite is left out" >&2
else
  mapfile -t e2e < <(find dist/e2e -name '*.e2e.js' | sort)
  if [ ${#e2e[@]} -eq 0 ]; then echo "no e2e files found" >&2; exit 1; fi
  files+=("${e2e[@]}")
fi
exec node --test --test-concurrency="${MLOBS_TEST_CONCURRENCY:-2}" "${files[@]}"
