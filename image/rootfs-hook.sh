#!/usr/bin/env bash
# mmdebstrap extract hook of image/rootfs.sh: records the packages apt fetched, trims what they unpacked and writes
# the files a container needs from its image. $1 is the root filesystem being built, $2 the file that receives one
# `architecture package version` line per package (rootfs.sh compares it with the lock).
set -euo pipefail
root=$1
resolved=$2

for deb in "$root"/var/cache/apt/archives/*.deb; do
  dpkg-deb --show --showformat='${Architecture} ${Package} ${Version}\n' "$deb"
done | LC_ALL=C sort > "$resolved"

# Documentation, manuals and message catalogues are never read in a container. The copyright files stay: they are
# the licences the image redistributes the packages under.
find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
find "$root/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/lintian" "$root/usr/share/locale"

# The user the image runs as (USER 1000:1000). No home and no login shell: HOME is /nonexistent, as for Debian's
# system users, and nothing in the program writes outside /tmp.
cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
suanwang:x:1000:1000:suanwang:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
suanwang:x:1000:
nogroup:x:65534:
EOF
# glibc's own default without this file looks up DNS before /etc/hosts; Kubernetes writes /etc/hosts for the pod.
cat > "$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"

# /tmp is the one writable place (an emptyDir in both charts); sticky and world-writable when nothing is mounted.
mkdir -p "$root/tmp" "$root/root"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
