#!/bin/bash
# One VM boot for `make test`: the suite, then the short hostile run.
#   tests/vm/ci.sh KO KDIR FUZZ STRESS FAULTS_TESTS PRIVILEGE_TESTS -- TESTBIN...
#   tests/vm/ci.sh KO KDIR FUZZ STRESS FAULTS_TESTS PRIVILEGE_TESTS -- @LISTFILE
# Between the two: zxvmo as a user installs it (tests/vm/installed.sh),
# from the tree KO was built in.
# A @LISTFILE names the test binaries one per line: the kernel command
# line that carries the guest's command holds only 2 KiB.
set -u
here=$(dirname "$0")
ko=$1 kdir=$2 fuzz=$3 stress=$4 faults=$5 privilege=$6
shift 6
[ "${1:-}" = -- ] && shift
if [ $# -eq 1 ] && [ "${1#@}" != "$1" ]; then
	mapfile -t bins <"${1#@}"
	set -- "${bins[@]}"
fi
rc=0
"$here/suite.sh" "$ko" "$@" || rc=1
echo "== installed"
"$here/installed.sh" "$(dirname "$ko")" "$kdir" || rc=1
echo "== hostile input (short)"
"$here/hostile.sh" "$ko" "$fuzz" "$stress" "$faults" "$privilege" 50000 10 || rc=1
exit $rc
