#!/bin/bash
# zxvmo's in-VM suite: runs as root on the test kernel under scripts/vm-run.sh.
#   tests/vm/suite.sh KO TESTBIN...
#   tests/vm/suite.sh KO @LISTFILE      (the binaries, one per line)
# Loads the module KO, checks what a shell sees of it, runs each Rust test
# binary (each a libtest binary from tests/vmtests) against the loaded
# module, then unloads it and cycles it. Prints one line per check and
# exits non-zero when any failed.
#
# The binaries run one after the other: several read global state (the
# module's reference count, the kernel's kmalloc objects) that a test in
# another process would change. (Running the 2 GiB read beside them failed
# faults.rs's reference count check on 7.3.)
set -u
ko=$1
shift
# (Paths and names by the shell's own expansions: under TCG every exec, even
# of dirname, costs half a second.)
root=$(cd "${0%/*}/../.." && pwd)
modcycle=$root/userspace/target/release/zxvmo-modcycle
# The claim probe built beside KO (claims.rs loads it).
case $ko in */*) kodir=${ko%/*} ;; *) kodir=. ;; esac
probe="$kodir/tests/claim-probe/zxvmo_claim_probe.ko"
[ -f "$probe" ] && export ZXVMO_CLAIM_PROBE="$probe"
if [ $# -eq 1 ] && [ "${1#@}" != "$1" ]; then
	mapfile -t bins <"${1#@}"
	set -- "${bins[@]}"
fi
. "$root/tests/vm/lib-check.sh"
kernel_tail() { dmesg | tail -n 15 | sed 's/^/       dmesg: /'; }

load() {
	if ! out=$(insmod "$ko" "$@" 2>&1); then
		not_ok "insmod ${ko##*/} $*: $out"
		kernel_tail
		return 1
	fi
}

echo "zxvmo suite: kernel $(</proc/sys/kernel/osrelease) (host built ${ko##*/})"
if ! load; then
	echo "the module does not load; nothing else can run"
	exit 1
fi
ok "insmod ${ko##*/}"

# (One modinfo, read by the shell: every exec costs half a second here.)
modinfo_complete() {
	local info line desc=0 license=0 parm=0
	info=$(modinfo "$ko") || return 1
	while IFS= read -r line; do
		case $line in
		description:*"Zircon virtual memory objects"*) desc=1 ;;
		license:*) [ "$(printf %s ${line#license:})" = GPL ] && license=1 ;;
		parm:*mode:*"permissions of the /dev/zxvmo node"*) parm=1 ;;
		esac
	done <<<"$info"
	[ "$desc$license$parm" = 111 ] && return
	echo "description/license GPL/mode parameter found: $desc$license$parm in:"
	echo "$info"
	return 1
}
check "modinfo has a description, license and the mode parameter" modinfo_complete
# (These checks are shell functions: each exec of grep, bash or stat costs
# half a second under TCG.)
param_mode_is_0600() {
	local mode
	mode=$(</sys/module/zxvmo/parameters/mode)
	[ "$mode" = 384 ] || { echo "mode $mode"; return 1; }
}
check "/sys/module/zxvmo/parameters/mode reads 384 (0600)" param_mode_is_0600

for bin in "$@"; do
	# The binary's name without cargo's hash (by the shell: no exec).
	name=${bin##*/}
	name=${name%-*}
	echo "# running $name"
	if "$bin" --test-threads=1 2>&1 | sed 's/^/    /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
		ok "rust tests: $name"
	else
		not_ok "rust tests: $name"
	fi
done

check "rmmod zxvmo" rmmod zxvmo
check "/dev/zxvmo gone after rmmod" test ! -e /dev/zxvmo

# finit_module and delete_module, as insmod and rmmod call them, in one
# process: an exec of kmod costs more than the cycle under TCG.
check "20 load/unload cycles (finit_module, delete_module)" "$modcycle" "$ko" zxvmo 20

if load mode=0666; then
	# (The test VM runs no udevd; where one runs, it may still be handling
	# the cycles' events: let it finish.)
	[ ! -S /run/udev/control ] || udevadm settle -t 30 2>/dev/null
	node_is_0666() {
		local mode
		mode=$(stat -c %a /dev/zxvmo) && [ "$mode" = 666 ] || { echo "mode $mode"; return 1; }
	}
	check "mode=0666 gives a 0666 node" node_is_0666
	rmmod zxvmo
fi
if out=$(insmod "$ko" mode=01777 2>&1); then
	not_ok "mode=01777 must be refused, but the module loaded"
	rmmod zxvmo
else
	refused_with_reason() {
		local log
		log=$(dmesg) || return 1
		# The reason is among the last lines (the log's last 1,000
		# characters, or all of it when shorter).
		log=${log:$((${#log} > 1000 ? ${#log} - 1000 : 0))}
		[[ $log == *"mode=0o1777 is not a permission mode"* ]] || {
			echo "no reason in the log's end: $log"
			return 1
		}
	}
	check "mode=01777 is refused with a reason in the log" refused_with_reason
fi
module_absent() {
	local name _
	while read -r name _; do
		[ "$name" != zxvmo ] || { echo "zxvmo is in /proc/modules"; return 1; }
	done </proc/modules
}
check "module absent at the end" module_absent

echo "zxvmo suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
