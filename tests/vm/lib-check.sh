# One line per check, for the in-VM scripts (tests/vm/suite.sh and
# tests/vm/installed.sh); sourced. Counts in $passed and $failed.
# shellcheck shell=bash
failed=0
passed=0
# Each line ends with the seconds since the one before.
last=$SECONDS
ok() { echo "ok   - $* [$((SECONDS - last))s]"; passed=$((passed + 1)); last=$SECONDS; }
not_ok() { echo "FAIL - $* [$((SECONDS - last))s]"; failed=$((failed + 1)); last=$SECONDS; }
# check NAME COMMAND...: ok when COMMAND succeeds, else FAIL with the last
# 20 lines of what it printed.
check() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name: $(tail -n 20 <<<"$out")"; fi
}
