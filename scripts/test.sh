#!/usr/bin/env bash
# README's test command: does the set-up it needs, then runs every check.
#   1. host: rustfmt, clippy and `cargo test` of the userspace workspace,
#      the set-up checks, and zxvmo.ko built against the debug, plain and
#      Debian kernel configs (scripts/check-builds.sh);
#   2. zxvmo.ko, the self-test module and the in-VM tests built;
#   3. VM boot 1: the suite (tests/vm/suite.sh with the Rust VM tests) and
#      a short hostile run (fuzz, fault injection, races, privilege);
#   4. VM boot 2, with lockdown=integrity: the lockdown tests, then the
#      harness self-test (a module that WARNs must fail the run, quoted).
# Ends with one summary line; exits non-zero when anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"
cd "$repo"
start=$(date +%s)
results=()
step() { say "== $*"; }
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

step "zxvmo.ko against every kernel configuration (debug, plain, Debian's)"
if "$here/check-builds.sh"; then
	record "module builds (debug, plain, debian configs): ok"
else
	record "module builds: FAILED (see above)"
fi

step "build zxvmo.ko, the self-test module and the in-VM tests"
. "$here/lib-build.sh"
. "$here/lib-hostile.sh"
make -s -C "$kdir" M="$repo/tests/selftest-warn" LLVM=1 RUSTC="$KERNEL_RUSTC" \
	HOSTRUSTC="$KERNEL_RUSTC" modules || die "building the self-test module failed"
# The stand-in for a kernel driver that tests/vmtests/tests/claims.rs loads.
make -s -C "$kdir" M="$repo/tests/claim-probe" LLVM=1 RUSTC="$KERNEL_RUSTC" \
	HOSTRUSTC="$KERNEL_RUSTC" modules || die "building the claim-probe module failed"
# Under lockdown only signed modules load: sign copies with the test
# kernel's own build key.
mkdir -p out
for ko in zxvmo.ko tests/selftest-warn/zxvmo_selftest_warn.ko; do
	signed="out/$(basename "$ko" .ko)-signed.ko"
	cp "$ko" "$signed"
	"$kdir/scripts/sign-file" sha512 "$kdir/certs/signing_key.pem" \
		"$kdir/certs/signing_key.x509" "$signed" || die "signing $ko failed"
done
suite_bins=$(awk '$1 != "lockdown" { print $2 }' <<<"$TEST_BINS")

step "VM boot 1: the suite, then a short hostile run"
set +e
# shellcheck disable=SC2086 # one path per word
# The binaries go in a file: the guest's command rides on the kernel
# command line, which holds only 2 KiB.
printf '%s\n' $suite_bins >"$repo/out/suite-bins.txt"
"$here/vm-run.sh" --out "$repo/out/ci" -- tests/vm/ci.sh "$repo/zxvmo.ko" "$FUZZ" "$STRESS" \
	"$(test_bin faults)" "$(test_bin privilege)" -- "@$repo/out/suite-bins.txt"
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
	record "VM suite: ok"
else
	record "VM suite: FAILED (harness exit $rc; see above, logs in out/ci)"
fi
if hostile_table "$repo/out/ci" short "$rc"; then
	record "VM hostile (short): ok"
else
	record "VM hostile (short): FAILED (logs in out/ci)"
fi
# What the guest wrote through ivshmem's BAR2 must be in the host's file.
if python3 - "$repo/out/ci/ivshmem.bin" <<'PY'; then
import sys
data = open(sys.argv[1], "rb").read()
want = bytes((i * 31 + 0x5a) % 256 for i in range(64 * 1024))
sys.exit(0 if data[3 << 20:(3 << 20) + len(want)] == want else 1)
PY
	record "host side of ivshmem: ok (the guest's BAR2 pattern is in the backing file)"
else
	record "host side of ivshmem: FAILED (the guest's pattern is not in out/ci/ivshmem.bin)"
fi

step "VM boot 2 (lockdown=integrity): lockdown tests, then the harness self-test"
set +e
selftest=$("$here/vm-run.sh" --lockdown --out "$repo/out/lockdown" -- tests/vm/lockdown.sh \
	out/zxvmo-signed.ko "$(test_bin lockdown)" out/zxvmo_selftest_warn-signed.ko 2>&1)
rc=$?
set -e
echo "$selftest" | tail -n 12
if [ -f out/lockdown/lockdown.ok ]; then
	record "VM lockdown: ok (even root is refused the root resource)"
else
	record "VM lockdown: FAILED (logs in out/lockdown)"
fi
# The run must fail (100) on exactly one finding: the self-test's WARN.
findings=$(grep -c "finding: " <<<"$selftest" || true)
if [ "$rc" -eq 100 ] && [ "$findings" = 1 ] &&
	grep -q "finding: .*WARNING:.*zxvmo_selftest_warn" <<<"$selftest" &&
	grep -q "| .*zxvmo harness self-test: this warning must fail the run" <<<"$selftest"; then
	record "harness self-test: ok (the WARN was caught and quoted)"
else
	record "harness self-test: FAILED (harness exit $rc, $findings findings; it must catch and quote the one WARN)"
fi

secs=$(($(date +%s) - start))
say "== summary"
failed=0
for r in "${results[@]}"; do
	echo "  $r"
	case $r in *FAILED*) failed=1 ;; esac
done
if [ "$failed" = 0 ]; then
	echo "zxvmo test: PASS (${#results[@]} groups, ${secs}s)"
else
	echo "zxvmo test: FAIL (${secs}s)"
	exit 1
fi
