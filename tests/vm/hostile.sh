#!/bin/bash
# Inside the VM: the hostile-input run. Loads zxvmo, then fuzzes it, runs
# every call under fault injection, races it, and checks privileges; writes
# the figures to $ZXVMO_OUT/hostile.txt for scripts/hostile.sh's table.
#   tests/vm/hostile.sh KO FUZZ STRESS FAULTS_TESTS PRIVILEGE_TESTS CALLS SECONDS
set -u
ko=$1 fuzz=$2 stress=$3 faults=$4 privilege=$5 calls=$6 seconds=$7
out=$ZXVMO_OUT/hostile.txt
: >"$out"
rc=0
# What the kernel logs between these lines is the hostile run's (its table
# counts the reports there).
echo "zxvmo-vm: hostile starts" >/dev/kmsg
trap 'echo "zxvmo-vm: hostile ends" >/dev/kmsg' EXIT
insmod "$ko" || exit 1
part() { # name command...
	local name=$1
	shift
	echo "== $name"
	if "$@" 2>&1 | tee "$ZXVMO_OUT/$name.log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
		echo "$name ok" >>"$out"
	else
		echo "$name FAILED" >>"$out"
		rc=1
	fi
}
part fuzz "$fuzz" --calls "$calls" --seconds 900
part faults "$faults" --test-threads=1 --nocapture
part stress "$stress" --seconds "$seconds"
part privilege "$privilege" --test-threads=1
grep -h '^ZXVMO-FUZZ-CALLS' "$ZXVMO_OUT/fuzz.log" >>"$out"
grep -ho 'ZXVMO-FAULTS [0-9]* .*' "$ZXVMO_OUT/faults.log" >>"$out"
grep -h '^ZXVMO-STRESS-RACES' "$ZXVMO_OUT/stress.log" >>"$out"
grep -h '^test result' "$ZXVMO_OUT/privilege.log" | sed 's/^/PRIVILEGE /' >>"$out"
if ! rmmod zxvmo; then
	echo "rmmod FAILED" >>"$out"
	rc=1
fi
exit $rc
