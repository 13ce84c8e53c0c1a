#!/usr/bin/env bash
# Prepares kernel trees of other configurations, only as far as an
# out-of-tree module build needs (`make modules_prepare`: headers, scripts
# and the Rust `kernel` crate; no kernel image), so that CI builds zxvmo.ko
# against each and a config-dependent break cannot land:
#
#   plain   the test kernel's config without its debug options (no KASAN,
#           UBSAN, lockdep, kmemleak, fault injection): what an ordinary
#           Rust-enabled kernel looks like;
#   debian  Debian's own 6.12 amd64 config (linux-config-6.12) with what
#           Rust needs on 6.12: CONFIG_RUST=y, MODVERSIONS and BTF off.
#
# Each tree is cached in $ZXVMO_CACHE/modtree-<name>-<key>, the key covering
# the kernel version, the config and the toolchain, like the test kernel.
# Prints "<name> <path>" per tree.
#   scripts/build-config-trees.sh [plain] [debian]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(plain debian)

tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1) || true
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.*: run scripts/setup.sh"
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
tools=$(printf '%s\n' "$src_ver" "$("$KERNEL_RUSTC" --version)" "$(clang --version | head -n1)" \
	"$(bindgen --version)")

# The debug options of scripts/kernel.config, which `plain` turns off.
debug_opts='^CONFIG_(KASAN|UBSAN|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_KMEMLEAK|FAULT_INJECTION|FAILSLAB|FAIL_PAGE_ALLOC)'

zxvmo_toolchain 6.12
kmake() { make -C "$1" LLVM=1 RUSTC="$KERNEL_RUSTC" HOSTRUSTC="$KERNEL_RUSTC" "${@:2}"; }

# Writes the config fragment of tree $1 (options the tree's base config
# gets on top) to stdout.
fragment() {
	case $1 in
	plain)
		grep -v '^#' "$here/kernel.config" | grep . | grep -Ev "$debug_opts"
		cat <<-EOF
			CONFIG_KASAN=n
			CONFIG_UBSAN=n
			CONFIG_PROVE_LOCKING=n
			CONFIG_DEBUG_LOCK_ALLOC=n
			CONFIG_LOCKDEP=n
			CONFIG_DEBUG_KMEMLEAK=n
			CONFIG_FAULT_INJECTION=n
		EOF
		;;
	debian)
		cat <<-EOF
			CONFIG_RUST=y
			CONFIG_MODVERSIONS=n
			CONFIG_DEBUG_INFO_BTF=n
			CONFIG_GCC_PLUGINS=n
			CONFIG_RANDSTRUCT_NONE=y
			CONFIG_SYSTEM_TRUSTED_KEYS=""
			CONFIG_SYSTEM_REVOCATION_KEYS=""
			CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"
		EOF
		;;
	*) die "unknown tree $1 (plain, debian)" ;;
	esac
}

# The base config of tree $1, written to $2/.config.
base_config() {
	case $1 in
	plain) (cd "$2" && vng --kconfig >"$2/kconfig.log" 2>&1) || die "vng --kconfig failed; see $2/kconfig.log" ;;
	debian)
		local cfg=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
		if [ ! -f "$cfg" ]; then
			say "installing Debian's kernel configs (linux-config-6.12)"
			sudo=""
			[ "$(id -u)" -eq 0 ] || sudo=sudo
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
				--no-remove linux-config-6.12 >&2 || die "could not install linux-config-6.12"
			echo "apt linux-config-6.12" >>"$ZXVMO_CACHE/installed.txt"
		fi
		xzcat "$cfg" >"$2/.config"
		;;
	esac
}

for name in "${names[@]}"; do
	key=$( (
		echo "$name"
		echo "$tools"
		fragment "$name"
		if [ "$name" = plain ]; then cat "$here/kernel.config"; fi
	) | sha256sum | cut -c1-16)
	dir="$ZXVMO_CACHE/modtree-$name-$key"
	if [ ! -e "$dir/.zxvmo-prepared" ]; then
		say "preparing the $name module-build tree (key $key) in $dir"
		rm -rf "$ZXVMO_CACHE/modtree-$name-"*
		mkdir -p "$dir"
		tar -xf "$tarball" -C "$dir" --strip-components=1
		base_config "$name" "$dir"
		fragment "$name" | while IFS== read -r opt val; do
			o=${opt#CONFIG_}
			case $val in
			y) "$dir/scripts/config" --file "$dir/.config" -e "$o" ;;
			n) "$dir/scripts/config" --file "$dir/.config" -d "$o" ;;
			\"*)
				val=${val#\"}
				"$dir/scripts/config" --file "$dir/.config" --set-str "$o" "${val%\"}"
				;;
			*) "$dir/scripts/config" --file "$dir/.config" --set-val "$o" "$val" ;;
			esac
		done
		kmake "$dir" olddefconfig >>"$dir/kconfig.log" 2>&1 || die "olddefconfig failed; see $dir/kconfig.log"
		grep -qx CONFIG_RUST=y "$dir/.config" ||
			die "the $name config lost CONFIG_RUST (an unmet dependency; see $dir/.config)"
		if [ "$name" = plain ]; then
			for o in KASAN PROVE_LOCKING DEBUG_KMEMLEAK UBSAN; do
				! grep -qx "CONFIG_$o=y" "$dir/.config" || die "the plain config kept CONFIG_$o"
			done
		fi
		say "  make modules_prepare (the Rust kernel crate included; a few minutes)"
		kmake "$dir" -j"$(($(nproc) + 1))" modules_prepare >"$dir/prepare.log" 2>&1 ||
			die "modules_prepare of the $name tree failed; see $dir/prepare.log"
		touch "$dir/.zxvmo-prepared"
	fi
	echo "$name $dir"
done
