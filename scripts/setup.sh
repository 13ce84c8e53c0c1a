#!/usr/bin/env bash
# Installs what zxvmo needs and builds (or reuses) the cached test kernels
# (KERNELS="6.12 7.3" by default; KERNELS=6.12 builds only that one).
# Idempotent: when everything is in place it only checks, in seconds.
#
# It respects the machine it runs on:
#   - apt installs with --no-install-recommends and --no-remove, never
#     downgrades, and lists the packages and their download size first;
#     when apt would have to remove something, it stops before changing
#     anything and says which package and why;
#   - QEMU: an installed one (>= 7.2) is used as it is; otherwise Debian's,
#     unpacked privately when installing it would remove a package
#     (scripts/qemu.sh);
#   - what it adds is recorded in $ZXVMO_CACHE/installed.txt, so
#     `scripts/uninstall.sh` (make distclean) takes exactly that away.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
		echo sudo
	fi
}

mkdir -p "$ZXVMO_CACHE"
record="$ZXVMO_CACHE/installed.txt"
touch "$record"
remember() { grep -qxF "$1" "$record" || echo "$1" >>"$record"; }

# Debian packages the kernel build and the VM need (QEMU: see below).
# clang-19 builds the newer test kernel (7.3 needs LLVM >= 17); curl, gpgv
# and the archive keyring fetch and check its source (fetch-linux-source.sh).
apt_pkgs=(
	linux-source-6.12 rustc-web rust-web-src clang lld llvm libclang-dev
	clang-19 lld-19 llvm-19 libclang1-19 curl gpgv debian-archive-keyring
	flex bison bc cpio kmod libelf-dev libssl-dev udev busybox-static python3-pip
	dkms
)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=$(need_root "${missing[*]}")
	$sudo apt-get update -q >/dev/null || die "apt-get update failed"
	# A dry run first: what would be installed, and whether anything would
	# have to go (a dry run without --no-remove shows what).
	plan=$(LC_ALL=C apt-get install -s --no-install-recommends "${missing[@]}" 2>&1) ||
		die "apt cannot install ${missing[*]}:
$(tail -n 5 <<<"$plan")"
	if grep -q '^Remv ' <<<"$plan"; then
		die "installing ${missing[*]} would remove: $(sed -n 's/^Remv \([^ ]*\).*/\1/p' <<<"$plan" | tr '\n' ' ')
nothing was changed. Resolve the conflict yourself (apt-get install -s --no-install-recommends ${missing[*]} shows it), then rerun."
	fi
	# New packages ("Inst name (version ...)"); upgrades of packages the
	# machine has ("Inst name [old] (new ...)") are not ours to remove later.
	new=$(sed -n 's/^Inst \([^ ]*\) (.*/\1/p' <<<"$plan")
	upgraded=$(grep -c '^Inst [^ ]* \[' <<<"$plan" || true)
	size=$(LC_ALL=C apt-get install --no-install-recommends --no-remove --print-uris -qq "${missing[@]}" |
		awk '{ s += $3 } END { printf "%.0f MB", s / 1e6 }')
	say "installing $(wc -w <<<"$new") Debian packages, upgrading $upgraded ($size to download): $(tr '\n' ' ' <<<"$new")"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends --no-remove "${missing[@]}" ||
		die "could not install: ${missing[*]}"
	for p in $new; do remember "apt $p"; done
fi
[ -x "$KERNEL_RUSTC" ] || die "$KERNEL_RUSTC missing after installing rustc-web"
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust-web-src did not install the library source"

"$here/qemu.sh" >/dev/null

if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	say "installing bindgen-cli $BINDGEN_VERSION into $CARGO_BIN from crates.io (a few minutes)"
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli failed"
	remember "cargo bindgen-cli"
fi

if ! vng --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	say "installing virtme-ng $VIRTME_NG_VERSION from PyPI"
	python3 -m pip install -q "virtme-ng==$VIRTME_NG_VERSION" ||
		die "pip install virtme-ng failed"
	remember "pip virtme-ng"
fi

# The test kernels: every series in KERNELS (default: all of them).
for series in ${KERNELS:-$ZXVMO_DEFAULT_KERNELS}; do
	zxvmo_series_known "$series" || die "KERNELS: unknown kernel series '$series' (known: $ZXVMO_KERNELS)"
	"$here/build-kernel.sh" "$series"
done
say "setup complete: test kernels $(for s in ${KERNELS:-$ZXVMO_DEFAULT_KERNELS}; do printf '%s ' "$(zxvmo_kdir "$s")"; done)"
