#!/usr/bin/env bash
# A local Kubernetes cluster from the engines built by scripts/build-engines.sh: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok, wired by kwokctl's binary
# runtime on free loopback-reachable ports; no container runtime, no image, no download.
#   - three fake nodes (kwok): mlobs-node-0, mlobs-node-1 and the GPU node mlobs-gpu-0
#     (label nvidia.com/gpu.present=true, capacity nvidia.com/gpu: 8);
#   - pods are scheduled, get Running/Ready and an IP; Job pods complete (Helm hooks finish);
#     PersistentVolumeClaims of the default StorageClass `kwok-volume` are bound;
#   - the API server runs every default admission plugin (PodSecurity included) except the two
#     webhook plugins: the operators' webhooks point at pods that serve nothing.
# Stages come from kwok's own module (node-initialize, node-heartbeat-with-lease, pod-ready,
# pod-complete, pod-delete, and the volume stages), read from the Go module cache.
#
# Usage: local-cluster.sh up <dir>     start; prints the kubeconfig path (<dir>/kubeconfig)
#        local-cluster.sh down <dir>   stop every process and remove <dir>
# `up` cleans up after itself when it fails or is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${MLOBS_ENGINES_DIR:-$ROOT/.tools/engines}/bin"
NAME=mlobs
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 up|down <dir>" >&2; exit 2; }
dir="$(mkdir -p "$dir" && cd "$dir" && pwd)"
export KWOK_WORKDIR="$dir/kwok"

down() {
  "$BIN/kwokctl" delete cluster --name "$NAME" >/dev/null 2>&1 || true
  # Whatever kwokctl did not stop (it records one pid file per component).
  local p
  for p in "$KWOK_WORKDIR"/clusters/"$NAME"/pids/*.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
  pkill -f "$KWOK_WORKDIR/clusters/$NAME/bin/" 2>/dev/null || true
  rm -rf "$dir"
}

case "$cmd" in
  down) down; exit 0 ;;
  up) ;;
  *) echo "usage: $0 up|down <dir>" >&2; exit 2 ;;
esac

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl; do
  [ -x "$BIN/$b" ] || { echo "local-cluster: $BIN/$b missing; run scripts/build-engines.sh" >&2; exit 1; }
done
trap 'status=$?; if [ $status -ne 0 ]; then echo "local-cluster: up failed ($status); cleaning up" >&2; down; fi' EXIT
trap 'exit 130' INT TERM

# kwok's stages, as kwok v0.8.0 ships them (a --config with stages replaces kwokctl's defaults,
# so the default node and pod stages are listed too).
stages="$(cd "$ROOT/engines/kwok" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
{
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
           pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete \
           volume/fast/pvc-provision volume/fast/pv-bind volume/fast/pv-delete volume/fast/pvc-delete; do
    echo '---'; cat "$stages/$f.yaml"
  done
} > "$dir/stages.yaml"

# Free ports, chosen by the kernel (kwokctl's own choice only avoids its other clusters in the
# same KWOK_WORKDIR, so two clusters side by side would collide).
free_ports() {
  node -e 'const net=require("net");const n=+process.argv[1];const ss=[];let left=n;
    for(let i=0;i<n;i++){const s=net.createServer();ss.push(s);s.listen(0,"127.0.0.1",()=>{if(--left===0){console.log(ss.map(x=>x.address().port).join(" "));ss.forEach(x=>x.close());}});}' "$1"
}
create() {
  local ports; read -r -a ports <<<"$(free_ports 6)"
  # kubectlBinary: kwokctl waits for the cluster with kubectl; without it, it would take one from
  # PATH or try to download one.
  cat > "$dir/kwokctl.yaml" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  kubectlBinary: $BIN/kubectl
  etcdPort: ${ports[0]}
  etcdPeerPort: ${ports[1]}
  kubeApiserverPort: ${ports[2]}
  kubeControllerManagerPort: ${ports[3]}
  kubeSchedulerPort: ${ports[4]}
  kwokControllerPort: ${ports[5]}
YAML
  cat "$dir/kwokctl.yaml" "$dir/stages.yaml" > "$dir/config.yaml"
  "$BIN/kwokctl" create cluster --name "$NAME" --runtime binary --quiet-pull \
    --kubeconfig "$dir/kubeconfig" --config "$dir/config.yaml" \
    --etcd-binary "$BIN/etcd" --kube-apiserver-binary "$BIN/kube-apiserver" \
    --kube-controller-manager-binary "$BIN/kube-controller-manager" \
    --kube-scheduler-binary "$BIN/kube-scheduler" --kwok-controller-binary "$BIN/kwok" \
    --extra-args kube-apiserver=disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
    --disable-qps-limits --wait 120s >"$dir/kwokctl.log" 2>&1
}
# A port taken between choosing and binding fails the start: try again on new ports.
for attempt in 1 2 3; do
  if create; then break; fi
  echo "local-cluster: start attempt $attempt failed:" >&2; tail -5 "$dir/kwokctl.log" >&2
  "$BIN/kwokctl" delete cluster --name "$NAME" >/dev/null 2>&1 || true
  [ "$attempt" = 3 ] && exit 1
done

k() { "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
# The default StorageClass whose claims kwok's volume stages bind.
k apply -f "$stages/volume/fast/storage-class.yaml" >/dev/null
node() { # name, extra labels (yaml), extra capacity (yaml)
  cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: $1
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok$2
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi$3}
  capacity: {cpu: "32", memory: 128Gi, pods: "110", ephemeral-storage: 500Gi$3}
---
YAML
}
{ node mlobs-node-0 "" ""; node mlobs-node-1 "" ""; node mlobs-gpu-0 $'\n    nvidia.com/gpu.present: "true"' ', nvidia.com/gpu: "8"'; } | k apply -f - >/dev/null
k wait --for=condition=Ready node --all --timeout=60s >/dev/null
# The controller-manager is working once it has made the default namespace's ServiceAccount
# (pods are refused by the ServiceAccount admission plugin until a namespace has one).
k wait --for=create serviceaccount/default -n default --timeout=60s >/dev/null
trap - EXIT
echo "$dir/kubeconfig"
