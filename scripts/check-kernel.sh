#!/usr/bin/env bash
# Says whether zxvmo can be built for the kernel build tree KDIR, and if
# not, why and what to do: it needs CONFIG_RUST=y and the Rust metadata
# that `make modules_prepare` leaves in the tree. DKMS runs it before
# every build (dkms.conf's PRE_BUILD), so a kernel without Rust fails at
# once with this message instead of a compiler error.
#   scripts/check-kernel.sh KDIR
set -u
kdir=${1:?usage: scripts/check-kernel.sh KDIR}
fail() {
	printf 'zxvmo: cannot build for %s: %s\n' "$kdir" "$1" >&2
	printf 'zxvmo: zxvmo is a Rust module; it needs a kernel built with CONFIG_RUST=y and its build tree (see "Which kernels" in README.md). Debian'"'"'s own kernels are built without CONFIG_RUST.\n' >&2
	exit 1
}
[ -f "$kdir/.config" ] || fail "no .config (not a kernel build tree, or headers are missing)"
grep -qx 'CONFIG_RUST=y' "$kdir/.config" || fail "CONFIG_RUST is not set in its .config"
[ -f "$kdir/rust/libkernel.rmeta" ] && [ -e "$kdir/rust/libmacros.so" ] ||
	fail "CONFIG_RUST=y, but the tree has no Rust build metadata (rust/libkernel.rmeta, rust/libmacros.so): run 'make modules_prepare' in it"
echo "zxvmo: $kdir can build zxvmo (CONFIG_RUST=y, Rust metadata present)"
