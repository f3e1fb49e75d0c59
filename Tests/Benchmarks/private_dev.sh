#!/usr/bin/env bash
# private_dev.sh LAYER_DIR COMMAND...
#
# Runs COMMAND in a new mount namespace where /dev is overlaid with a
# writable layer in LAYER_DIR, so the benchmark's syslog socket at /dev/log
# is seen only by the benchmark's own processes (pam_host, the sshd servers).
# Test runs on the same machine bind and remove /dev/log too: without this,
# one of them can remove the socket in the middle of a measurement, or wait
# for the benchmark's socket to go away. The rest of /dev (and /dev/pts,
# /dev/shm) stays as it is. Where a namespace or an overlay cannot be made,
# COMMAND runs as it is and binds the real /dev/log (see syslog_socket.py).
set -euo pipefail
layer="$1"
shift

if [ "${BENCH_PRIVATE_DEV_STAGE:-}" != inside ]; then
  if BENCH_PRIVATE_DEV_STAGE=inside unshare --mount --propagation private -- "$0" "$layer" --probe 2>/dev/null; then
    exec env BENCH_PRIVATE_DEV_STAGE=inside unshare --mount --propagation private -- "$0" "$layer" "$@"
  fi
  echo "private_dev.sh: no private mount namespace here; using the real /dev/log" >&2
  exec "$@"
fi

rm -rf "$layer"
mkdir -p "$layer/upper" "$layer/work"
# An overlay hides the mounts below /dev: keep them aside, move them back.
submounts=()
for name in pts shm mqueue hugepages; do
  if mountpoint -q "/dev/$name"; then
    mkdir -p "$layer/keep/$name"
    mount --rbind "/dev/$name" "$layer/keep/$name"
    submounts+=("$name")
  fi
done
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$layer/upper,workdir=$layer/work" /dev
for name in "${submounts[@]}"; do
  mount --move "$layer/keep/$name" "/dev/$name"
done

[ "${1:-}" = --probe ] && exit 0
unset BENCH_PRIVATE_DEV_STAGE
exec "$@"
