#!/bin/bash
# `make test`'s one VM boot on a kernel, in order: the suite, zxvmo as a
# user installs it (tests/vm/installed.sh, from the tree KO was built in),
# the short hostile run, the lockdown tests (which lock the kernel down for
# the rest of the boot), and last the harness self-test: a signed module
# that WARNs, which scripts/vm-run.sh --self-test must catch and quote.
#   tests/vm/ci.sh KO KDIR FUZZ STRESS FAULTS_TESTS PRIVILEGE_TESTS \
#       LOCKDOWN_TESTS SIGNED_KO SIGNED_WARN_KO -- TESTBIN...|@LISTFILE
# A @LISTFILE names the test binaries one per line: the kernel command
# line that carries the guest's command holds only 2 KiB. Writes a line per
# part to $ZXVMO_OUT/parts.txt ("suite ok", "hostile FAILED", ...).
set -u
here=$(dirname "$0")
ko=$1 kdir=$2 fuzz=$3 stress=$4 faults=$5 privilege=$6 lockdown=$7 signed=$8 warn=$9
shift 9
[ "${1:-}" = -- ] && shift
if [ $# -eq 1 ] && [ "${1#@}" != "$1" ]; then
	mapfile -t bins <"${1#@}"
	set -- "${bins[@]}"
fi
parts=$ZXVMO_OUT/parts.txt
: >"$parts"
rc=0
part() { # name command...
	local name=$1 t0=$SECONDS
	shift
	echo "== $name"
	if "$@"; then
		echo "$name ok $((SECONDS - t0))s" >>"$parts"
	else
		echo "$name FAILED $((SECONDS - t0))s" >>"$parts"
		rc=1
	fi
}
part suite "$here/suite.sh" "$ko" "$@"
part installed "$here/installed.sh" "$(dirname "$ko")" "$kdir"
part hostile "$here/hostile.sh" "$ko" "$fuzz" "$stress" "$faults" "$privilege" 50000 10
part lockdown "$here/lockdown.sh" "$signed" "$lockdown"
# Last: everything after this line in the kernel log is the self-test's.
echo "== harness self-test (a WARN on purpose)"
echo "zxvmo-vm: self-test starts" >/dev/kmsg
insmod "$warn"
exit $rc
