#!/usr/bin/env bash
# Builds the image's root filesystem for one architecture into a folder and prints the folder:
#
#   image/rootfs.sh ARCH            build (or find cached) the rootfs of the versions in image/debian-packages.lock
#   image/rootfs.sh --update-lock   resolve the newest versions the Debian mirror serves and rewrite the lock
#
# What goes in is the least that Node.js and the vendor tools that the agent chart mounts from the host need: glibc,
# libgcc and libstdc++ (the node binary and nvidia-smi, npu-smi, cnmon all link them dynamically) and libc-bin, whose
# ldconfig and /etc/ld.so.conf the NVIDIA container runtime uses to register the driver libraries it injects. No
# shell, no dpkg, no apt: mmdebstrap's `extract` variant unpacks the packages without running a maintainer script,
# which is also why an arm64 rootfs builds on an amd64 machine without emulation.
#
# Reproducible: the packages are pinned to exact versions (file times do not matter: build.sh's
# `buildah build --timestamp` gives every file the commit's time). The Debian mirror serves only the current version
# of each package, so after a Debian point release a pinned version disappears; the build then stops and names the
# package, and --update-lock takes the new versions in a reviewable diff of the lock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock="$here/debian-packages.lock"
cache=${SUANWANG_CACHE:-$HOME/.cache/suanwang}/image/rootfs
RELEASE=bookworm
# Only these are asked for; the lock holds them and their dependencies (gcc-12-base).
PACKAGES=(libc6 libgcc-s1 libstdc++6 libc-bin)
ARCHES=(amd64 arm64)

die() { echo "image/rootfs.sh: $*" >&2; exit 1; }

# locked ARCH prints the lock's `package=version` pairs of one architecture.
locked() { awk -v a="$1" '$1 == a { print $2 "=" $3 }' "$lock"; }

# extract ARCH DIR RESOLVED PKG... runs mmdebstrap into DIR and writes the packages it fetched to RESOLVED.
extract() {
  local arch=$1 dir=$2 resolved=$3; shift 3
  local include; include=$(IFS=,; echo "$*")
  # The hook (rootfs-hook.sh) runs before mmdebstrap cleans its apt cache, so it can read what apt fetched.
  mmdebstrap --quiet --variant=extract --architectures="$arch" --include="$include" \
    --skip=output/dev,output/mknod --extract-hook="'$here/rootfs-hook.sh' \"\$1\" '$resolved'" \
    "$RELEASE" "$dir" >&2 || return 1
  # What mmdebstrap itself left for apt and for a booting system (the runtime provides /etc/hosts, hostname and
  # resolv.conf, and mounts /dev, /proc and /sys).
  rm -rf "$dir"/etc/apt "$dir"/var/lib/apt "$dir"/var/cache/apt "$dir"/var/lib/dpkg "$dir"/var/log/apt \
    "$dir"/etc/dpkg "$dir"/etc/fstab "$dir"/etc/hostname "$dir"/etc/resolv.conf "$dir"/dev "$dir"/proc "$dir"/sys
  find "$dir"/var -depth -type d -empty -delete
}

update_lock() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  {
    echo "# Exact Debian $RELEASE packages of the image's root filesystem: architecture, package, version."
    echo "# Written by image/rootfs.sh --update-lock (which resolves ${PACKAGES[*]}); edit only through it."
    for arch in "${ARCHES[@]}"; do
      extract "$arch" "$tmp/$arch" "$tmp/$arch.resolved" "${PACKAGES[@]}"
      cat "$tmp/$arch.resolved"
    done
  } > "$lock.new"
  mv "$lock.new" "$lock"
  echo "image/rootfs.sh: wrote $lock" >&2
}

build() {
  local arch=$1
  local pins; pins=$(locked "$arch")
  [ -n "$pins" ] || die "$lock has no packages for architecture '$arch' (have: $(awk '!/^#/ { print $1 }' "$lock" | sort -u | paste -sd' ')); run image/rootfs.sh --update-lock"
  # The cache key is everything that decides the content: the pins, this recipe and the files it writes.
  local key; key=$(cat <(echo "$arch") <(echo "$pins") "$0" "$here/rootfs-hook.sh" | sha256sum | cut -c1-16)
  local out="$cache/$arch-$key"
  if [ -d "$out" ]; then echo "$out"; return; fi
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "image/rootfs.sh: building the $arch root filesystem from $(echo "$pins" | wc -l) pinned Debian $RELEASE packages ..." >&2
  # shellcheck disable=SC2086 # one package=version a word
  if ! extract "$arch" "$tmp/rootfs" "$tmp/resolved" $pins; then
    die "mmdebstrap could not fetch the pinned packages for $arch (above). If the mirror no longer serves a version in $lock, run image/rootfs.sh --update-lock and review the diff."
  fi
  # apt may add a dependency the lock lacks (a new version of a pinned package that depends on something new).
  local want got
  want=$(awk -v a="$arch" '$1 == a' "$lock" | LC_ALL=C sort)
  got=$(cat "$tmp/resolved")
  [ "$want" = "$got" ] || die "the $arch packages apt fetched differ from $lock:
$(diff <(echo "$want") <(echo "$got") | grep '^[<>]')
run image/rootfs.sh --update-lock and review the diff"
  find "$cache" -mindepth 1 -maxdepth 1 -name "$arch-*" -exec rm -rf {} + # an older lock's
  mv "$tmp/rootfs" "$out"
  echo "$out"
}

case "${1:-}" in
  --update-lock) update_lock ;;
  amd64 | arm64) build "$1" ;;
  *) die "usage: image/rootfs.sh ARCH (one of ${ARCHES[*]}) | --update-lock" ;;
esac
