#!/bin/bash
# zxvmo's in-VM suite: runs as root on the test kernel under scripts/vm-run.sh.
#   tests/vm/suite.sh KO TESTBIN...
#   tests/vm/suite.sh KO @LISTFILE      (the binaries, one per line)
# Loads the module KO, checks what a shell sees of it, runs each Rust test
# binary (each a libtest binary from tests/vmtests) against the loaded
# module, then unloads it and cycles it. Prints one line per check and
# exits non-zero when any failed.
set -u
ko=$1
shift
# The claim probe built beside KO (claims.rs loads it).
probe="$(dirname "$ko")/tests/claim-probe/zxvmo_claim_probe.ko"
[ -f "$probe" ] && export ZXVMO_CLAIM_PROBE="$probe"
if [ $# -eq 1 ] && [ "${1#@}" != "$1" ]; then
	mapfile -t bins <"${1#@}"
	set -- "${bins[@]}"
fi
failed=0
passed=0
# Each line ends with the seconds since the one before.
last=$SECONDS
ok() { echo "ok   - $* [$((SECONDS - last))s]"; passed=$((passed + 1)); last=$SECONDS; }
not_ok() { echo "FAIL - $* [$((SECONDS - last))s]"; failed=$((failed + 1)); last=$SECONDS; }
check() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name: $out"; fi
}
kernel_tail() { dmesg | tail -n 15 | sed 's/^/       dmesg: /'; }

load() {
	if ! out=$(insmod "$ko" "$@" 2>&1); then
		not_ok "insmod $(basename "$ko") $*: $out"
		kernel_tail
		return 1
	fi
}

echo "zxvmo suite: kernel $(uname -r) (host built $(basename "$ko"))"
if ! load; then
	echo "the module does not load; nothing else can run"
	exit 1
fi
ok "insmod $(basename "$ko")"

check "modinfo has a description, license and the mode parameter" bash -c "
	modinfo -F description '$ko' | grep -q 'Zircon virtual memory objects' &&
	[ \"\$(modinfo -F license '$ko')\" = GPL ] &&
	modinfo -F parm '$ko' | grep -q '^mode:.*permissions of the /dev/zxvmo node'"
check "/sys/module/zxvmo/parameters/mode reads 384 (0600)" \
	grep -qx 384 /sys/module/zxvmo/parameters/mode

for bin in "$@"; do
	name=$(basename "$bin" | sed 's/-[0-9a-f]*$//')
	echo "# running $name"
	if "$bin" --test-threads=1 2>&1 | sed 's/^/    /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
		ok "rust tests: $name"
	else
		not_ok "rust tests: $name"
	fi
done

check "rmmod zxvmo" rmmod zxvmo
check "/dev/zxvmo gone after rmmod" test ! -e /dev/zxvmo

cycles_ok=1
for i in $(seq 1 20); do
	if ! out=$(insmod "$ko" 2>&1 && rmmod zxvmo 2>&1); then
		not_ok "insmod/rmmod cycle $i: $out"
		cycles_ok=0
		break
	fi
done
[ "$cycles_ok" = 1 ] && ok "20 insmod/rmmod cycles"

if load mode=0666; then
	# (The test VM runs no udevd; where one runs, it may still be handling
	# the cycles' events: let it finish.)
	udevadm settle -t 30 2>/dev/null
	check "mode=0666 gives a 0666 node" bash -c \
		'm=$(stat -c %a /dev/zxvmo); [ "$m" = 666 ] || { echo "mode $m"; exit 1; }'
	rmmod zxvmo
fi
if out=$(insmod "$ko" mode=01777 2>&1); then
	not_ok "mode=01777 must be refused, but the module loaded"
	rmmod zxvmo
else
	check "mode=01777 is refused with a reason in the log" bash -c \
		"dmesg | tail -n 5 | grep -q 'mode=0o1777 is not a permission mode'"
fi
check "module absent at the end" bash -c '! grep -q "^zxvmo " /proc/modules'

echo "zxvmo suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
