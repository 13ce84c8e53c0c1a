# Shared settings for zxvmo's scripts; sourced, never run.
# shellcheck shell=bash

# Where the test kernel and other build products live: outside the repo, so a
# fresh clone reuses them.
ZXVMO_CACHE=${ZXVMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zxvmo}
# Pinned tool versions from the package registries.
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42
# The kernel module and the kernel must be built by Debian's rustc, which
# ships the library source the kernel needs; rustup's comes first in PATH.
KERNEL_RUSTC=/usr/bin/rustc
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$CARGO_BIN:$HOME/.local/bin:$PATH"

say() { printf '\033[1m[zxvmo]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[zxvmo] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The test kernel tree currently selected by the cache key; prints its path.
# Set by scripts/build-kernel.sh into $ZXVMO_CACHE/kernel-current.
zxvmo_kdir() {
	local link="$ZXVMO_CACHE/kernel-current"
	[ -e "$link/.zxvmo-built" ] || return 1
	readlink -f "$link"
}

# Copies what building zxvmo.ko needs, without build products, into $1:
# a scratch tree for another kernel, or a DKMS source tree (dkms.conf and
# the kernel check it runs included).
zxvmo_copy_sources() {
	local root dest=$1
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	mkdir -p "$dest/userspace/zxvmo-abi" "$dest/scripts"
	cp -r "$root/Kbuild" "$root/Makefile" "$root/dkms.conf" "$root/rust" "$dest/"
	cp "$root/scripts/check-kernel.sh" "$dest/scripts/"
	cp -r "$root/userspace/zxvmo-abi/src" "$dest/userspace/zxvmo-abi/"
	rm -f "$dest"/rust/*.o "$dest"/rust/.*.cmd "$dest/rust/bindings_ext.rs"
}
