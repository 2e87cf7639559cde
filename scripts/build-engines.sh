#!/usr/bin/env bash
# Builds the real engines that consume mlobs' output from Go modules, one pinned wrapper module
# (engines/<tool>/go.mod + go.sum) per tool, into .tools/engines/ (ignored by git):
#   bin/      etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl, tofu,
#             prometheus, promtool, alertmanager, amtool, statsd_exporter
#   mirror/   terraform providers as a filesystem mirror for tofu (provider-kubernetes, provider-helm;
#             not in the default set: the module proxy refuses their pinned commits, see README)
# A tool is rebuilt only when its wrapper (go.mod, go.sum, build flags) or the Go version changed;
# otherwise its binaries are reused. Prints each tool's build time and writes build-times.json.
# Usage: scripts/build-engines.sh [tool...]   (default: the tools in TOOLS)
# Caches: GOMODCACHE and GOCACHE as set in the environment (Go's defaults under $HOME otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${MLOBS_ENGINES_DIR:-$ROOT/.tools/engines}"
# GOTOOLCHAIN=local: a module asking for a newer Go fails instead of fetching another toolchain.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"
mkdir -p "$OUT/bin" "$OUT/stamps"

TOOLS=(etcd kubernetes kwok tofu prometheus alertmanager statsd-exporter)
ALL_TOOLS=("${TOOLS[@]}" provider-kubernetes provider-helm)

# modver <tool> <module>: the version the wrapper's go.mod requires (the one source of versions).
modver() {
  local v; v="$(awk -v m="$2" '($1=="require" && $2==m){print $3} ($1==m){print $2}' "$ROOT/engines/$1/go.mod" | head -1)"
  [ -n "$v" ] || { echo "build-engines: engines/$1/go.mod does not require $2" >&2; exit 1; }
  echo "$v"
}

# spec <tool>: sets MODULE (what the wrapper pins), PKGS (packages to build), NAMES (output
# names, same order), LDFLAGS and DEST (the folder the binaries go to).
spec() {
  DEST="$OUT/bin"; LDFLAGS="-s -w"; PLACEHOLDER_FILE=""
  local v x
  case "$1" in
    etcd)
      MODULE=go.etcd.io/etcd/server/v3; PKGS=(go.etcd.io/etcd/server/v3); NAMES=(etcd) ;;
    kubernetes)
      MODULE=k8s.io/kubernetes; v="$(modver kubernetes $MODULE)"
      local major="${v#v}"; major="${major%%.*}"; local minor="${v#v*.}"; minor="${minor%%.*}"
      # Without these, /version says v0.0.0-master and Helm refuses charts with a kubeVersion.
      for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        LDFLAGS+=" -X $x.gitVersion=$v -X $x.gitMajor=$major -X $x.gitMinor=$minor -X $x.gitTreeState=clean -X $x.buildDate=1970-01-01T00:00:00Z"
      done
      PKGS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
      NAMES=(kube-apiserver kube-controller-manager kube-scheduler kubectl) ;;
    kwok)
      MODULE=sigs.k8s.io/kwok; v="$(modver kwok $MODULE)"
      LDFLAGS+=" -X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}"
      PKGS=(sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl); NAMES=(kwok kwokctl) ;;
    tofu)
      MODULE=github.com/opentofu/opentofu
      # Without it the binary reports itself as a -dev build.
      LDFLAGS+=" -X github.com/opentofu/opentofu/version.dev=no"
      PKGS=(github.com/opentofu/opentofu/cmd/tofu); NAMES=(tofu) ;;
    prometheus)
      MODULE=github.com/prometheus/prometheus; v="$(modver prometheus $MODULE)"
      # Since 3.0 the Go module version v0.3XX.Y is Prometheus 3.XX.Y.
      local semver; semver="$(echo "${v#v0.}" | sed -E 's/^3([0-9]{2})\.([0-9]+)$/3.\1.\2/')"
      LDFLAGS+=" -X github.com/prometheus/common/version.Version=$semver -X github.com/prometheus/common/version.Branch=HEAD"
      PKGS=(github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool); NAMES=(prometheus promtool) ;;
    alertmanager)
      MODULE=github.com/prometheus/alertmanager; v="$(modver alertmanager $MODULE)"
      LDFLAGS+=" -X github.com/prometheus/common/version.Version=${v#v} -X github.com/prometheus/common/version.Branch=HEAD"
      PKGS=(github.com/prometheus/alertmanager/cmd/alertmanager github.com/prometheus/alertmanager/cmd/amtool); NAMES=(alertmanager amtool)
      # The web UI's built assets (ui/app/dist, made by npm in upstream's release build) are not
      # in the module: embed one placeholder page instead (see below). The API is unaffected.
      PLACEHOLDER_FILE="ui/app/dist/index.html" ;;
    statsd-exporter)
      # The Logstash sidecar's exporter (constructs/versions.ts ELASTIC_IMAGES.statsdExporter): the
      # mapping and the statsd lines of the Elastic alert path run on it.
      MODULE=github.com/prometheus/statsd_exporter; v="$(modver statsd-exporter $MODULE)"
      LDFLAGS+=" -X github.com/prometheus/common/version.Version=${v#v} -X github.com/prometheus/common/version.Branch=HEAD"
      PKGS=(github.com/prometheus/statsd_exporter); NAMES=(statsd_exporter) ;;
    provider-kubernetes|provider-helm)
      local type="${1#provider-}"
      MODULE=github.com/hashicorp/terraform-provider-$type
      # The wrapper records the tag the stack pins (constructs/versions.ts) and requires its commit.
      local tag; tag="$(sed -n 's|^// tag: ||p' "$ROOT/engines/$1/go.mod")"
      [ -n "$tag" ] || { echo "build-engines: engines/$1/go.mod has no '// tag:' line" >&2; exit 1; }
      LDFLAGS+=" -X main.version=${tag#v}"
      DEST="$OUT/mirror/registry.opentofu.org/hashicorp/$type/${tag#v}/linux_amd64"
      PKGS=("$MODULE"); NAMES=("terraform-provider-${type}_$tag") ;;
    *) echo "build-engines: unknown tool '$1' (known: ${ALL_TOOLS[*]})" >&2; exit 2 ;;
  esac
}

want=("$@"); [ ${#want[@]} -eq 0 ] && want=("${TOOLS[@]}")
for tool in "${want[@]}"; do spec "$tool"; done   # unknown names fail before anything is built
times=()
for tool in "${want[@]}"; do
  spec "$tool"
  dir="$ROOT/engines/$tool"
  pinned="$MODULE@$(modver "$tool" "$MODULE")"
  stamp="$( { go version; cat "$dir/go.mod" "$dir/go.sum" 2>/dev/null; echo "$LDFLAGS ${PKGS[*]} ${NAMES[*]} $DEST $PLACEHOLDER_FILE"; } | sha256sum | cut -c1-16)"
  have=1
  for n in "${NAMES[@]}"; do [ -x "$DEST/$n" ] || have=0; done
  if [ $have -eq 1 ] && [ "$(cat "$OUT/stamps/$tool" 2>/dev/null)" = "$stamp" ]; then
    printf 'build-engines: %-20s up to date (%s)\n' "$tool" "$pinned"
    times+=("\"$tool\":{\"seconds\":0,\"built\":false}")
    continue
  fi
  start=$(date +%s)
  tmp="$(mktemp -d "$OUT/.build-$tool.XXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$dir" && go mod download 2>"$tmp/err"); then
    sed 's/^/  /' "$tmp/err" >&2
    echo "build-engines: $tool: the Go module proxy did not serve $pinned or a module it needs (above); nothing was substituted and nothing built" >&2
    exit 1
  fi
  modflags=()
  if [ -n "$PLACEHOLDER_FILE" ]; then
    # Go refuses overlays into the module cache: build against a copy of the pinned module (same
    # version, same go.sum) with the placeholder added, through a temporary -modfile replace.
    moddir="$(cd "$dir" && go list -m -f '{{.Dir}}' "$MODULE")"
    cp -r "$moddir" "$tmp/src" && chmod -R u+w "$tmp/src"
    mkdir -p "$(dirname "$tmp/src/$PLACEHOLDER_FILE")"
    printf '<!doctype html><title>%s</title><p>Web UI not included in this build (mlobs engines, scripts/build-engines.sh); the API is served as usual.</p>\n' "$tool" > "$tmp/src/$PLACEHOLDER_FILE"
    cp "$dir/go.mod" "$tmp/go.mod"; cp "$dir/go.sum" "$tmp/go.sum"
    (cd "$dir" && go mod edit -modfile="$tmp/go.mod" -replace="$MODULE=$tmp/src")
    modflags=(-modfile="$tmp/go.mod")
  fi
  if ! (cd "$dir" && go build -trimpath "${modflags[@]}" -ldflags "$LDFLAGS" -o "$tmp/" "${PKGS[@]}"); then
    echo "build-engines: $tool: building $pinned failed (above)" >&2
    exit 1
  fi
  mkdir -p "$DEST"
  for i in "${!PKGS[@]}"; do
    base="${PKGS[$i]##*/}"; [ "$base" = v3 ] && base=server   # etcd's main package is server/v3
    mv -f "$tmp/$base" "$DEST/${NAMES[$i]}"
  done
  rm -rf "$tmp"; trap - EXIT
  echo "$stamp" > "$OUT/stamps/$tool"
  secs=$(( $(date +%s) - start ))
  printf 'build-engines: %-20s built in %4ss (%s)\n' "$tool" "$secs" "$pinned"
  times+=("\"$tool\":{\"seconds\":$secs,\"built\":true}")
done
(IFS=,; echo "{${times[*]}}") > "$OUT/build-times.json"
