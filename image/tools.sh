#!/usr/bin/env bash
# Makes sure the Debian tools the image needs are installed, installing the missing ones with apt-get when this user
# can (root, or sudo without a password); otherwise it says which packages to install and exits 1.
#
#   mmdebstrap  the root filesystem (image/rootfs.sh)      buildah  the build, daemonless (image/build.sh)
#   skopeo      reads the archive back (size, layers)      umoci    unpacks the archive into an OCI bundle
#   runc        runs the bundle as a container (image/run-in-image.sh; crun 1.8 refuses this machine's hybrid cgroups)
set -euo pipefail

# Each tool's Debian package has the tool's name.
missing=()
for tool in mmdebstrap buildah skopeo umoci runc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "image/tools.sh: the image build needs ${missing[*]}, and this machine has no apt-get to install them; install them with your system's package manager (Debian/Ubuntu package names: ${missing[*]})" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "image/tools.sh: the image build needs the Debian packages ${missing[*]}, and this user can neither install them (not root, no password-less sudo). Install them once with:" >&2
  echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "image/tools.sh: installing ${missing[*]} from the Debian mirror ..." >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once, and only when the install cannot find a package.
if ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
  "${as_root[@]}" apt-get update -q >&2
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
    echo "image/tools.sh: apt-get could not install ${missing[*]} (above)" >&2
    exit 1
  }
fi
