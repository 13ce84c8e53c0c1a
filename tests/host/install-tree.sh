#!/usr/bin/env bash
# `make install DESTDIR=…` stages exactly the expected tree and
# `make uninstall DESTDIR=…` removes it; scripts/check-kernel.sh (DKMS's
# PRE_BUILD) accepts the test kernel's tree and refuses one without Rust
# with a message that names CONFIG_RUST. Never touches the host's /lib.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/scripts/config.sh"
kdir=$(zxvmo_kdir) || die "no test kernel: run scripts/setup.sh"
kver=$(cat "$kdir/include/config/kernel.release")
stage=$(mktemp -d)
bins=$(mktemp -d)
trap 'rm -rf "$stage" "$bins"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi; }

make -s -C "$repo" KDIR="$kdir" DESTDIR="$stage" install >/dev/null
expected="./lib/modules/$kver/updates/zxvmo.ko 644
./lib/udev/rules.d/99-zxvmo.rules 644
./usr/include/zxvmo.h 644
./usr/include/zxvmo/zircon.h 644
./usr/lib/libzxvmo_zircon.a 644
./usr/lib/libzxvmo_zircon.so 755
./usr/lib/pkgconfig/zxvmo-zircon.pc 644
./usr/lib/sysusers.d/zxvmo.conf 644"
got=$(cd "$stage" && find . -type f -printf '%p %m\n' | sort)
check "make install DESTDIR stages the module, udev rule, sysusers entry, headers, C library and .pc" '[ "$got" = "$expected" ]' ||
	printf '%s\n' "$got" >&2
check "the udev rule gives /dev/zxvmo to group zxvmo, mode 0660" \
	'grep -q "KERNEL==\"zxvmo\".*GROUP=\"zxvmo\", MODE=\"0660\"" "$stage/lib/udev/rules.d/99-zxvmo.rules"'
check "the staged module is this build's" 'cmp -s "$repo/zxvmo.ko" "$stage/lib/modules/$kver/updates/zxvmo.ko"'
# Zircon's C API as a C program finds it: through pkg-config, both ways.
pc() { PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$stage/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config "$@" zxvmo-zircon; }
check "pkg-config zxvmo-zircon gives the staged include and library flags" \
	'[ "$(echo $(pc --cflags))" = "-I$stage/usr/include" ] && [ "$(echo $(pc --libs))" = "-L$stage/usr/lib -lzxvmo_zircon" ]'
check "tests/c/zircon-api.c builds against the shared library with the system cc" \
	'cc -Wall -Werror -o "$bins/zircon-api" "$repo/tests/c/zircon-api.c" $(pc --cflags --libs)'
check "... and links statically" \
	'cc -Wall -Werror -o "$bins/zircon-api-static" "$repo/tests/c/zircon-api.c" $(pc --cflags) "$stage/usr/lib/libzxvmo_zircon.a" -lpthread -ldl -lm'
check "... and as C++" \
	'printf "#include <zxvmo/zircon.h>\nint main() { zx_handle_t h; return zx_vmo_create(4096, 0, &h) == ZX_OK; }\n" | c++ -x c++ -Wall -Werror -o /dev/null - $(pc --cflags --libs)'
make -s -C "$repo" KDIR="$kdir" DESTDIR="$stage" uninstall >/dev/null
check "make uninstall DESTDIR removes every file" '[ -z "$(find "$stage" -type f)" ]'

# Without DESTDIR, install and uninstall run ldconfig only when the cache
# matters (Makefile: ldconfig_if_needed). Their decision, run with a stand-in
# for ldconfig that prints what it would do and, for -p, the cache given.
ldconfig_runs() { # install|uninstall LIBDIR CACHE-LINE
	local line
	line=$(make -s -n -C "$repo" KDIR="$kdir" LIBDIR="$2" -o modules -o lib "$1" | grep 'ldconfig -p')
	line=${line%\\}
	line=${line%; }
	CACHE=$3 bash -c 'ldconfig() { if [ "$1" = -p ]; then printf "%s\n" "$CACHE"; else echo run; fi; }; '"$line"
}
none="libc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"
cached="libzxvmo_zircon.so (libc6,x86-64) => /usr/local/lib/libzxvmo_zircon.so"
check "install into ld.so's own /usr/lib runs no ldconfig" '[ -z "$(ldconfig_runs install /usr/lib "$none")" ]'
check "install into /usr/local/lib runs ldconfig" '[ "$(ldconfig_runs install /usr/local/lib "$none")" = run ]'
check "install runs ldconfig when the cache lists the library" '[ "$(ldconfig_runs install /usr/lib "$cached")" = run ]'
check "uninstall runs ldconfig when the cache lists the library, and only then" \
	'[ "$(ldconfig_runs uninstall /usr/local/lib "$cached")" = run ] && [ -z "$(ldconfig_runs uninstall /usr/local/lib "$none")" ]'

check "check-kernel accepts the test kernel's tree" '"$repo/scripts/check-kernel.sh" "$kdir" >/dev/null'
norust=$(mktemp -d)
echo '# CONFIG_RUST is not set' >"$norust/.config"
msg=$("$repo/scripts/check-kernel.sh" "$norust" 2>&1) && rc=0 || rc=$?
rm -rf "$norust"
check "check-kernel refuses a tree without Rust, naming CONFIG_RUST" '[ "$rc" -ne 0 ] && grep -q "CONFIG_RUST is not set" <<<"$msg"'
check "dkms.conf runs that check before every build" 'grep -q "^PRE_BUILD=\"scripts/check-kernel.sh \${kernel_source_dir}\"" "$repo/dkms.conf"'
# DKMS, in a private tree (never /usr/src or /var/lib/dkms).
if command -v dkms >/dev/null; then
	mkdir -p "$stage/dkms"
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$repo/dkms.conf")
	zxvmo_copy_sources "$stage/src/zxvmo-$ver"
	dkms_build() { dkms build "zxvmo/$ver" -k "$1" --kernelsourcedir "$2" --dkmstree "$stage/dkms" --sourcetree "$stage/src" 2>&1; }
	log=$(dkms_build "$kver" "$kdir") && rc=0 || rc=$?
	check "dkms build against the test kernel's tree builds zxvmo.ko" \
		'[ "$rc" -eq 0 ] && [ -f "$stage/dkms/zxvmo/$ver/$kver/x86_64/module/zxvmo.ko" ]' || { echo "$log" | tail -n 20 >&2; }
	norust=$stage/norust
	mkdir -p "$norust/include/config"
	echo '# CONFIG_RUST is not set' >"$norust/.config"
	echo 'all:' >"$norust/Makefile"
	echo 6.12.0-norust >"$norust/include/config/kernel.release"
	log=$(dkms_build 6.12.0-norust "$norust") && rc=0 || rc=$?
	check "dkms build against a tree without Rust fails, naming CONFIG_RUST" \
		'[ "$rc" -ne 0 ] && grep -q "CONFIG_RUST is not set" <<<"$log"'
else
	echo "not ok - dkms is not installed (scripts/setup.sh installs it)"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || die "install checks: $fails failed"
