#!/usr/bin/env bash
# Finds or provides the QEMU that the VM tests run, without ever removing or
# downgrading a package the machine has. Prints the path of the
# qemu-system-x86_64 to use (and caches it in $ZXVMO_CACHE/qemu-bin).
#
# zxvmo needs QEMU >= 7.2 with the `edu` and `ivshmem-plain` devices (the
# real devices the tests drive). In order of preference:
#   1. a qemu-system-x86_64 already installed (any version >= 7.2);
#   2. Debian's qemu-system-x86, when apt can install it with
#      --no-install-recommends and without removing or downgrading anything;
#   3. otherwise (say a newer qemu-utils from backports that breaks the
#      distribution's qemu-system-common), the same Debian packages unpacked
#      into $ZXVMO_CACHE/qemu-<version> and run from there: dpkg's state and
#      /usr stay exactly as they were.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

QEMU_MIN=7.2

# Prints a QEMU binary's version, e.g. 7.2.19.
qemu_version() {
	"$1" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p' | head -n1
}

# Succeeds when $1 is a usable QEMU: new enough, with both devices.
qemu_usable() {
	local v devs
	v=$(qemu_version "$1")
	[ -n "$v" ] || return 1
	[ "$(printf '%s\n' "$QEMU_MIN" "$v" | sort -V | head -n1)" = "$QEMU_MIN" ] || return 1
	devs=$("$1" -nodefaults -machine none -device help 2>/dev/null) || return 1
	grep -q '"edu"' <<<"$devs" && grep -q '"ivshmem-plain"' <<<"$devs"
}

remember() {
	mkdir -p "$ZXVMO_CACHE"
	echo "$1" >"$ZXVMO_CACHE/qemu-bin"
	echo "$1"
}

# 0. What an earlier run chose, if it still works.
if [ -f "$ZXVMO_CACHE/qemu-bin" ]; then
	cached=$(cat "$ZXVMO_CACHE/qemu-bin")
	if [ -x "$cached" ] && qemu_usable "$cached"; then
		echo "$cached"
		exit 0
	fi
fi

# 1. Installed already.
if sys=$(command -v qemu-system-x86_64) && qemu_usable "$sys"; then
	say "using the installed QEMU $(qemu_version "$sys") ($sys)"
	remember "$sys"
	exit 0
fi

# 2. Debian's package, if apt can add it without taking anything away.
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# A simulation (it changes nothing) without --no-remove, so that it shows
# what apt would remove instead of stopping at the first such package.
plan=$(LC_ALL=C apt-get install -s --no-install-recommends qemu-system-x86 2>&1) && ok=1 || ok=0
if [ "$ok" = 1 ] && ! grep -q '^Remv ' <<<"$plan" && ! grep -qi 'downgrad' <<<"$plan"; then
	pkgs=$(sed -n 's/^Inst \([^ ]*\) (.*/\1/p' <<<"$plan" | tr '\n' ' ')
	size=$(LC_ALL=C apt-get install --no-install-recommends --no-remove --print-uris -qq qemu-system-x86 |
		awk '{ s += $3 } END { printf "%.1f MB", s / 1e6 }')
	say "installing Debian's QEMU: $pkgs($size to download)"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
		--no-remove qemu-system-x86 >&2 || die "apt-get install qemu-system-x86 failed"
	touch "$ZXVMO_CACHE/installed.txt"
	for p in $(sed -n 's/^Inst \([^ ]*\) (.*/\1/p' <<<"$plan"); do
		echo "apt $p" >>"$ZXVMO_CACHE/installed.txt"
	done
	sys=$(command -v qemu-system-x86_64) || die "qemu-system-x86 installed no qemu-system-x86_64"
	qemu_usable "$sys" || die "Debian's QEMU at $sys lacks the edu or ivshmem-plain device"
	remember "$sys"
	exit 0
fi

# 3. apt would remove or downgrade something: keep the machine as it is and
# unpack Debian's packages privately.
conflict=$(sed -n 's/^Remv \(.*\)/\1/p' <<<"$plan" | tr '\n' ' ')
ver=$(apt-cache policy qemu-system-x86 | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no qemu-system-x86 package is available to apt; install QEMU >= $QEMU_MIN (with the edu and ivshmem-plain devices) and rerun"
prefix="$ZXVMO_CACHE/qemu-$(tr ':~+' '___' <<<"$ver")"
bin="$prefix/bin/qemu-system-x86_64"
if [ -x "$bin" ] && qemu_usable "$bin"; then
	remember "$bin"
	exit 0
fi
say "installing qemu-system-x86 would remove ${conflict:-packages you have}; leaving them alone"
say "unpacking Debian's qemu-system-x86 $ver and the libraries it needs into $prefix instead"
say "(to use a system QEMU, install one >= $QEMU_MIN with edu and ivshmem-plain, then rm $ZXVMO_CACHE/qemu-bin)"
# Every package apt would install for it (the removal is what we skip).
pkgs=$(sed -n 's/^Inst \([^ ]*\) .*/\1/p' <<<"$plan")
[ -n "$pkgs" ] || die "apt proposed no packages for qemu-system-x86:
$plan"
rm -rf "$prefix.tmp"
mkdir -p "$prefix.tmp/debs"
# shellcheck disable=SC2086 # one package per word
(cd "$prefix.tmp/debs" && apt-get download -q $pkgs >&2) || die "apt-get download failed for: $pkgs"
for deb in "$prefix.tmp/debs"/*.deb; do
	dpkg-deb -x "$deb" "$prefix.tmp/root"
done
mkdir -p "$prefix.tmp/bin"
libs="$prefix/root/usr/lib/x86_64-linux-gnu:$prefix/root/lib/x86_64-linux-gnu"
cat >"$prefix.tmp/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# zxvmo's private copy of Debian's QEMU $ver (scripts/qemu.sh): its own
# libraries and firmware, nothing installed system-wide.
LD_LIBRARY_PATH="$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \\
QEMU_MODULE_DIR="$prefix/root/usr/lib/x86_64-linux-gnu/qemu" \\
	exec "$prefix/root/usr/bin/qemu-system-x86_64" -L "$prefix/root/usr/share/qemu" \\
	-L "$prefix/root/usr/share/seabios" "\$@"
EOF
chmod +x "$prefix.tmp/bin/qemu-system-x86_64"
rm -rf "$prefix.tmp/debs" "$prefix"
mv "$prefix.tmp" "$prefix"
qemu_usable "$bin" || die "the unpacked QEMU at $bin does not run: $("$bin" --version 2>&1 | tail -n 2)"
say "private QEMU $(qemu_version "$bin") ready: $bin"
remember "$bin"
