#!/usr/bin/env bash
# Runs the test suite on the committed HEAD in a clean sibling clone (so ../shared resolves),
# reusing this checkout's node_modules (engines rebuilt from the warm Go caches): catches uncommitted files a test silently depended on,
# and lets several people work in one tree without testing each other's unfinished edits.
# Usage: scripts/verify-head.sh [name]   (full CI from scratch: .ci/run in a fresh clone)
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-default}"
dir="$(cd .. && pwd)/verify-$name"
rm -rf "$dir"
git clone -q . "$dir"
ln -s "$PWD/node_modules" "$dir/node_modules"
cd "$dir"
echo "verifying $(git log --oneline -1) in $dir" >&2
bash scripts/build-engines.sh   # into the clone's .tools/engines, from the warm Go caches
npm test
