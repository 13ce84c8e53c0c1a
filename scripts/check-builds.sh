#!/usr/bin/env bash
# Builds zxvmo.ko against the kernel configurations no VM run builds it for,
# each in a scratch copy of the module's sources, and fails on any compiler
# warning or error: a plain (non-debug) build of the 6.12 config and
# Debian's own 6.12 config with Rust (scripts/build-config-trees.sh prepares
# both, cached). The debug test kernels' builds are checked where they are
# made, by build_modules (scripts/lib-build.sh): make test builds the module
# against each kernel it boots anyway.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"

trees=()
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
	noise=$(build_warnings "$(cat "$log")")
	if [ -n "$noise" ]; then
		say "FAIL: building against the $name kernel printed warnings:"
		echo "$noise" | head -n 20 >&2
		failed=1
	else
		echo "ok   - zxvmo.ko builds warning-free against the $name kernel ($(basename "$kdir"))"
	fi
done
exit "$failed"
