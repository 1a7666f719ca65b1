#!/usr/bin/env bash
# Builds the peer scheduler Kueue and its scheduler benchmark from the pinned Go wrapper module tools/kueue into the
# lab's binary cache, beside kube-apiserver and etcd (the benchmark's envtest starts those from the same directory):
#   ${SUANWANG_CACHE:-~/.cache/suanwang}/bin/v<kubernetes-version>/{kueue,minimalkueue,performance-scheduler-runner}
# A binary already there that was built from sigs.k8s.io/kueue v$KUEUE_VERSION is reused. Prints the directory on
# the last line of stdout. Nothing in `make test` needs these; they serve bench/peer-kueue.
#
#   tools/build-kueue.sh            build what is missing (a cold build takes about 6 min on 2 cores)
#   tools/build-kueue.sh --force    rebuild all three
#   tools/build-kueue.sh --print-dir
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
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "build-kueue: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-modcacherw
command -v go >/dev/null || { echo "build-kueue: 'go' not found on PATH; Go >= 1.26 is needed to build Kueue" >&2; exit 1; }
pinned=$(cd "$here/kueue" && go list -m -f '{{.Version}}' sigs.k8s.io/kueue) ||
  { echo "build-kueue: cannot read the sigs.k8s.io/kueue version of tools/kueue/go.mod" >&2; exit 1; }
if [ "$pinned" != "v$KUEUE_VERSION" ]; then
  echo "build-kueue: tools/kueue/go.mod pins sigs.k8s.io/kueue $pinned but tools/versions.env says KUEUE_VERSION=$KUEUE_VERSION; change both together" >&2
  exit 1
fi
mkdir -p "$out"
start_all=$SECONDS
log() { printf '[build-kueue %4ds] %s\n' "$((SECONDS - start_all))" "$*" >&2; }

# want <name>: 0 when the binary must be built. Kueue's binaries have no --version flag, so the module version is read
# from the build information Go embeds in every binary (kept by -s -w): sigs.k8s.io/kueue is the binary's "mod".
want() {
  local bin="$out/$1"
  if [ "$force" = 0 ] && [ -x "$bin" ]; then
    if go version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+sigs\.k8s\.io/kueue[[:space:]]+v$KUEUE_VERSION([[:space:]]|$)"; then
      log "$1: cached ($bin)"; return 1
    fi
    log "$1: cached $bin is not built from sigs.k8s.io/kueue v$KUEUE_VERSION; rebuilding"
  fi
  return 0
}

# build <label> <go build args...>: runs go build in tools/kueue with a heartbeat so the long build shows progress.
build() {
  local label=$1; shift
  local t0=$SECONDS
  log "building $label ..."
  ( cd "$here/kueue" && go build -trimpath -buildvcs=false "$@" ) &
  local pid=$! rc=0 ticks=0
  # Poll every second (the build's end is noticed at once) and log a heartbeat every 30 s.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ((++ticks % 30)) || log "  still building $label ($((SECONDS - t0))s)"
  done
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || { log "FAILED: $label (exit $rc); command: cd tools/kueue && go build $*"; exit 1; }
  log "built $label in $((SECONDS - t0))s"
}

ld="-s -w -X sigs.k8s.io/kueue/pkg/version.GitVersion=v$KUEUE_VERSION -X sigs.k8s.io/kueue/pkg/version.BuildDate=1970-01-01"
# One go build for kueue and minimalkueue shares the compile of Kueue's packages. The benchmark names its stats file
# after the minimalkueue executable (minimalkueue.stats.yaml, as upstream's checker expects), so keep that name.
pkgs=()
want kueue && pkgs+=(sigs.k8s.io/kueue/cmd/kueue)
want minimalkueue && pkgs+=(sigs.k8s.io/kueue/test/performance/scheduler/minimalkueue)
if ((${#pkgs[@]})); then
  log "a cold build of Kueue takes about 6 min on 2 cores"
  build "${pkgs[*]##*/} (kueue $KUEUE_VERSION)" -ldflags "$ld" -o "$out/" "${pkgs[@]}"
fi
if want performance-scheduler-runner; then
  build "performance-scheduler-runner (kueue $KUEUE_VERSION)" -ldflags "$ld" -o "$out/performance-scheduler-runner" \
    sigs.k8s.io/kueue/test/performance/scheduler/runner
fi
log "kueue binaries ready in $out (total $((SECONDS - start_all))s)"
echo "$out"
