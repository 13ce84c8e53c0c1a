#!/usr/bin/env bash
# Takes away what scripts/setup.sh added, and nothing else: the Debian
# packages it installed (recorded in $ZXVMO_CACHE/installed.txt; packages
# the machine had before, and upgrades, stay), bindgen-cli and virtme-ng
# if it installed them, and the cache directory (test kernels, private
# QEMU, KVM probe). The repository's own build products go with `make clean`.
#   scripts/uninstall.sh [--dry-run]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/config.sh"
dry=""
[ "${1:-}" = --dry-run ] && dry=echo
record="$ZXVMO_CACHE/installed.txt"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ -f "$record" ]; then
	mapfile -t apt_pkgs < <(sed -n 's/^apt //p' "$record")
	if [ ${#apt_pkgs[@]} -gt 0 ]; then
		say "removing the ${#apt_pkgs[@]} Debian packages set-up installed"
		# Only those still installed; apt removes nothing else (no autoremove).
		present=()
		for p in "${apt_pkgs[@]}"; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && present+=("$p")
		done
		[ ${#present[@]} -eq 0 ] || $dry $sudo apt-get remove -y -q "${present[@]}"
	fi
	if grep -qx "cargo bindgen-cli" "$record"; then
		say "removing bindgen-cli from $CARGO_BIN"
		$dry cargo uninstall bindgen-cli || true
	fi
	if grep -qx "pip virtme-ng" "$record"; then
		say "removing virtme-ng"
		$dry python3 -m pip uninstall -y -q virtme-ng || true
	fi
else
	say "no record of installed packages in $record: removing only the cache"
fi
say "removing $ZXVMO_CACHE"
$dry rm -rf "$ZXVMO_CACHE"
