#!/usr/bin/env bash
# Builds zxvmo.ko against every kernel configuration CI knows, each in a
# scratch copy of the module's sources, and fails on any compiler warning or
# error: the debug test kernels (every series in KERNELS), a plain
# (non-debug) build of the 6.12 config and Debian's own 6.12 config with
# Rust (scripts/build-config-trees.sh prepares the last two, cached). Against a tree prepared with
# `modules_prepare` there is no vmlinux, so modpost cannot resolve symbols:
# its "undefined" lines are the only ones allowed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"

trees=()
for series in ${KERNELS:-$ZXVMO_DEFAULT_KERNELS}; do
	kdir=$(zxvmo_kdir "$series") || die "no $series test kernel: run scripts/setup.sh"
	trees+=("debug-$series $kdir")
done
while read -r name dir; do trees+=("$name $dir"); done < <("$here/build-config-trees.sh")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for t in "${trees[@]}"; do
	name=${t%% *}
	kdir=${t#* }
	src="$scratch/$name"
	zxvmo_copy_sources "$src"
	log="$scratch/$name.log"
	if ! make -C "$src" KDIR="$kdir" KBUILD_MODPOST_WARN=1 modules >"$log" 2>&1; then
		say "FAIL: zxvmo.ko does not build against the $name kernel ($kdir):"
		grep -E -A8 '^(error|warning)' "$log" | head -n 40 >&2 || tail -n 20 "$log" >&2
		failed=1
		continue
	fi
	noise=$(grep -Ei 'warning|error' "$log" |
		grep -Ev '^WARNING: modpost: ("[^"]+" \[.*\] undefined!|suppressed [0-9]+ unresolved symbol warnings|Symbol info of vmlinux is missing)' |
		grep -Ev 'KBUILD_MODPOST_WARN|unresolved symbol errors|You may get many|^WARNING: Module.symvers is missing' || true)
	if [ -n "$noise" ]; then
		say "FAIL: building against the $name kernel printed warnings:"
		echo "$noise" | head -n 20 >&2
		failed=1
	else
		echo "ok   - zxvmo.ko builds warning-free against the $name kernel ($(basename "$kdir"))"
	fi
done
exit "$failed"
