#!/usr/bin/env bash
# The edit-test loop: zxvmo.ko and the VM suite on one kernel.
#   scripts/check.sh                  (make check [KERNELS=7.3])
# Builds the module against the first kernel in KERNELS (default 6.12) and
# the in-VM tests (incrementally), boots the debug kernel once and runs
# tests/vm/suite.sh: every Rust VM test group, with the cascading object
# chains 1,000 deep instead of make test's 2,500 (the other teardown
# orders 100 instead of 250), in a 1 GiB guest as make test's (each
# kmemleak scan reads the KASAN shadow of all the guest's RAM: 6.8 s, not
# 9.5 as at 2 GiB). The kernel log of the run is
# scanned for reports as in make test. No host checks, installed-module
# run, hostile run, lockdown tests or harness self-test: `make test` runs
# those. Prints its time against the 120 s target.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
start=$(date +%s)
series=${KERNELS:-$ZXVMO_DEFAULT_KERNELS}
series=${series%% *}
zxvmo_series_known "$series" || die "KERNELS: unknown kernel series '$series' (known: $ZXVMO_KERNELS)"
kdir=$(zxvmo_kdir "$series") || die "no $series test kernel: run scripts/setup.sh (or make test)"
. "$here/lib-build.sh"
build_modules "$kdir"
built=$(date +%s)
suite_bins=$(awk '$1 != "lockdown" { print $2 }' <<<"$TEST_BINS")
# shellcheck disable=SC2086 # one path per word
printf '%s\n' $suite_bins >"$repo/out/check-bins.txt"
set +e
KDIR="$kdir" "$here/vm-run.sh" --memory 1G --out "$repo/out/check-$series" -- \
	env ZXVMO_CHAIN_DEPTH=1000 tests/vm/suite.sh "$repo/zxvmo.ko" "@$repo/out/check-bins.txt"
rc=$?
set -e
end=$(date +%s)
verdict=PASS
[ "$rc" -eq 0 ] || verdict=FAIL
echo "zxvmo check: $verdict ($series; $((end - start))s: build $((built - start))s, VM $((end - built))s; target 120s)"
[ "$rc" -eq 0 ]
