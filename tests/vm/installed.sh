#!/bin/bash
# zxvmo as a user installs it, inside the VM (as root, on the test kernel):
#   tests/vm/installed.sh REPO KDIR
# `make install` (of what the host built: -o modules -o lib) into the
# guest's own root, `modprobe zxvmo` from the installed tree, the udev
# rule's group and mode on /dev/zxvmo, a member of the group who is not root
# using Zircon's C API (tests/c/zircon-api.c, built here with the system cc
# through pkg-config), a user outside the group refused, root mapping edu's
# registers through the C API, then `make uninstall` leaving nothing.
# Prints one line per check; exits non-zero when any failed.
set -u
repo=$1 kdir=$2
kver=$(uname -r)
. "${0%/*}/lib-check.sh"
work=${ZXVMO_OUT:-/tmp}/installed
rm -rf "$work"
mkdir -p "$work"

echo "zxvmo installed: make install, modprobe, udev, Zircon's C API (kernel $kver)"
# virtme-ng links /lib/modules/<kver> to the kernel tree (read-only here);
# a real directory with the same contents is what an installed system has.
if [ -L "/lib/modules/$kver" ]; then
	src=$(readlink -f "/lib/modules/$kver")
	rm "/lib/modules/$kver"
	mkdir -p "/lib/modules/$kver"
	cp -a "$src/." "/lib/modules/$kver/"
fi

# An installed system runs udev; this VM's init starts none (it costs a
# coldplug of every device), so start the daemon as the system would, with
# nothing to replay: only what happens from now on is handled.
started_udevd=0
if ! udevadm control --ping 2>/dev/null; then
	/lib/systemd/systemd-udevd --daemon && started_udevd=1
fi

check "make install (depmod, sysusers group, udev reload; no ldconfig for /usr/lib)" \
	make -s -C "$repo" KDIR="$kdir" -o modules -o lib install
check "modprobe zxvmo loads the installed module" modprobe zxvmo
check "it is the one under updates/" bash -c \
	"[ \"\$(modinfo -F filename zxvmo)\" = /lib/modules/$kver/updates/zxvmo.ko ]"
udevadm settle -t 30 2>/dev/null
check "/dev/zxvmo is root:zxvmo, mode 0660 (the udev rule)" bash -c \
	'[ "$(stat -c "%U:%G %a" /dev/zxvmo)" = "root:zxvmo 660" ]'

check "tests/c/zircon-api.c builds with cc and pkg-config zxvmo-zircon" bash -c \
	"cc -Wall -Werror -o '$work/zircon-api' '$repo/tests/c/zircon-api.c' \$(pkg-config --cflags --libs zxvmo-zircon)"
chmod 0755 "$work" "$work/zircon-api" 2>/dev/null
# Two unprivileged users, by number (no passwd entry needed): a member of
# the zxvmo group, and an outsider in no group.
# (Lookups by the shell's builtins: every exec costs a quarter to half a
# second under TCG.)
zxgid=""
while IFS=: read -r name _ gid _; do [ "$name" != zxvmo ] || zxgid=$gid; done </etc/group
count_ok() { # OUTPUT: the lines that start with "ok"
	local n=0 line
	while IFS= read -r line; do [ "${line#ok}" = "$line" ] || n=$((n + 1)); done <<<"$1"
	echo "$n"
}
member() { setpriv --reuid=4242 --regid=4242 --groups="$zxgid" --inh-caps=-all --bounding-set=-all "$@"; }
outsider() { setpriv --reuid=4243 --regid=4243 --clear-groups --inh-caps=-all --bounding-set=-all "$@"; }
if out=$(member "$work/zircon-api" paged 2>&1); then
	ok "a zxvmo group member (not root) uses Zircon's C API on paged VMOs ($(count_ok "$out") checks)"
else
	not_ok "group member's paged run: $(grep -v '^ok' <<<"$out" | head -n 20)"
fi
check "the member can open /dev/zxvmo read-write" member sh -c 'exec 3<>/dev/zxvmo'
check "a user outside the group is refused (Permission denied)" bash -c \
	"$(declare -f outsider); outsider sh -c 'exec 3<>/dev/zxvmo' 2>&1 | grep -q 'Permission denied'"

edu=""
for d in /sys/bus/pci/devices/*; do
	read -r vendor <"$d/vendor" && read -r device <"$d/device" || continue
	[ "$vendor:$device" != 0x1234:0x11e8 ] || { edu=$d && break; }
done
if [ -n "$edu" ]; then
	read -r start end _ <"$edu/resource"
	size=$(printf '0x%x' $((end - start + 1)))
	if out=$("$work/zircon-api" physical "$start" "$size" 2>&1); then
		ok "root maps edu's BAR0 through Zircon's C API ($(count_ok "$out") checks)"
	else
		not_ok "root's physical run: $(grep -v '^ok' <<<"$out" | head -n 20)"
	fi
else
	not_ok "no edu device in the VM"
fi

check "rmmod zxvmo" rmmod zxvmo
check "make uninstall" make -s -C "$repo" KDIR="$kdir" uninstall
check "uninstall leaves no file, no group, and modprobe finds nothing" bash -c "
	for f in /lib/modules/$kver/updates/zxvmo.ko /lib/udev/rules.d/99-zxvmo.rules \
		/usr/lib/sysusers.d/zxvmo.conf /usr/include/zxvmo.h /usr/include/zxvmo/zircon.h \
		/usr/lib/libzxvmo_zircon.so /usr/lib/libzxvmo_zircon.a /usr/lib/pkgconfig/zxvmo-zircon.pc; do
		[ ! -e \"\$f\" ] || { echo \"left: \$f\"; exit 1; }
	done
	! getent group zxvmo && ! modprobe -n zxvmo 2>/dev/null"

[ "$started_udevd" = 0 ] || udevadm control --exit
echo "zxvmo installed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
