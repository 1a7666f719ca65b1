#!/usr/bin/env bash
# Builds the lab's real components (and promtool, for the charts' alerting rules) from the pinned Go wrapper modules in
# tools/ into a cache outside the repo:
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

# want <name> <expected substring of --version output> [<check command>]: 0 when the binary must be built. A cached
# binary is reused when its version matches and the optional check command (given the binary's path) succeeds.
want() {
  local name=$1 expect=$2 check=${3:-} dir
  for dir in "${SUANWANG_BIN_DIR:-}" "${KUBEBUILDER_ASSETS:-}"; do
    if [ -n "$dir" ] && [ -x "$dir/$name" ]; then log "$name: using $dir/$name"; return 1; fi
  done
  # helm prints its version with a subcommand; the others take --version.
  local vflag=--version; [ "$name" = helm ] && vflag=version
  if [ "$force" = 0 ] && [ -x "$out/$name" ] && "$out/$name" $vflag 2>/dev/null | grep -q -- "$expect"; then
    if [ -z "$check" ] || "$check" "$out/$name"; then log "$name: cached ($out/$name)"; return 1; fi
    log "$name: cached $out/$name is out of date; rebuilding"
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
# helm's own Makefile sets more than the version: without -X for the default Kubernetes version, `helm template` and
# `helm lint` (no cluster, no --kube-version) assume Kubernetes v1.20 and refuse a chart whose kubeVersion needs more.
# Like the Makefile, take that version from the k8s.io/client-go helm is built with (v0.X.Y → 1.X), not from
# KUBERNETES_VERSION: it is the default of the released helm binary, so lint here judges a chart as users' helm does
# (the lab's own version only matters where the tests pass --kube-version). tools/helm pins client-go through helm's
# go.mod. The Makefile's gitCommit is left out: the module zip carries no commit.
helm_kube() {
  local v
  v=$(cd "$here/helm" && go list -m -f '{{.Version}}' k8s.io/client-go) || return 1
  v=${v#v}
  echo "$((${v%%.*} + 1)).$(echo "$v" | cut -d. -f2)"
}
helm_kube=$(helm_kube) || { echo "build-binaries: cannot read the k8s.io/client-go version of tools/helm" >&2; exit 1; }
helm_ld="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION"
helm_ld+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  helm_ld+=" -X $p.k8sVersionMajor=${helm_kube%%.*} -X $p.k8sVersionMinor=${helm_kube#*.}"
done
# helm_default_kube <helm>: 0 when that helm renders a chart with the default Kubernetes version set above (a helm
# cached before these flags renders v1.20.0 and gets rebuilt).
helm_default_kube() {
  local chart rendered
  chart=$(mktemp -d) || return 1
  mkdir "$chart/templates"
  printf 'apiVersion: v2\nname: probe\nversion: 0.1.0\n' > "$chart/Chart.yaml"
  cat > "$chart/templates/probe.yaml" <<'PROBE'
apiVersion: v1
kind: ConfigMap
metadata:
  name: probe
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
PROBE
  rendered=$(HELM_CACHE_HOME="$chart/.h" HELM_CONFIG_HOME="$chart/.h" HELM_DATA_HOME="$chart/.h" \
    "$1" template probe "$chart" 2>/dev/null | sed -n 's/^  kube: "\(.*\)"$/\1/p')
  rm -rf "$chart"
  [ "$rendered" = "v$helm_kube.0" ]
}
if want helm "v$HELM_VERSION" helm_default_kube; then
  build helm "helm $HELM_VERSION (default Kubernetes $helm_kube)" -ldflags "$helm_ld" -o "$out/helm" \
    helm.sh/helm/v3/cmd/helm
fi
# promtool checks and unit-tests the charts' alerting rules (test/lab/promtool-rules.test.ts). Prometheus publishes its
# Go module as v0.<major><minor, two digits>.<patch> of the release; tools/promtool/go.mod must pin the one that
# PROMETHEUS_VERSION names. The version variables are the ones Prometheus's own build sets (promtool --version).
if want promtool "version $PROMETHEUS_VERSION "; then
  IFS=. read -r prom_major prom_minor prom_patch <<< "$PROMETHEUS_VERSION"
  prom_module=$(printf 'v0.%d%02d.%d' "$prom_major" "$prom_minor" "$prom_patch")
  prom_pinned=$(cd "$here/promtool" && go list -m -f '{{.Version}}' github.com/prometheus/prometheus) ||
    { echo "build-binaries: cannot read the github.com/prometheus/prometheus version of tools/promtool/go.mod" >&2; exit 1; }
  if [ "$prom_pinned" != "$prom_module" ]; then
    echo "build-binaries: tools/promtool/go.mod pins github.com/prometheus/prometheus $prom_pinned, but PROMETHEUS_VERSION=$PROMETHEUS_VERSION in tools/versions.env is module $prom_module; change both together" >&2
    exit 1
  fi
  prom_ld="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION"
  prom_ld+=" -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.BuildDate=19700101-00:00:00"
  build promtool "promtool $PROMETHEUS_VERSION" -ldflags "$prom_ld" -o "$out/promtool" github.com/prometheus/prometheus/cmd/promtool
fi
# gitops-health runs kstatus (Flux's health library) and the Argo CD Lua health checks in docs/argocd on objects
# (test/lab/gitops-health.test.ts). Its --version names the SHA-256 of tools/gitops-health/main.go and the module
# versions it was built with, so a binary from another main.go or other pins is rebuilt.
gh_hash=$(sha256sum "$here/gitops-health/main.go" | cut -c1-16)
if want gitops-health "source $gh_hash (sigs.k8s.io/cli-utils v$CLI_UTILS_VERSION, github.com/yuin/gopher-lua v$GOPHER_LUA_VERSION)"; then
  for pin in "sigs.k8s.io/cli-utils v$CLI_UTILS_VERSION" "github.com/yuin/gopher-lua v$GOPHER_LUA_VERSION"; do
    got=$(cd "$here/gitops-health" && go list -m -f '{{.Path}} {{.Version}}' "${pin% *}") ||
      { echo "build-binaries: cannot read the ${pin% *} version of tools/gitops-health/go.mod" >&2; exit 1; }
    if [ "$got" != "$pin" ]; then
      echo "build-binaries: tools/gitops-health/go.mod pins $got, but tools/versions.env says $pin; change both together" >&2
      exit 1
    fi
  done
  build gitops-health "gitops-health (kstatus $CLI_UTILS_VERSION, gopher-lua $GOPHER_LUA_VERSION)" \
    -ldflags "-s -w -X main.sourceHash=$gh_hash" -o "$out/gitops-health" .
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
