#!/usr/bin/env bash
# Prints "<tarball> <Debian version>" of the Linux source for a kernel series.
#
#   scripts/fetch-linux-source.sh SERIES [--refresh]
#
# 6.12: Debian 12's own linux-source-6.12 package (scripts/setup.sh installs
# it). Newer series: the linux-source-SERIES .deb from trixie-backports. The
# machine's apt sources are left alone: the script fetches the suite's
# InRelease, checks its signature with debian-archive-keyring, takes the
# amd64 package index by its signed hash, downloads the newest version of the
# package, checks its SHA256 against the index and unpacks the tarball into
# $ZXVMO_CACHE/src/. A tarball already there is used without the network;
# --refresh looks for a newer version first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"

series=${1:?usage: fetch-linux-source.sh SERIES [--refresh]}
refresh=${2:-}
zxvmo_series_known "$series" || die "unknown kernel series '$series' (known: $ZXVMO_KERNELS)"

if [ "$series" = 6.12 ]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1) || true
	[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.*: run scripts/setup.sh"
	echo "$tarball $(dpkg-query -W -f='${Version}' linux-source-6.12)"
	exit 0
fi

MIRROR=${ZXVMO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie-backports
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
srcdir="$ZXVMO_CACHE/src"
mkdir -p "$srcdir"

# The newest cached tarball of the series, by Debian version order.
cached() {
	local f best= bestv=
	for f in "$srcdir/linux-source-${series}_"*.tar.xz; do
		[ -e "$f" ] || continue
		local v=${f##*/linux-source-"${series}"_}
		v=${v%.tar.xz}
		if [ -z "$bestv" ] || dpkg --compare-versions "$v" gt "$bestv"; then
			best=$f bestv=$v
		fi
	done
	[ -n "$best" ] && echo "$best $bestv"
}

if [ "$refresh" != --refresh ] && cached >/dev/null; then
	cached
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { curl -sSf --retry 3 -o "$2" "$MIRROR/$1"; }

say "looking up linux-source-$series in $SUITE ($MIRROR)"
if ! fetch "dists/$SUITE/InRelease" "$tmp/InRelease"; then
	cached || die "cannot reach $MIRROR to fetch linux-source-$series, and none is cached"
	exit 0
fi
gpgv --keyring "$KEYRING" --output "$tmp/Release" "$tmp/InRelease" 2>"$tmp/gpgv.log" ||
	die "the signature of $SUITE's InRelease does not verify against $KEYRING:
$(cat "$tmp/gpgv.log")"
index=main/binary-amd64/Packages.xz
sum=$(awk -v f="$index" '$3 == f { print $1; exit }' "$tmp/Release")
[ -n "$sum" ] || die "$SUITE's Release names no $index"
fetch "dists/$SUITE/main/binary-amd64/by-hash/SHA256/$sum" "$tmp/Packages.xz" ||
	fetch "dists/$SUITE/$index" "$tmp/Packages.xz" || die "cannot fetch $SUITE's $index"
echo "$sum  $tmp/Packages.xz" | sha256sum -c --quiet - >/dev/null 2>&1 ||
	die "$SUITE's $index does not match the SHA256 its signed Release gives"

# Version, file name and SHA256 of the newest linux-source-SERIES.
read -r ver file sha < <(xz -dc "$tmp/Packages.xz" | awk -v p="linux-source-$series" '
	/^Package: / { cur = ($2 == p) }
	cur && /^Version: / { v = $2 }
	cur && /^Filename: / { f = $2 }
	cur && /^SHA256: / { print v, f, $2 }' |
	sort -k1,1 -V | tail -n1) || true
[ -n "${ver:-}" ] || die "$SUITE has no linux-source-$series package"
out="$srcdir/linux-source-${series}_$ver.tar.xz"
if [ ! -e "$out" ]; then
	say "fetching linux-source-$series $ver (about 165 MB)"
	fetch "$file" "$tmp/src.deb" || die "cannot fetch $MIRROR/$file"
	echo "$sha  $tmp/src.deb" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die "$file does not match the SHA256 in $SUITE's signed index"
	dpkg-deb -x "$tmp/src.deb" "$tmp/x"
	mv "$tmp/x/usr/src/linux-source-$series.tar.xz" "$out.part"
	mv "$out.part" "$out"
	# Older tarballs of the series are no longer used.
	for f in "$srcdir/linux-source-${series}_"*.tar.xz; do
		[ "$f" = "$out" ] || rm -f "$f"
	done
fi
echo "$out $ver"
