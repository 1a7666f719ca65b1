#!/usr/bin/env bash
# Builds the lab's real components from the pinned Go wrapper modules in tools/ into a cache outside the repo:
#   ${SUANWANG_CACHE:-~/.cache/suanwang}/bin/v<kubernetes-version>/
# A binary that is already there with the right --version is reused. Prints the directory on the last line of stdout.
#
#   tools/build-binaries.sh            build what is missing
#   tools/build-binaries.sh --force    rebuild everything
#   tools/build-binaries.sh --print-dir
#
# SUANWANG_BIN_DIR (or KUBEBUILDER_ASSETS, the envtest convention) may point at an existing set instead; binaries
# found there are used as they are and only missing ones are built into the cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${SUANWANG_CACHE:-$HOME/.cache/suanwang}
out="$cache/bin/v$KUBERNETES_VERSION"
force=0
case "${1:-}" in
  --force) force=1 ;;
  --print-dir) echo "$out"; exit 0 ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "build-binaries: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-modcacherw
command -v go >/dev/null || { echo "build-binaries: 'go' not found on PATH; Go >= 1.26 is needed to build the lab binaries" >&2; exit 1; }
mkdir -p "$out"
start_all=$SECONDS
log() { printf '[build-binaries %4ds] %s\n' "$((SECONDS - start_all))" "$*" >&2; }

# want <name> <expected substring of --version output>: 0 when the binary must be built.
want() {
  local name=$1 expect=$2 dir
  for dir in "${SUANWANG_BIN_DIR:-}" "${KUBEBUILDER_ASSETS:-}"; do
    if [ -n "$dir" ] && [ -x "$dir/$name" ]; then log "$name: using $dir/$name"; return 1; fi
  done
  # helm prints its version with a subcommand; the others take --version.
  local vflag=--version; [ "$name" = helm ] && vflag=version
  if [ "$force" = 0 ] && [ -x "$out/$name" ] && "$out/$name" $vflag 2>/dev/null | grep -q -- "$expect"; then
    log "$name: cached ($out/$name)"; return 1
  fi
  return 0
}

# build <module dir> <label> <go build args...>: runs go build with a heartbeat so long builds show progress.
build() {
  local dir=$1 label=$2; shift 2
  local t0=$SECONDS
  log "building $label (cold builds take minutes on 2 cores) ..."
  ( cd "$here/$dir" && go build -trimpath -buildvcs=false "$@" ) &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30
    kill -0 "$pid" 2>/dev/null && log "  still building $label ($((SECONDS - t0))s)"
  done
  wait "$pid" || { log "FAILED: $label (exit $?); command: cd tools/$dir && go build $*"; exit 1; }
  log "built $label in $((SECONDS - t0))s"
}

minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
k8s_ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ld+=" -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  k8s_ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done
k8s_pkgs=()
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  want "$b" "v$KUBERNETES_VERSION" && k8s_pkgs+=("k8s.io/kubernetes/cmd/$b")
done
if ((${#k8s_pkgs[@]})); then
  build k8s "${k8s_pkgs[*]##*/}" -ldflags "$k8s_ld" -o "$out/" "${k8s_pkgs[@]}"
fi
if want etcd "$ETCD_VERSION"; then
  build etcd "etcd $ETCD_VERSION" -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
fi
if want kwok "$KWOK_VERSION"; then
  build kwok "kwok $KWOK_VERSION" -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok
fi
if want helm "v$HELM_VERSION"; then
  build helm "helm $HELM_VERSION" -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" -o "$out/helm" helm.sh/helm/v3/cmd/helm
fi
# kwok's standalone controller needs Stage objects; copy the upstream "fast" stages out of the module cache.
stages="$out/kwok-stages.yaml"
if [ ! -s "$stages" ] || [ "$force" = 1 ]; then
  moddir=$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  tmp="$stages.tmp"; : > "$tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    printf -- '---\n' >> "$tmp"; cat "$moddir/kustomize/stage/$f" >> "$tmp"
  done
  mv "$tmp" "$stages"
fi
log "binaries ready in $out ($(du -sh "$out" | cut -f1), total $((SECONDS - start_all))s)"
echo "$out"
