#!/usr/bin/env bash
# Benchmarks (make bench): zxvmo against its baselines (/dev/mem, memfd),
# both measured in one VM run under QEMU's -icount shift=0,sleep=off, so
# each figure is a repeatable count of guest instructions (kernel paths);
# memory and MMIO latency do not show. Prints one line per benchmark with
# the ratio zxvmo / baseline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
"$here/setup.sh"
. "$here/lib-build.sh"
(cd tests/vmtests && cargo build -q --release --bin zxvmo-bench)
"$here/vm-run.sh" --icount --out "$repo/out/bench" -- \
	bash -c "insmod '$repo/zxvmo.ko' && '$CARGO_TARGET_DIR/release/zxvmo-bench' ${1:+--iterations $1} && rmmod zxvmo"
