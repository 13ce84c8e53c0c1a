#!/usr/bin/env bash
# Hostile input, faults and races, in one command:
#   scripts/hostile.sh [--short]     (make hostile / make hostile-short)
# Fuzzes the ioctls (1,000,000 calls; --short: 50,000), runs every zxvmo
# call with each of its allocations failing, races threads and processes
# (60 s; --short: 10 s) and checks what an unprivileged process can reach,
# all in the test VM on the debug kernel; then prints a table. Kernel
# reports and kmemleak leaks must both be 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
calls=1000000 seconds=60
case ${1:-} in
--short) calls=50000 seconds=10 ;;
"") ;;
*) die "usage: scripts/hostile.sh [--short]" ;;
esac
# (Only the kernel this runs on: the first.)
KERNELS=${ZXVMO_KERNELS%% *} "$here/setup.sh"
. "$here/lib-hostile.sh"
. "$here/lib-build.sh"
build_modules "$(zxvmo_kdir)"
out="$repo/out/hostile"
set +e
"$here/vm-run.sh" --out "$out" -- tests/vm/hostile.sh "$repo/zxvmo.ko" "$FUZZ" "$STRESS" \
	"$(test_bin faults)" "$(test_bin privilege)" "$calls" "$seconds"
rc=$?
set -e
hostile_table "$out" "$([ "$calls" = 50000 ] && echo short || echo full)" "$rc"
