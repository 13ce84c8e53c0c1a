#!/usr/bin/env bash
# Benchmarks (make bench): zxvmo against its anchors (/dev/mem, memfd),
# both measured in one VM run on the non-debug benchmark kernel
# (scripts/build-bench-kernel.sh) under QEMU's -icount shift=0,sleep=off,
# so each figure is a repeatable count of guest instructions (kernel
# paths); memory and MMIO latency do not show. Prints the table with each
# ratio zxvmo / anchor and its target, and writes it to
# out/bench/bench.csv and out/bench/bench.json.
#   scripts/bench.sh [iterations]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
# (Only the kernel this runs on: the first.)
KERNELS=${ZXVMO_KERNELS%% *} "$here/setup.sh"
bench_kdir=$("$here/build-bench-kernel.sh")
export CARGO_TARGET_DIR="$repo/userspace/target"
(cd tests/vmtests && cargo build -q --release --bin zxvmo-bench)
# zxvmo.ko for the benchmark kernel, built in a scratch copy so the debug
# build in the repo stays as it is.
build="$repo/out/bench-module"
rm -rf "$build"
zxvmo_copy_sources "$build"
make -s -C "$build" KDIR="$bench_kdir" modules || die "building zxvmo.ko for the benchmark kernel failed"
out="$repo/out/bench"
KDIR="$bench_kdir" "$here/vm-run.sh" --icount --out "$out" -- \
	bash -c "insmod '$build/zxvmo.ko' && '$CARGO_TARGET_DIR/release/zxvmo-bench' --out '$out' ${1:+--iterations $1} && rmmod zxvmo"
