#!/usr/bin/env bash
# `make image`: builds the suanwang container image without a container engine or a registry, from pinned inputs
# only, and writes it as an OCI archive:
#
#   image/build.sh                            build/image/suanwang-amd64.oci.tar
#   IMAGE_ARCHES="amd64 arm64" image/build.sh  one archive per architecture, and build/image/suanwang.oci.tar with both
#
# Inputs: the Debian packages in image/debian-packages.lock (image/rootfs.sh), the Node.js binary that
# scripts/setup-node.sh pins (for another architecture, the npm `node-linux-<arch>` package of the same version), the
# production dependencies of package-lock.json, src/ compiled to JavaScript by tsconfig.build.json (with the
# TypeScript the lock pins; the image holds no .ts file, so no process in it loads Node's type stripper), and the
# checkout's files as the repository's .dockerignore selects them. image/Containerfile is the recipe; buildah runs it with chroot isolation and a throw-away storage folder, so
# nothing is left behind but the archives and the caches in ${SUANWANG_CACHE:-~/.cache/suanwang}/image.
#
# Reproducible: every file and the image's creation time carry SOURCE_DATE_EPOCH (default: the last commit's time),
# so the same commit builds to the same layer digests. Labels: org.opencontainers.image.{source,version,revision,...};
# the source is $IMAGE_SOURCE or the git remote `origin`.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/image # image/Containerfile names build/image/context, so this is not configurable
CACHE=${SUANWANG_CACHE:-$HOME/.cache/suanwang}/image
read -r -a ARCHES <<< "${IMAGE_ARCHES:-amd64}"
declare -A NPM_ARCH=([amd64]=x64 [arm64]=arm64)
declare -A STEP_MS=()

die() { echo "image/build.sh: $*" >&2; exit 1; }
say() { echo "image/build.sh: $*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# took NAME START adds the time since START to step NAME (the report shows where a build spends its time).
took() { STEP_MS[$1]=$(( ${STEP_MS[$1]:-0} + $(now_ms) - $2 )); }
started=$(now_ms)
for a in "${ARCHES[@]}"; do [ -n "${NPM_ARCH[$a]:-}" ] || die "IMAGE_ARCHES: unknown architecture '$a' (supported: ${!NPM_ARCH[*]})"; done

t=$(now_ms); image/tools.sh; took tools "$t"
node_dir=$(scripts/setup-node.sh) || die "Node.js could not be set up (scripts/setup-node.sh, above)"
export PATH="$node_dir:$PATH"
NODE_VERSION=$(node --version)
VERSION=$(node -p 'require("./package.json").version')
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# The image holds the working tree, not the commit: say so when they differ in anything it copies.
if [ "$REVISION" != unknown ] && [ -n "$(git status --porcelain -- package.json package-lock.json tsconfig.json tsconfig.build.json bin src proto crds)" ]; then
  REVISION="$REVISION-dirty"
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
SOURCE=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
[ "$SOURCE" != unknown ] || say "warning: no IMAGE_SOURCE and no git remote 'origin': the source label says 'unknown'"

# production_deps prints a folder holding node_modules/ as the Dockerfile's deps stage makes it (npm ci --omit=dev
# --ignore-scripts), cached by package.json and package-lock.json. It never touches the checkout's node_modules.
production_deps() {
  local key dir tmp
  key=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
  dir="$CACHE/deps/$key"
  if [ ! -d "$dir/node_modules" ]; then
    say "installing the production dependencies of package-lock.json ..."
    mkdir -p "$CACHE/deps"
    tmp=$(mktemp -d "$CACHE/deps/tmp.XXXXXX")
    cp package.json package-lock.json "$tmp/"
    (cd "$tmp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >&2) ||
      { rm -rf "$tmp"; die "npm ci --omit=dev failed (above)"; }
    rm -rf "$dir" && mv "$tmp" "$dir"
    find "$CACHE/deps" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} + # an older lock's are not needed again
  fi
  echo "$dir"
}

# compile prints the folder holding src/ compiled to JavaScript, as the Dockerfile's build stage makes it: `tsc -p
# tsconfig.build.json` into build/dist (the same for every architecture), with the checkout's TypeScript, which must
# be the version package-lock.json pins so that the same commit compiles to the same files. bin/suanwang.mjs never
# runs build/dist in the checkout (it runs src/ wherever src/ is); only the image, which holds no src/, runs it.
compile() {
  local want have
  want=$(node -p 'require("./package-lock.json").packages["node_modules/typescript"]?.version ?? ""')
  have=$(node -p 'require("./node_modules/typescript/package.json").version' 2>/dev/null || echo none)
  [ -n "$want" ] && [ "$have" = "$want" ] || die "node_modules holds TypeScript $have, package-lock.json pins ${want:-none}: run npm ci"
  rm -rf build/dist
  node_modules/.bin/tsc -p tsconfig.build.json >&2 || die "tsc -p tsconfig.build.json failed (above)"
  [ -f build/dist/cli/main.js ] || die "tsc -p tsconfig.build.json wrote no build/dist/cli/main.js"
  echo build/dist
}

# node_package ARCH prints the folder of the npm package holding bin/node and LICENSE for that architecture: the
# pinned binary of scripts/setup-node.sh itself for the machine's own, else node-linux-<arch> of the same version.
node_package() {
  local arch=$1 npm_arch=${NPM_ARCH[$1]} dir tmp
  if [ "$arch" = "$(dpkg --print-architecture 2>/dev/null || echo amd64)" ]; then
    dir=$(dirname "$node_dir")
  else
    dir="$CACHE/node/$NODE_VERSION-linux-$npm_arch"
    if [ ! -x "$dir/bin/node" ]; then
      say "fetching node-linux-$npm_arch@${NODE_VERSION#v} with npm ..."
      mkdir -p "$CACHE/node"
      tmp=$(mktemp -d "$CACHE/node/tmp.XXXXXX")
      # npm checks the tarball against the registry's integrity hash.
      (cd "$tmp" && npm pack --silent "node-linux-$npm_arch@${NODE_VERSION#v}" >/dev/null && tar -xzf node-linux-*.tgz package/bin/node package/LICENSE) ||
        { rm -rf "$tmp"; die "npm pack node-linux-$npm_arch@${NODE_VERSION#v} failed (above)"; }
      find "$CACHE/node" -mindepth 1 -maxdepth 1 -name "*-linux-$npm_arch" -exec rm -rf {} + # another version's
      mv "$tmp/package" "$dir" && rm -rf "$tmp"
    fi
  fi
  [ -x "$dir/bin/node" ] && [ -f "$dir/LICENSE" ] || die "no bin/node and LICENSE in $dir"
  echo "$dir"
}

# stage_context ARCH ROOTFS NODE_PACKAGE DEPS DIST fills build/image/context with the inputs image/Containerfile copies
# that the checkout does not hold. Hard links where the file system allows: the node binary alone is 120 MB.
stage_context() {
  local ctx="$OUT/context"
  rm -rf "$ctx" && mkdir -p "$ctx/node/bin" "$ctx/node/share/doc/node"
  cp -a --link "$2" "$ctx/rootfs" 2>/dev/null || cp -a "$2" "$ctx/rootfs"
  cp --link "$3/bin/node" "$ctx/node/bin/node" 2>/dev/null || cp -p "$3/bin/node" "$ctx/node/bin/node"
  cp "$3/LICENSE" "$ctx/node/share/doc/node/LICENSE"
  cp -a --link "$4/node_modules" "$ctx/node_modules" 2>/dev/null || cp -a "$4/node_modules" "$ctx/node_modules"
  cp -a --link "$5" "$ctx/dist" 2>/dev/null || cp -a "$5" "$ctx/dist"
}

mkdir -p "$OUT"
printf '*\n' > build/.gitignore # nothing under build/ is a source
# The repository's .dockerignore decides which checkout files go in, exactly as for the Dockerfile; the staged
# inputs are let back in after it (its `**/*.test.ts` must not reach into node_modules).
{ cat .dockerignore; echo '!build/image/context/**'; } > "$OUT/containerignore"
storage=$(mktemp -d "${TMPDIR:-/tmp}/suanwang-image-storage.XXXXXX")
# overlay stores each layer once; vfs, which works everywhere (in a container without overlay mounts, say), copies
# the whole file system for every layer and takes three times as long here. Use overlay when it mounts.
driver=${IMAGE_STORAGE_DRIVER:-overlay}
buildah_() { buildah --root "$storage/root" --runroot "$storage/run" --storage-driver "$driver" "$@"; }
# The overlay driver bind-mounts its own folder and leaves it mounted: unmount everything under the storage first.
cleanup() {
  buildah_ rm --all >/dev/null 2>&1 || true
  findmnt -rn -o TARGET | grep "^$storage/" | sort -r | xargs -r -n1 umount 2>/dev/null || true
  rm -rf "$storage" "$OUT/context"
}
trap cleanup EXIT
if [ "$driver" = overlay ]; then
  probe=$(buildah_ from scratch 2>/dev/null) || true
  if [ -z "$probe" ] || ! buildah_ mount "$probe" >/dev/null 2>&1; then
    say "overlay storage does not work here; using vfs (slower)"
    cleanup && mkdir -p "$storage" && driver=vfs
  fi
  [ -z "$probe" ] || buildah_ rm "$probe" >/dev/null 2>&1 || true
fi

t=$(now_ms); deps_dir=$(production_deps); took deps "$t"
t=$(now_ms); dist_dir=$(compile); took compile "$t"
archives=()
for arch in "${ARCHES[@]}"; do
  t=$(now_ms); rootfs=$(image/rootfs.sh "$arch"); took rootfs "$t"
  t=$(now_ms); node_pkg=$(node_package "$arch"); took node "$t"
  t=$(now_ms); stage_context "$arch" "$rootfs" "$node_pkg" "$deps_dir" "$dist_dir"; took stage "$t"
  variant=(); [ "$arch" = arm64 ] && variant=(--variant v8)
  say "building suanwang:$VERSION for linux/$arch ..."
  # --layers: one layer per COPY (the storage is thrown away afterwards, so nothing is reused between builds);
  # --timestamp: every file and the creation time are SOURCE_DATE_EPOCH; no buildah version label.
  t=$(now_ms)
  buildah_ build --quiet --layers --isolation chroot --os linux --arch "$arch" "${variant[@]}" \
    --timestamp "$SOURCE_DATE_EPOCH" --identity-label=false \
    --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" --build-arg SOURCE="$SOURCE" --build-arg CREATED="$CREATED" \
    --file image/Containerfile --ignorefile "$OUT/containerignore" --tag "localhost/suanwang:$VERSION-$arch" . >/dev/null
  took build "$t"
  archive="$OUT/suanwang-$arch.oci.tar"
  rm -f "$archive"
  t=$(now_ms); buildah_ push --quiet "localhost/suanwang:$VERSION-$arch" "oci-archive:$archive:$VERSION"; took write "$t"
  archives+=("$archive")
done
if [ ${#ARCHES[@]} -gt 1 ]; then
  # One archive with an image index, for `skopeo copy --all` to push every architecture under one tag.
  buildah_ manifest create localhost/suanwang:"$VERSION" >/dev/null
  for arch in "${ARCHES[@]}"; do buildah_ manifest add localhost/suanwang:"$VERSION" "localhost/suanwang:$VERSION-$arch" >/dev/null; done
  rm -f "$OUT/suanwang.oci.tar"
  t=$(now_ms)
  buildah_ manifest push --quiet --all --format oci localhost/suanwang:"$VERSION" "oci-archive:$OUT/suanwang.oci.tar:$VERSION"
  took write "$t"
  archives+=("$OUT/suanwang.oci.tar")
fi

elapsed_ms=$(( $(now_ms) - started ))
steps=$(for s in tools deps compile rootfs node stage build write; do printf '%s=%s ' "$s" "${STEP_MS[$s]:-0}"; done)
node image/report.mjs --elapsed-ms "$elapsed_ms" --steps "$steps" --node "$NODE_VERSION" "${archives[@]}" | tee "$OUT/report.txt"
