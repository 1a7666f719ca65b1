#!/usr/bin/env bash
# Compares the device fixtures kept in the repository (test/fixtures/devices, see its NOTICE.md) with the shared
# research folder they were copied from, when that folder sits beside the checkout. Not part of `make test`, which
# needs nothing outside the repository; run it after the research fixtures change.
#
# Usage: scripts/check-device-fixtures.sh [SHARED_DIR]   (default: ../shared/fixtures/devices)
set -euo pipefail
cd "$(dirname "$0")/.."
ours=test/fixtures/devices
theirs=${1:-../shared/fixtures/devices}
if [ ! -d "$theirs" ]; then echo "check-device-fixtures: $theirs not found; nothing to compare" >&2; exit 2; fi
# Files of the shared folder that hold no device output, and so are not copied.
not_copied="README.md siteagent_v1.proto"
status=0
for f in "$theirs"/*; do
  name=$(basename "$f")
  case " $not_copied " in *" $name "*) continue ;; esac
  if [ ! -e "$ours/$name" ]; then echo "missing here: $name (copy it and give it a parser test)"; status=1
  elif ! cmp -s "$f" "$ours/$name"; then echo "differs: $name"; status=1; fi
done
for f in "$ours"/*; do
  name=$(basename "$f")
  [ "$name" = NOTICE.md ] && continue
  [ -e "$theirs/$name" ] || { echo "not in the shared folder: $name"; status=1; }
done
[ "$status" = 0 ] && echo "check-device-fixtures: every copy matches $theirs"
exit "$status"
