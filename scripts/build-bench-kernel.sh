#!/usr/bin/env bash
# Builds the benchmark kernel, or reuses the cached one: the plain tree of
# scripts/build-config-trees.sh (the test kernel's source and config
# without the debug options) built whole, so the VM can boot it. Never on
# `make test`'s path: only `make bench` needs it (about 20 minutes on 2
# cores the first time). Prints the tree's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

plain=$("$here/build-config-trees.sh" plain | awk '$1 == "plain" { print $2 }')
[ -n "$plain" ] || die "no plain module-build tree"
key=${plain##*-}
dir="$ZXVMO_CACHE/benchkernel-$key"
if [ ! -e "$dir/.zxvmo-built" ]; then
	say "building the benchmark kernel (key $key) in $dir, from $plain"
	for old in "$ZXVMO_CACHE"/benchkernel-*; do
		[ "$old" = "$dir" ] || rm -rf "$old"
	done
	[ -d "$dir" ] || cp -a "$plain" "$dir"
	jobs=$(($(nproc) + 1))
	zxvmo_toolchain 6.12
	make -C "$dir" LLVM=1 RUSTC="$KERNEL_RUSTC" HOSTRUSTC="$KERNEL_RUSTC" -j"$jobs" \
		>"$dir/build.log" 2>&1 || die "benchmark kernel build failed; see $dir/build.log"
	[ -f "$dir/arch/x86/boot/bzImage" ] || die "no bzImage in $dir"
	touch "$dir/.zxvmo-built"
fi
echo "$dir"
