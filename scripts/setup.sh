#!/usr/bin/env bash
# Installs everything zxvmo needs and builds (or reuses) the cached test
# kernel. Idempotent: when everything is in place it only checks, in seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
		echo sudo
	fi
}

# Debian packages: name -> a file that proves it is installed.
apt_pkgs=(
	linux-source-6.12 rustc-web rust-web-src clang lld llvm libclang-dev
	flex bison bc cpio kmod libelf-dev libssl-dev qemu-system-x86 udev
	busybox-static python3-pip
)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	sudo=$(need_root "${missing[*]}")
	$sudo apt-get update -q || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" ||
		die "could not install: ${missing[*]}"
fi
[ -x "$KERNEL_RUSTC" ] || die "$KERNEL_RUSTC missing after installing rustc-web"
[ -d /usr/lib/rustlib/src/rust/library ] || die "rust-web-src did not install the library source"

if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	say "installing bindgen-cli $BINDGEN_VERSION from crates.io (a few minutes)"
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION" ||
		die "cargo install bindgen-cli failed"
fi

if ! vng --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	say "installing virtme-ng $VIRTME_NG_VERSION from PyPI"
	python3 -m pip install -q "virtme-ng==$VIRTME_NG_VERSION" ||
		die "pip install virtme-ng failed"
fi

"$here/build-kernel.sh"
say "setup complete: test kernel at $(zxvmo_kdir)"
