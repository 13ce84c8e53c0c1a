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

# What in a guest's kernel log is a report that fails a run (KASAN, UBSAN,
# lockdep, RCU, hung tasks, WARN, BUG, Oops): scripts/vm-run.sh judges every
# run by it, and scripts/lib-hostile.sh counts it in the hostile run's table.
ZXVMO_REPORT_PATTERN='BUG:|WARNING:|UBSAN:|KASAN:|Oops|general protection fault|Kernel panic|kernel BUG|possible circular locking|possible recursive locking|inconsistent lock state|INFO: trying to register non-static key|suspicious RCU usage|INFO: task .* blocked'

say() { printf '\033[1m[zxvmo]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[zxvmo] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The kernel series the VM suite runs on: the LTS Debian ships, and the
# newest Debian packages (trixie-backports). The first is the default.
ZXVMO_KERNELS="6.12 7.3"
# What set-up builds and `make test` runs when KERNELS is not given: both.
# (The kernels build in 15 and 18 minutes on 2 cores; their VM boots run in
# about 4 and 3.) `make check`, `make demo`, `make hostile` and `make bench`
# use one kernel, the first.
ZXVMO_DEFAULT_KERNELS="6.12 7.3"
zxvmo_series_known() { case " $ZXVMO_KERNELS " in *" $1 "*) return 0 ;; esac; return 1; }

# The C toolchain a series builds with: 6.12 with Debian 12's clang (14);
# 7.3 needs LLVM >= 17 for the kernel and for bindgen's libclang, so it uses
# Debian 12's clang-19. Sets ZXVMO_LLVM (make's LLVM=) and
# ZXVMO_LLVM_SUFFIX, and exports LIBCLANG_PATH: bindgen must parse with the
# libclang of the clang that compiles (it otherwise takes the newest one
# installed, which rejects the older clang's flags).
zxvmo_toolchain() {
	case $1 in
	6.12) ZXVMO_LLVM=1 ZXVMO_LLVM_SUFFIX= ;;
	*) ZXVMO_LLVM=-19 ZXVMO_LLVM_SUFFIX=-19 ;;
	esac
	LIBCLANG_PATH=$("llvm-config$ZXVMO_LLVM_SUFFIX" --libdir)
	export LIBCLANG_PATH
}
# The same, as a make line for a kernel tree's zxvmo-toolchain.mk, which the
# Makefile includes so that `make KDIR=<tree>` needs no other arguments
# (it derives LIBCLANG_PATH from LLVM= itself).
zxvmo_toolchain_mk() {
	echo "LLVM := $ZXVMO_LLVM"
}

# The test kernel tree of a series (default: the first); prints its path.
# Set by scripts/build-kernel.sh into $ZXVMO_CACHE/kernel-SERIES.
zxvmo_kdir() {
	local link="$ZXVMO_CACHE/kernel-${1:-${ZXVMO_KERNELS%% *}}"
	[ -e "$link/.zxvmo-built" ] || return 1
	readlink -f "$link"
}

# build_warnings LOG: prints the lines of a module build's output (make's
# stdout and stderr) that are compiler or Kbuild warnings or errors. Against
# a tree prepared with `modules_prepare` there is no vmlinux, so modpost
# cannot resolve symbols: its "undefined" lines are not counted.
build_warnings() {
	grep -Ei 'warning|error' <<<"$1" |
		grep -Ev '^WARNING: modpost: ("[^"]+" \[.*\] undefined!|suppressed [0-9]+ unresolved symbol warnings|Symbol info of vmlinux is missing)' |
		grep -Ev 'KBUILD_MODPOST_WARN|unresolved symbol errors|You may get many|^WARNING: Module.symvers is missing' || true
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
