#!/usr/bin/env bash
# README's test command: does the set-up it needs, then runs every check.
#   scripts/test.sh                     (make test: Linux 6.12 and 7.3)
#   KERNELS=6.12 scripts/test.sh        (make test KERNELS=6.12: one)
#   1. the in-VM tests, the zxvmo tool and Zircon's C library built;
#   2. host checks, in the background beside steps 3 and 4: rustfmt, clippy
#      and `cargo test` of the userspace workspace, the set-up and install
#      checks, and zxvmo.ko built against the kernel configurations no VM
#      run boots (scripts/check-builds.sh);
#   then for each kernel in KERNELS (default: $ZXVMO_DEFAULT_KERNELS), one
#   after the other:
#   3. zxvmo.ko, the self-test module and the claim probe built against it,
#      warning-free, in a tree of its own (out/SERIES/tree);
#   4. one VM boot (tests/vm/ci.sh): the suite (tests/vm/suite.sh with the
#      Rust VM tests), the installed module and C API (tests/vm/installed.sh),
#      a short hostile run (fuzz, fault injection, races, privilege), the
#      lockdown tests (the kernel locked down from then on), and last the
#      harness self-test (a module's WARN must be caught and quoted).
# Ends with one summary line per kernel and one verdict; exits non-zero
# when anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
start=$(date +%s)
KERNELS=${KERNELS:-$ZXVMO_DEFAULT_KERNELS}
export KERNELS
for series in $KERNELS; do
	zxvmo_series_known "$series" || die "KERNELS: unknown kernel series '$series' (known: $ZXVMO_KERNELS)"
done
results=()
step() { say "== [$(($(date +%s) - start))s] $*"; }
record() { results+=("$1"); }

"$here/setup.sh"

step "build the in-VM tests, the zxvmo tool and Zircon's C library"
. "$here/lib-build.sh"
. "$here/lib-hostile.sh"
suite_bins=$(awk '$1 != "lockdown" { print $2 }' <<<"$TEST_BINS")
# The binaries go in a file: the guest's command rides on the kernel
# command line, which holds only 2 KiB.
mkdir -p "$repo/out"
# shellcheck disable=SC2086 # one path per word
printf '%s\n' $suite_bins >"$repo/out/suite-bins.txt"

# host_checks: step 1, beside the VM runs (a TCG guest keeps about one of
# the two cores busy); prints its results, one a line.
host_checks() {
	local t0=$SECONDS
	if rustfmt --check rust/zxvmo_main.rs tests/selftest-warn/warn_main.rs tests/claim-probe/probe_main.rs >&2 &&
		(cd userspace && cargo fmt --check && cargo clippy -q --all-targets -- -D warnings && cargo test -q) >&2 &&
		(cd tests/vmtests && cargo fmt --check && cargo clippy -q --all-targets -- -D warnings) >&2; then
		echo "host: rustfmt, clippy and cargo test: ok"
	else
		echo "host: rustfmt, clippy or cargo test: FAILED (see out/host.log)"
	fi
	if tests/host/setup-respects-the-machine.sh >&2; then
		echo "host: set-up respects the machine: ok"
	else
		echo "host: set-up would not respect the machine: FAILED (see out/host.log)"
	fi
	if tests/host/install-tree.sh >&2; then
		echo "host: make install/uninstall and the DKMS kernel check: ok"
	else
		echo "host: make install/uninstall or the DKMS kernel check: FAILED (see out/host.log)"
	fi
	if "$here/check-builds.sh" >&2; then
		echo "host: zxvmo.ko builds warning-free against the plain and Debian configs: ok"
	else
		echo "host: module builds: FAILED (see out/host.log)"
	fi
	echo "host: $((SECONDS - t0))s, beside the VM runs"
}
step "host: rustfmt, clippy, cargo test, set-up and install checks, module builds for the other configs (in the background: out/host.log)"
host_checks >"$repo/out/host-results.txt" 2>"$repo/out/host.log" &
host_pid=$!

# vm_runs SERIES: steps 3 and 4 on one kernel; records its results.
vm_runs() {
	local series=$1 kdir out tree rc t0 part name verdict secs hostile_rc
	t0=$(date +%s)
	kdir=$(zxvmo_kdir "$series") || die "no $series test kernel: run scripts/setup.sh"
	out="$repo/out/$series"
	tree="$out/tree"
	step "$series: build zxvmo.ko, the self-test module and the claim probe (out/$series/tree)"
	stage_tree "$tree"
	build_modules "$kdir" "$tree"
	record "$series: zxvmo.ko, the self-test module and the claim probe build warning-free"

	step "$series: one VM boot: the suite, the installed module and C API, a short hostile run, lockdown, the harness self-test"
	rm -rf "$out/vm"
	# A 1 GiB guest: every part passes in it on both kernels, and each of
	# the two kmemleak scans at the end (which read the KASAN shadow of all
	# its RAM) takes 6.8 s instead of 9.5.
	set +e
	KDIR="$kdir" "$here/vm-run.sh" --self-test --memory 1G --out "$out/vm" -- tests/vm/ci.sh "$tree/zxvmo.ko" "$kdir" \
		"$FUZZ" "$STRESS" "$(test_bin faults)" "$(test_bin privilege)" "$(test_bin lockdown)" \
		"$tree/out/zxvmo-signed.ko" "$tree/out/zxvmo_selftest_warn-signed.ko" -- "@$repo/out/suite-bins.txt" \
		2>&1 | tee "$out/vm.log"
	rc=${PIPESTATUS[0]}
	set -e
	# The run's verdict on the kernel log covers every part; each part's
	# own verdict is in parts.txt.
	case $rc in
	0) record "$series: kernel log: clean (KASAN, UBSAN, lockdep, kmemleak: nothing)" ;;
	1) record "$series: kernel log: clean (a part failed: below)" ;;
	*) record "$series: VM run: FAILED (harness exit $rc; see above, logs in out/$series/vm)" ;;
	esac
	for part in suite installed hostile lockdown; do
		read -r name verdict secs < <(grep "^$part " "$out/vm/parts.txt" 2>/dev/null) || verdict=""
		case $part:$verdict in
		suite:ok) record "$series: VM suite: ok ($secs)" ;;
		installed:ok) record "$series: installed module and Zircon's C API: ok ($secs)" ;;
		lockdown:ok) [ -f "$out/vm/lockdown.ok" ] && record "$series: VM lockdown: ok, once locked down nothing new reaches device memory, not even from what was taken before ($secs)" ||
			record "$series: VM lockdown: FAILED (no lockdown.ok)" ;;
		hostile:*) ;;
		*) record "$series: VM $part: FAILED${verdict:+ ($secs)} (see above, logs in out/$series/vm)" ;;
		esac
	done
	hostile_rc=1
	grep -q '^hostile ok' "$out/vm/parts.txt" 2>/dev/null && hostile_rc=0
	if hostile_table "$out/vm" "short, $series" "$hostile_rc"; then
		record "$series: VM hostile (short): ok ($(awk '$1 == "hostile" { print $3 }' "$out/vm/parts.txt"))"
	else
		record "$series: VM hostile (short): FAILED (logs in out/$series/vm)"
	fi
	# What the guest wrote through ivshmem's BAR2 must be in the host's file.
	if python3 - "$out/vm/ivshmem.bin" <<'PY'; then
import sys
data = open(sys.argv[1], "rb").read()
want = bytes((i * 31 + 0x5a) % 256 for i in range(64 * 1024))
sys.exit(0 if data[3 << 20:(3 << 20) + len(want)] == want else 1)
PY
		record "$series: host side of ivshmem: ok (the guest's BAR2 pattern is in the backing file)"
	else
		record "$series: host side of ivshmem: FAILED (the guest's pattern is not in out/$series/vm/ivshmem.bin)"
	fi
	if grep -q "harness self-test: the module's WARN was caught" "$out/vm.log" &&
		grep -q "| .*zxvmo harness self-test: this warning must fail the run" "$out/vm.log"; then
		record "$series: harness self-test: ok (the WARN was caught and quoted)"
	else
		record "$series: harness self-test: FAILED (the harness must catch and quote the one WARN)"
	fi
	record "$series: $(($(date +%s) - t0))s on kernel $(basename "$kdir") (VM boot to command: $(boot_secs "$out/vm/dmesg.txt"))"
}

# boot_secs DMESG: the guest's seconds from power-on to its command.
boot_secs() {
	sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] zxvmo-vm: command starts$/\1s/p' "$1" 2>/dev/null | head -n1
}

# One kernel after the other. (Side by side, two 2-CPU TCG guests on two
# host cores gain nothing: each ran an exec-heavy script 1.8 times slower.)
for series in $KERNELS; do
	vm_runs "$series"
done
step "host checks: waiting for them"
wait "$host_pid" || true
if grep -q FAILED "$repo/out/host-results.txt"; then
	tail -n 60 "$repo/out/host.log"
fi
while read -r line; do record "$line"; done <"$repo/out/host-results.txt"

secs=$(($(date +%s) - start))
say "== summary"
failed=0
for r in "${results[@]}"; do
	echo "  $r"
	case $r in *FAILED*) failed=1 ;; esac
done
if [ "$failed" = 0 ]; then
	echo "zxvmo test: PASS (kernels $KERNELS; ${#results[@]} results, ${secs}s)"
else
	echo "zxvmo test: FAIL (kernels $KERNELS; ${secs}s)"
	exit 1
fi
