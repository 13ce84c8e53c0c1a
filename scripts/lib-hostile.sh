# The hostile run's table; sourced by scripts/hostile.sh and scripts/test.sh
# (after scripts/config.sh).
# shellcheck shell=bash

# hostile_table OUTDIR LABEL VM_EXIT: prints the table from a VM run of
# tests/vm/hostile.sh and returns non-zero unless every part passed and the
# kernel reported nothing and leaked nothing.
hostile_table() {
	local out=$1 label=$2 rc=$3 pattern reports leaks fuzz faults races priv
	pattern=$ZXVMO_REPORT_PATTERN
	# (grep -c exits 1 when it counts 0: not an error here.)
	reports=$(sed -n '/zxvmo-vm: hostile starts/,/zxvmo-vm: hostile ends/p' "$out/dmesg.txt" 2>/dev/null |
		grep -cE "$pattern" || true)
	leaks=$(grep -c '^unreferenced object' "$out/kmemleak.txt" 2>/dev/null || true)
	[ -f "$out/kmemleak.txt" ] || leaks=""
	grep -q "zxvmo-vm: hostile starts" "$out/dmesg.txt" 2>/dev/null || reports=""
	fuzz=$(awk '/^ZXVMO-FUZZ-CALLS/ { print $2 }' "$out/hostile.txt" 2>/dev/null || true)
	faults=$(awk '/^ZXVMO-FAULTS/ { n += $2 } END { print n + 0 }' "$out/hostile.txt" 2>/dev/null || true)
	races=$(awk '/^ZXVMO-STRESS-RACES/ { print $2 }' "$out/hostile.txt" 2>/dev/null || true)
	priv=$(sed -n 's/^PRIVILEGE test result: \([a-zA-Z]*\)\. \([0-9]*\) passed.*/\1, \2 passed/p' "$out/hostile.txt" 2>/dev/null || true)
	part() { grep -q "^$1 ok" "$out/hostile.txt" 2>/dev/null && echo ok || echo FAILED; }
	printf '\n%-36s %-14s %s\n' "zxvmo hostile run ($label)" "figure" "part"
	printf '%-36s %-14s %s\n' "ioctl/mmap/poll calls made" "${fuzz:-0}" "fuzz: $(part fuzz)"
	printf '%-36s %-14s %s\n' "allocation faults injected" "${faults:-0}" "faults: $(part faults)"
	printf '%-36s %-14s %s\n' "races run" "${races:-0}" "stress: $(part stress)"
	printf '%-36s %-14s %s\n' "privilege tests" "${priv:-none}" "privilege: $(part privilege)"
	printf '%-36s %-14s %s\n' "kernel reports found (must be 0)" "${reports:-?}" "KASAN/UBSAN/lockdep/WARN/BUG"
	printf '%-36s %-14s %s\n' "leaks (must be 0)" "${leaks:-?}" "kmemleak after rmmod"
	if [ "$rc" -ne 0 ] || [ "${reports:-1}" != 0 ] || [ "${leaks:-1}" != 0 ] ||
		grep -q FAILED "$out/hostile.txt" 2>/dev/null || [ ! -s "$out/hostile.txt" ]; then
		echo "zxvmo hostile ($label): FAIL (logs in $out)"
		return 1
	fi
	echo "zxvmo hostile ($label): PASS"
}
