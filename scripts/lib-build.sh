# Builds what the VM runs; sourced by scripts/test.sh, scripts/check.sh and
# scripts/hostile.sh.
# shellcheck shell=bash
# Sets: TEST_BINS (name path lines of the in-VM Rust test binaries, by name:
# the suite runs them in this order, the same in every run), FUZZ and
# STRESS (release tools); builds the zxvmo tool and Zircon's C library.
# Defines build_modules KDIR [DIR]: zxvmo.ko and the tests' helper modules
# against one kernel tree (warning-free), and signed copies for the lockdown
# boot; and stage_tree DIR: a tree of its own for one kernel's modules.

export CARGO_TARGET_DIR="$repo/userspace/target"
TEST_BINS=$(cd "$repo/tests/vmtests" && cargo test -q --release --no-run --message-format=json |
	python3 -c 'import json,sys
bins = []
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        bins.append((m["target"]["name"], m["executable"]))
for name, path in sorted(bins):
    print(name, path)')
[ -n "$TEST_BINS" ] || die "no VM test binaries were built"
(cd "$repo/tests/vmtests" && cargo build -q --release --bins) || die "building the VM tools failed"
# The inspection tool and the demo driver, which tests/vmtests/tests/inspect.rs
# and refusals.rs run.
(cd "$repo/userspace" && cargo build -q --release -p zxvmo-tool -p zxvmo-edu) ||
	die "building the zxvmo tool and the demo driver failed"
# Zircon's C API library, which tests/vm/installed.sh installs.
make -s -C "$repo" lib || die "building libzxvmo_zircon failed"
FUZZ="$CARGO_TARGET_DIR/release/zxvmo-fuzz"
STRESS="$CARGO_TARGET_DIR/release/zxvmo-stress"
test_bin() { awk -v n="$1" '$1 == n { print $2 }' <<<"$TEST_BINS"; }

# build_modules KDIR [DIR]: zxvmo.ko, the self-test module and the claim
# probe, built in DIR (default: the repository; Kbuild rebuilds what
# another kernel left) against KDIR, and DIR/out/*-signed.ko: copies signed
# with KDIR's own build key, as lockdown loads only signed modules. A
# compiler warning fails it as an error does: these builds are the warning
# check for the test kernels' configs (scripts/check-builds.sh checks the
# other configs).
build_modules() {
	local kdir=$1 dir=${2:-$repo} ko signed what log args
	# The last: the stand-in for a kernel driver that claims.rs loads.
	for what in "" tests/selftest-warn tests/claim-probe; do
		args=()
		[ -z "$what" ] || args=(M="$dir/$what")
		if ! log=$(make -s -C "$dir" KDIR="$kdir" "${args[@]}" modules 2>&1); then
			printf '%s\n' "$log" >&2
			die "building ${what:-zxvmo.ko} against $kdir failed"
		fi
		[ -z "$log" ] || printf '%s\n' "$log" >&2
		[ -z "$(build_warnings "$log")" ] ||
			die "building ${what:-zxvmo.ko} against $kdir printed warnings (above)"
	done
	mkdir -p "$dir/out"
	for ko in zxvmo.ko tests/selftest-warn/zxvmo_selftest_warn.ko; do
		signed="$dir/out/$(basename "$ko" .ko)-signed.ko"
		cp "$dir/$ko" "$signed"
		"$kdir/scripts/sign-file" sha512 "$kdir/certs/signing_key.pem" \
			"$kdir/certs/signing_key.x509" "$signed" || die "signing $ko failed"
	done
}

# stage_tree DIR: a fresh tree with what build_modules and the guest's
# `make install` (tests/vm/installed.sh) need: the module's sources, the
# helper modules', the packaging files and headers, tests/c, and the
# repository's userspace build (linked). Each kernel's VM runs use their
# own: the guest installs the very module under test, and the repository's
# own zxvmo.ko (make check's) is left alone.
stage_tree() {
	local dest=$1 t
	rm -rf "$dest"
	zxvmo_copy_sources "$dest"
	cp -r "$repo/packaging" "$dest/"
	cp "$repo/userspace/Cargo.toml" "$dest/userspace/"
	cp -r "$repo/userspace/zxvmo-abi/include" "$dest/userspace/zxvmo-abi/"
	mkdir -p "$dest/userspace/zxvmo-c" "$dest/tests/c"
	cp -r "$repo/userspace/zxvmo-c/include" "$dest/userspace/zxvmo-c/"
	cp "$repo/tests/c/zircon-api.c" "$dest/tests/c/"
	for t in selftest-warn claim-probe; do
		mkdir -p "$dest/tests/$t"
		cp "$repo/tests/$t/Kbuild" "$repo/tests/$t"/*.rs "$repo/tests/$t"/*.c "$dest/tests/$t/"
	done
	ln -s "$CARGO_TARGET_DIR" "$dest/userspace/target"
}
