#!/usr/bin/env bash
# README's test command: does the set-up it needs, then runs every check.
#   scripts/test.sh                     (make test: Linux 6.12)
#   KERNELS="6.12 7.3" scripts/test.sh  (make test KERNELS="6.12 7.3")
#   1. host: rustfmt, clippy and `cargo test` of the userspace workspace,
#      the set-up and install checks, and zxvmo.ko built against every
#      kernel configuration (scripts/check-builds.sh);
#   2. the in-VM tests, the zxvmo tool and Zircon's C library built;
#   then for each kernel in KERNELS (default: $ZXVMO_DEFAULT_KERNELS), one
#   after the other:
#   3. zxvmo.ko, the self-test module and the claim probe built against it,
#      in a tree of its own (out/SERIES/tree);
#   4. VM boot 1: the suite (tests/vm/suite.sh with the Rust VM tests), the
#      installed module and C API (tests/vm/installed.sh) and a short
#      hostile run (fuzz, fault injection, races, privilege);
#   5. VM boot 2, with lockdown=integrity: the lockdown tests, then the
#      harness self-test (a module that WARNs must fail the run, quoted).
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

step "host: format, lint and unit tests"
rustfmt --check rust/zxvmo_main.rs tests/selftest-warn/warn_main.rs tests/claim-probe/probe_main.rs ||
	die "kernel crates are not rustfmt-clean (make fmt)"
(cd userspace && cargo fmt --check && cargo clippy -q --all-targets -- -D warnings && cargo test -q) ||
	die "userspace workspace: fmt, clippy or cargo test failed"
(cd tests/vmtests && cargo fmt --check && cargo clippy -q --all-targets -- -D warnings) ||
	die "tests/vmtests: fmt or clippy failed"
tests/host/setup-respects-the-machine.sh || die "set-up would not respect the machine (issue 13)"
tests/host/install-tree.sh || die "make install/uninstall or the DKMS kernel check failed"
record "host checks: ok"

step "zxvmo.ko against every kernel configuration (debug $KERNELS, plain, Debian's)"
if "$here/check-builds.sh"; then
	record "module builds (debug $KERNELS, plain, debian configs): ok"
else
	record "module builds: FAILED (see above)"
fi

step "build the in-VM tests, the zxvmo tool and Zircon's C library"
. "$here/lib-build.sh"
. "$here/lib-hostile.sh"
suite_bins=$(awk '$1 != "lockdown" { print $2 }' <<<"$TEST_BINS")
# The binaries go in a file: the guest's command rides on the kernel
# command line, which holds only 2 KiB.
mkdir -p "$repo/out"
# shellcheck disable=SC2086 # one path per word
printf '%s\n' $suite_bins >"$repo/out/suite-bins.txt"

# vm_runs SERIES: steps 3 to 5 on one kernel; records its results.
vm_runs() {
	local series=$1 kdir out tree rc selftest findings t0
	t0=$(date +%s)
	kdir=$(zxvmo_kdir "$series") || die "no $series test kernel: run scripts/setup.sh"
	out="$repo/out/$series"
	tree="$out/tree"
	step "$series: build zxvmo.ko, the self-test module and the claim probe (out/$series/tree)"
	stage_tree "$tree"
	build_modules "$kdir" "$tree"

	step "$series: VM boot 1: the suite, the installed module and C API, a short hostile run"
	set +e
	KDIR="$kdir" "$here/vm-run.sh" --out "$out/ci" -- tests/vm/ci.sh "$tree/zxvmo.ko" "$kdir" \
		"$FUZZ" "$STRESS" "$(test_bin faults)" "$(test_bin privilege)" -- "@$repo/out/suite-bins.txt"
	rc=$?
	set -e
	if [ "$rc" -eq 0 ]; then
		record "$series: VM suite and installed module: ok"
	else
		record "$series: VM suite: FAILED (harness exit $rc; see above, logs in out/$series/ci)"
	fi
	if hostile_table "$out/ci" "short, $series" "$rc"; then
		record "$series: VM hostile (short): ok"
	else
		record "$series: VM hostile (short): FAILED (logs in out/$series/ci)"
	fi
	# What the guest wrote through ivshmem's BAR2 must be in the host's file.
	if python3 - "$out/ci/ivshmem.bin" <<'PY'; then
import sys
data = open(sys.argv[1], "rb").read()
want = bytes((i * 31 + 0x5a) % 256 for i in range(64 * 1024))
sys.exit(0 if data[3 << 20:(3 << 20) + len(want)] == want else 1)
PY
		record "$series: host side of ivshmem: ok (the guest's BAR2 pattern is in the backing file)"
	else
		record "$series: host side of ivshmem: FAILED (the guest's pattern is not in out/$series/ci/ivshmem.bin)"
	fi

	step "$series: VM boot 2 (lockdown=integrity): lockdown tests, then the harness self-test"
	set +e
	selftest=$(KDIR="$kdir" "$here/vm-run.sh" --lockdown --out "$out/lockdown" -- tests/vm/lockdown.sh \
		"$tree/out/zxvmo-signed.ko" "$(test_bin lockdown)" "$tree/out/zxvmo_selftest_warn-signed.ko" 2>&1)
	rc=$?
	set -e
	echo "$selftest" | tail -n 12
	if [ -f "$out/lockdown/lockdown.ok" ]; then
		record "$series: VM lockdown: ok (even root is refused the root resource)"
	else
		record "$series: VM lockdown: FAILED (logs in out/$series/lockdown)"
	fi
	# The run must fail (100) on exactly one finding: the self-test's WARN.
	findings=$(grep -c "finding: " <<<"$selftest" || true)
	if [ "$rc" -eq 100 ] && [ "$findings" = 1 ] &&
		grep -q "finding: .*WARNING:.*zxvmo_selftest_warn" <<<"$selftest" &&
		grep -q "| .*zxvmo harness self-test: this warning must fail the run" <<<"$selftest"; then
		record "$series: harness self-test: ok (the WARN was caught and quoted)"
	else
		record "$series: harness self-test: FAILED (harness exit $rc, $findings findings; it must catch and quote the one WARN)"
	fi
	record "$series: $(($(date +%s) - t0))s on kernel $(basename "$kdir")"
}

# One kernel after the other. (Side by side, two 2-CPU TCG guests on two
# host cores starve each other: a second guest booted beside a running one
# did not reach its command in 9 minutes.)
for series in $KERNELS; do
	vm_runs "$series"
done

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
