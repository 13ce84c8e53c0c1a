#!/usr/bin/env bash
# Builds one of zxvmo's debug test kernels, or reuses the cached build whose
# key (kernel version, config, toolchain versions) matches.
#
#   scripts/build-kernel.sh [SERIES]      SERIES: one of $ZXVMO_KERNELS
#                                         (default: the first, 6.12)
#
# 6.12 comes from Debian's linux-source-6.12 package; the newer series from
# its linux-source .deb in trixie-backports, fetched into the cache and
# checked against the archive's signed index (scripts/fetch-linux-source.sh).
# Points $ZXVMO_CACHE/kernel-SERIES (and, for 6.12, kernel-current) at the
# tree to use. Each series keeps only its newest key.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

series=${1:-${ZXVMO_KERNELS%% *}}
zxvmo_series_known "$series" || die "unknown kernel series '$series' (known: $ZXVMO_KERNELS)"
zxvmo_toolchain "$series"
mkdir -p "$ZXVMO_CACHE"
read -r tarball src_ver < <("$here/fetch-linux-source.sh" "$series") ||
	die "no linux-source-$series: run scripts/setup.sh"
rustc_ver=$("$KERNEL_RUSTC" --version)
clang_ver=$("clang$ZXVMO_LLVM_SUFFIX" --version | head -n1)
bindgen_ver=$(bindgen --version)
vng_ver=$(vng --version 2>&1 | head -n1)
# (6.12's key is what it was before there were two series: its cached tree
# stays valid.)
key=$(printf '%s\n' "$src_ver" "$rustc_ver" "$clang_ver" "$bindgen_ver" "$vng_ver" |
	cat - "$here/kernel.config" | sha256sum | cut -c1-16)
dir="$ZXVMO_CACHE/kernel-$src_ver-$key"

link_tree() {
	ln -sfn "$dir" "$ZXVMO_CACHE/kernel-$series"
	[ "$series" != "${ZXVMO_KERNELS%% *}" ] || ln -sfn "$dir" "$ZXVMO_CACHE/kernel-current"
}

if [ -e "$dir/.zxvmo-built" ]; then
	# (Rewritten each time: older trees lack it, and it is cheap.)
	zxvmo_toolchain_mk >"$dir/zxvmo-toolchain.mk"
	link_tree
	say "test kernel $series cached: $dir"
	exit 0
fi

# A debug build with KASAN needs about 4.5 GB.
avail_kb=$(df -Pk "$ZXVMO_CACHE" | awk 'NR==2 {print $4}')
[ "$avail_kb" -gt $((6 * 1024 * 1024)) ] ||
	die "need 6 GB free under $ZXVMO_CACHE for the test kernel, have $((avail_kb / 1024)) MB"

kmake() { make -C "$dir" LLVM="$ZXVMO_LLVM" RUSTC="$KERNEL_RUSTC" HOSTRUSTC="$KERNEL_RUSTC" "$@"; }

say "building the $series test kernel (key $key) in $dir"
rm -rf "$dir"
mkdir -p "$dir"
say "extracting $tarball"
tar -xf "$tarball" -C "$dir" --strip-components=1

say "configuring: virtme-ng's minimal config + scripts/kernel.config"
(cd "$dir" && vng --kconfig >"$dir/kconfig.log" 2>&1) ||
	die "vng --kconfig failed; see $dir/kconfig.log"
grep -v '^#' "$here/kernel.config" | grep . | while IFS== read -r opt val; do
	name=${opt#CONFIG_}
	case $val in
	y) "$dir/scripts/config" --file "$dir/.config" -e "$name" ;;
	n) "$dir/scripts/config" --file "$dir/.config" -d "$name" ;;
	*) "$dir/scripts/config" --file "$dir/.config" --set-val "$name" "$val" ;;
	esac
done
kmake olddefconfig >>"$dir/kconfig.log" 2>&1 || die "olddefconfig failed; see $dir/kconfig.log"

# Kconfig drops options silently when a dependency is unmet: check each one.
bad=()
while IFS== read -r opt val; do
	case $val in
	y) grep -qx "$opt=y" "$dir/.config" || bad+=("$opt") ;;
	n) ! grep -qx "$opt=y" "$dir/.config" || bad+=("$opt") ;;
	esac
done < <(grep -v '^#' "$here/kernel.config" | grep .)
[ ${#bad[@]} -eq 0 ] || die "the kernel's .config did not keep: ${bad[*]} (see $dir/.config)"

kmake rustavailable >"$dir/rustavailable.log" 2>&1 ||
	die "the kernel rejects this Rust toolchain ($rustc_ver, $bindgen_ver): $(tail -n3 "$dir/rustavailable.log")"

jobs=$(($(nproc) + 1))
say "compiling the kernel with -j$jobs (13 to 16 minutes on 2 cores); log: $dir/build.log"
kmake -j"$jobs" >"$dir/build.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 60
	kill -0 "$pid" 2>/dev/null && say "  still compiling: $(grep -c '^  [A-Z]' "$dir/build.log") steps done, last: $(tail -n1 "$dir/build.log" | cut -c1-80)"
done
wait "$pid" || die "kernel build failed; last lines of $dir/build.log:
$(tail -n 20 "$dir/build.log")"
grep -qx CONFIG_RUST=y "$dir/.config" || die "CONFIG_RUST lost during the build"
[ -f "$dir/arch/x86/boot/bzImage" ] || die "no bzImage after the build"

# How a module builds against this tree (the Makefile includes it).
zxvmo_toolchain_mk >"$dir/zxvmo-toolchain.mk"
touch "$dir/.zxvmo-built"
link_tree
# Older keys of this series are dead weight (4 GB each): keep the current.
for old in "$ZXVMO_CACHE/kernel-$series".*; do
	[ -L "$old" ] || [ "$old" = "$dir" ] || rm -rf "$old"
done
say "test kernel $series built: $dir"
