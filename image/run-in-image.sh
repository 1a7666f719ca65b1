#!/usr/bin/env bash
# Runs the image that `make image` built as a container, the way a kubelet runs the charts' pods, without a container
# engine: umoci turns the OCI archive into a root filesystem and a runtime configuration derived from the image's
# own (entrypoint, user, environment, working directory), and runc runs it.
#
#   image/run-in-image.sh [--archive FILE] [--mount HOST:CONTAINER]... [--env NAME=VALUE]... [--] [ARG...]
#
#   --archive  the image (default build/image/suanwang-<this machine's architecture>.oci.tar); an image of another
#              architecture (arm64 on amd64) runs under Debian's qemu-user-static, which must be installed
#   --mount    a read-only bind mount, as the charts mount their Secrets and ConfigMaps
#   --env      an environment variable besides the image's
#   ARG...     replace the image's CMD (--help), as a pod's `args:` do; the entrypoint stays
#
# As the charts' securityContext: the image's user (1000:1000), a read-only root file system, a 64 MiB tmpfs at /tmp
# (the charts' emptyDir), no capabilities, no new privileges. It shares the host's network, so the container reaches a
# lab on 127.0.0.1, with the host's /etc/hosts and /etc/resolv.conf (a kubelet mounts the pod's own). Stops the
# container on SIGTERM or SIGINT (forwarded to the entrypoint) and exits with its status.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SUANWANG_CACHE:-$HOME/.cache/suanwang}/image/bundle
host_arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
archive="$repo/build/image/suanwang-$host_arch.oci.tar"
mounts=()
envs=()
die() { echo "image/run-in-image.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --archive) archive=$2; shift 2 ;;
    --mount) [[ "$2" == *:/* ]] || die "--mount $2: want HOST:CONTAINER with an absolute container path"; mounts+=("$2"); shift 2 ;;
    --env) [[ "$2" == *=* ]] || die "--env $2: want NAME=VALUE"; envs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ -f "$archive" ] || die "no image at $archive: run 'make image' first"
for tool in skopeo umoci runc jq; do command -v "$tool" >/dev/null || die "$tool is not installed (image/tools.sh installs the image tools)"; done

# 1. The bundle, unpacked once per archive content and kept until an archive of the same architecture replaces it.
key=$(sha256sum "$archive" | cut -c1-16)
bundle="$cache/$key"
mkdir -p "$cache"
exec {lock}> "$cache/.lock"
flock "$lock"
if [ ! -f "$bundle/config.json" ]; then
  echo "image/run-in-image.sh: unpacking $archive ..." >&2
  tmp=$(mktemp -d "$cache/tmp.XXXXXX")
  skopeo copy --quiet "oci-archive:$archive" "oci:$tmp/layout:image"
  umoci --log error raw unpack --image "$tmp/layout:image" "$tmp/rootfs"
  umoci --log error raw runtime-config --image "$tmp/layout:image" --rootfs "$tmp/rootfs" "$tmp/config.json"
  # umoci joins ENTRYPOINT and CMD into the process arguments; the image's own config keeps them apart.
  skopeo inspect --config "oci:$tmp/layout:image" > "$tmp/image.json"
  rm -rf "$tmp/layout"
  for old in "$cache"/*/image.json; do
    [ -f "$old" ] && [ "$(dirname "$old")" != "$tmp" ] && [ "$(jq -r .architecture "$old")" = "$(jq -r .architecture "$tmp/image.json")" ] &&
      rm -rf "$(dirname "$old")"
  done
  mv "$tmp" "$bundle"
fi
flock -u "$lock"

# 2. Another architecture's image runs under qemu's user-mode emulator, bind-mounted into the container and put in
# front of the entrypoint (qemu does not search PATH, so the entrypoint's program is found here in the image's PATH).
image_arch=$(jq -r .architecture "$bundle/image.json")
emulator_json=null
if [ "$image_arch" != "$host_arch" ]; then
  declare -A QEMU_ARCH=([arm64]=aarch64 [amd64]=x86_64)
  qemu=$(command -v "qemu-${QEMU_ARCH[$image_arch]:-$image_arch}-static") ||
    die "the image is linux/$image_arch and this machine $host_arch: install Debian's qemu-user-static to run it emulated"
  mounts+=("$qemu:/.qemu-static")
  program=$(jq -r '.config.Entrypoint[0] // empty' "$bundle/image.json")
  if [[ "$program" != /* ]]; then
    for dir in $(jq -r '.process.env[] | select(startswith("PATH=")) | .[5:]' "$bundle/config.json" | tr ':' ' '); do
      if [ -x "$bundle/rootfs$dir/$program" ]; then program="$dir/$program"; break; fi
    done
  fi
  emulator_json=$(jq -n --arg p "$program" '["/.qemu-static", $p]')
fi

# 3. This run's configuration: the image's, with the pod-like changes described above.
run=$(mktemp -d "${TMPDIR:-/tmp}/suanwang-run.XXXXXX")
id="suanwang-$$-$RANDOM"
cleanup() { runc delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$run"; }
trap cleanup EXIT
mounts_json=$(for m in "${mounts[@]}" /etc/hosts:/etc/hosts /etc/resolv.conf:/etc/resolv.conf; do
  jq -n --arg s "${m%%:*}" --arg d "${m#*:}" '{destination: $d, type: "bind", source: $s, options: ["rbind", "ro", "nosuid", "nodev"]}'
done | jq -s .)
env_json=$(printf '%s\n' "${envs[@]}" | jq -R 'select(. != "")' | jq -s .)
args_json=null
[ $# -eq 0 ] || args_json=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s .)
jq --arg root "$bundle/rootfs" --argjson mounts "$mounts_json" --argjson env "$env_json" --argjson args "$args_json" --argjson emulator "$emulator_json" \
  --slurpfile image "$bundle/image.json" '
  .root = {path: $root, readonly: true}
  | .process.terminal = false
  | .process.capabilities = {}
  | .process.noNewPrivileges = true
  | .process.env += $env
  | (if $args != null then .process.args = ($image[0].config.Entrypoint // []) + $args else . end)
  | (if $emulator != null then .process.args = $emulator + .process.args[1:] else . end)
  | .linux.namespaces |= map(select(.type != "network"))
  | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=64m"]}] + $mounts
' "$bundle/config.json" > "$run/config.json"

# 4. Run it in the foreground; runc passes the signals it receives to the container's process.
runc run --bundle "$run" "$id" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT
status=0
while true; do
  wait "$child" && status=0 || status=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
