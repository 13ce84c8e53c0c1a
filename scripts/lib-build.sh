# Builds what the VM runs; sourced by scripts/test.sh and scripts/hostile.sh.
# shellcheck shell=bash
# Sets: kdir, TEST_BINS (name path lines of the in-VM Rust test binaries),
# FUZZ and STRESS (release tools).

export CARGO_TARGET_DIR="$repo/userspace/target"
kdir=$(zxvmo_kdir) || die "no test kernel: run scripts/setup.sh"
make -s -C "$repo" KDIR="$kdir" modules || die "building zxvmo.ko failed"
TEST_BINS=$(cd "$repo/tests/vmtests" && cargo test -q --release --no-run --message-format=json |
	python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])')
[ -n "$TEST_BINS" ] || die "no VM test binaries were built"
(cd "$repo/tests/vmtests" && cargo build -q --release --bins) || die "building the VM tools failed"
# The inspection tool, which tests/vmtests/tests/inspect.rs runs.
(cd "$repo/userspace" && cargo build -q --release -p zxvmo-tool) || die "building the zxvmo tool failed"
FUZZ="$CARGO_TARGET_DIR/release/zxvmo-fuzz"
STRESS="$CARGO_TARGET_DIR/release/zxvmo-stress"
test_bin() { awk -v n="$1" '$1 == n { print $2 }' <<<"$TEST_BINS"; }
