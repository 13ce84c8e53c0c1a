#!/usr/bin/env bash
# README's demo command: does the set-up it needs, builds zxvmo.ko and the
# zxvmo-edu driver, and runs them inside the test VM: the driver maps the
# edu device's registers through zxvmo and drives it, then is pointed at
# System RAM and refused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
# (Only the kernel this runs on: the first.)
KERNELS=${ZXVMO_KERNELS%% *} "$here/setup.sh"
say "building zxvmo.ko and zxvmo-edu"
make -s modules
(cd userspace && cargo build -q --release -p zxvmo-edu)
"$here/vm-run.sh" --out "$repo/out/demo" -- tests/vm/demo.sh "$repo/zxvmo.ko" \
	"$repo/userspace/target/release/zxvmo-edu"
