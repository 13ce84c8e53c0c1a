#!/usr/bin/env bash
# Runs a command as root inside a virtme-ng VM booted on zxvmo's test kernel,
# with QEMU's edu device and an ivshmem-plain device backed by a host file,
# then fails if the guest's kernel log holds any KASAN, UBSAN, lockdep,
# kmemleak, WARN, BUG or Oops report, quoting it.
#
#   scripts/vm-run.sh [--self-test] [--icount] [--memory SIZE] [--out DIR] [--] command [args...]
#
# --self-test: the command's last act is the harness self-test (it logs
# "zxvmo-vm: self-test starts", then loads a module that WARNs). That WARN
# must be the one finding after the line, and is quoted like any other;
# the run is judged by what came before it.
# --icount runs QEMU with -icount shift=0,sleep=off: guest time advances
# one nanosecond per guest instruction (for repeatable benchmarks).
# --memory: the guest's RAM (QEMU's -m; default 2G; make test and make
# check boot 1G). Each kmemleak scan also reads the KASAN shadow of all of
# it: a 1G guest scans in 6.8 s, a 2G one in 9.5 s.
#
# The command runs in the repo's directory (the host filesystem is shared
# read-only, with writable overlays). In the guest, ZXVMO_OUT is a writable
# directory shared with the host, and ZXVMO_IVSHMEM_FILE the host file behind
# the ivshmem BAR2 (mapped shared: guest writes land in it).
# Exit status: the command's, or 100 when the kernel reported something,
# or 101 when the guest died without reporting, or 102 when the self-test's
# WARN was not caught.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
. "$here/config.sh"

# no5lvl: with 5-level paging, the KASAN kernel under TCG sometimes
# reports a wild access from an interrupt in early boot.
# mitigations=off: CPU side-channel mitigations guard nothing the tests
# check, and under TCG they cost: the 7.3 kernel (built by clang-19 with
# return thunks and call-depth tracking) boots in 24 s instead of 68 s.
# rootflags: virtme-ng's own, plus cache=loose (the last rootflags= wins):
# the guest only reads the host's root, which nothing changes during a
# run, and every exec then stops reading its binary and libraries over 9p
# again (an exec took 1 s, now under 0.5).
# log_buf_len: a whole run's kernel log must survive to be judged (the
# default 128 KiB lost the start of a run to the OOM reports of the
# memory-cgroup tests).
cmdline="no5lvl mitigations=off log_buf_len=16M"
cmdline+=" rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose"
self_test=0
icount=""
memory=2G
out=""
while [ $# -gt 0 ]; do
	case $1 in
	--self-test) self_test=1; shift ;;
	--icount) icount=" -icount shift=0,sleep=off"; shift ;;
	--memory) memory=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "usage: vm-run.sh [--self-test] [--icount] [--memory SIZE] [--out DIR] [--] command..."
kdir=${KDIR:-$(zxvmo_kdir)} || die "no test kernel: run scripts/setup.sh"
[ -f "$kdir/arch/x86/boot/bzImage" ] || die "no bzImage in $kdir"

out=${out:-$repo/out/vm-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ivshmem="$out/ivshmem.bin"

# Two more ivshmem devices give BARs big enough for huge entries: 64 MiB
# (PMDs) and 1 GiB (a PUD), over sparse host files.
ivshmem_64m="$out/ivshmem-64m.bin"
ivshmem_1g="$out/ivshmem-1g.bin"
qemu_opts="-device edu -object memory-backend-file,size=4M,share=on,mem-path=$ivshmem,id=hostmem -device ivshmem-plain,memdev=hostmem"
qemu_opts+=" -object memory-backend-file,size=64M,share=on,mem-path=$ivshmem_64m,id=hostmem64m -device ivshmem-plain,memdev=hostmem64m"
qemu_opts+=" -object memory-backend-file,size=1G,share=on,mem-path=$ivshmem_1g,id=hostmem1g -device ivshmem-plain,memdev=hostmem1g$icount"

qemu=$("$here/qemu.sh") || die "no usable QEMU: run scripts/setup.sh"
# The VM's init (tests/vmtests/src/bin/zxvmo-vm-init.rs; scripts/lib-build.sh
# builds it with the VM tools, and this only when it is missing or stale).
init="$repo/userspace/target/release/zxvmo-vm-init"
if [ ! "$init" -nt "$repo/tests/vmtests/src/bin/zxvmo-vm-init.rs" ]; then
	(cd "$repo/tests/vmtests" && CARGO_TARGET_DIR="$repo/userspace/target" \
		cargo build -q --release --bin zxvmo-vm-init) || die "building zxvmo-vm-init failed"
fi

# KVM only when this machine proved that it works (nested KVM hangs or
# dies here). A firmware-only boot (SeaBIOS to "No bootable device", under
# a second when KVM works) decides first; only when it passes does a real
# kernel boot (up to 60 s) confirm. The answer is cached per machine and
# QEMU.
accel=(--disable-kvm)
probe="$ZXVMO_CACHE/kvm-probe-$( (hostname; grep -m1 'model name' /proc/cpuinfo; "$qemu" --version | head -n1) | sha256sum | cut -c1-12)"
if [ "${ZXVMO_KVM:-probe}" = probe ] && [ -w /dev/kvm ]; then
	if [ ! -f "$probe" ]; then
		log=$(mktemp)
		say "probing KVM: a firmware-only boot"
		# In a subshell of its own, so its death (nested KVM aborts) is not
		# announced by this shell.
		(exec "$qemu" -accel kvm -M pc -cpu host -m 64 -nodefaults -display none -no-reboot \
			-chardev "file,id=fw,path=$log" -device isa-debugcon,iobase=0x402,chardev=fw \
			</dev/null >/dev/null 2>&1) 2>/dev/null &
		qpid=$!
		answer=no
		for _ in $(seq 1 50); do
			grep -qa "No bootable device" "$log" && { answer=maybe; break; }
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		rm -f "$log"
		if [ "$answer" = maybe ]; then
			say "KVM runs firmware; confirming with a kernel boot (at most 60 s, once)"
			if timeout -k 5 60 setsid vng -r "$kdir" --qemu "$qemu" --user root --disable-microvm \
				-- true </dev/null >/dev/null 2>&1; then
				answer=yes
			else
				answer=no
			fi
			pkill -f "qemu-system.*$(readlink -f "$kdir")" 2>/dev/null || true
		fi
		say "KVM usable: $answer (cached in $probe)"
		echo "$answer" >"$probe"
	fi
	[ "$(cat "$probe")" = yes ] && accel=()
elif [ "${ZXVMO_KVM:-}" = 1 ]; then
	accel=()
fi

pattern=$ZXVMO_REPORT_PATTERN

boot() {
	rm -f "$out/rc" "$out/dmesg.txt" "$out/kmemleak.txt" "$ivshmem" "$ivshmem_64m" "$ivshmem_1g"
	truncate -s 4M "$ivshmem"
	truncate -s 64M "$ivshmem_64m"
	truncate -s 1G "$ivshmem_1g"
	# The host's side of the ivshmem checks: the last page holds byte
	# i*7+3, which the guest must read through BAR2.
	python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) % 256 for i in range(4096)))' |
		dd of="$ivshmem" bs=4096 seek=1023 conv=notrunc status=none
	say "booting $(basename "$(readlink -f "$kdir")") ${accel[*]:-(KVM)} ($cmdline): $*"
	# virtme-ng builds the QEMU command (its root share, overlays, the
	# --rwdir share, its serial ports, the command); the VM boots it with
	# zxvmo-vm-init as init instead of virtme-ng-init, whose udev coldplug
	# and tmpfiles run cost 55 s of each boot here (see its source).
	local vng_cmd
	vng_cmd=$(vng -r "$kdir" --qemu "$qemu" --user root "${accel[@]}" --disable-microvm --cpus 2 --memory "$memory" \
		--rwdir="$out" --cwd="$repo" --append="$cmdline" \
		--qemu-opts="$qemu_opts" --dry-run -- "$here/vm-guest.sh" "$out" "$@" </dev/null) ||
		die "vng --dry-run could not build the QEMU command"
	mapfile -d '' -t qemu_argv < <(python3 - "$vng_cmd" "$init" "$out/virtme.ret" <<'PY'
import re, shlex, sys
argv, init, ret = shlex.split(sys.argv[1]), sys.argv[2], sys.argv[3]
inits = 0
for i, a in enumerate(argv):
    if i and argv[i - 1] == "-append":
        a, inits = re.subn(r"(^| )init=\S+$", r"\1init=" + init, a)
    a = re.sub(r"^(file,id=ret,path=).*$", r"\g<1>" + ret, a)
    argv[i] = a
if inits != 1:
    sys.exit("vm-run.sh: no init= at the end of virtme-ng's kernel command line")
sys.stdout.write("".join(a + "\0" for a in argv))
PY
	)
	[ "${#qemu_argv[@]}" -gt 1 ] || die "could not read virtme-ng's QEMU command"
	set +e
	# Through a pipe: QEMU reopens its stdout, which truncates a file.
	"${qemu_argv[@]}" </dev/null 2>&1 | tee "$out/console.log"
	qemu_rc=${PIPESTATUS[0]}
	set -e
}

# A report the kernel makes while booting, before the command starts, is
# not the command's, but it turns lock debugging off for the rest of the
# run: boot once more, and fail only if that happens again.
for attempt in 1 2; do
	boot "$@"
	if [ ! -f "$out/dmesg.txt" ]; then
		# A guest that died before its command reported (QEMU or
		# its init failing at start, seen rarely under TCG) gets one
		# more boot; dying twice fails the run below.
		[ "$attempt" = 1 ] || break
		say "the guest died before reporting (QEMU exit $qemu_rc); booting again"
		continue
	fi
	boot_findings=$(sed '/zxvmo-vm: command starts/q' "$out/dmesg.txt" | grep -E "$pattern" || true)
	[ -n "$boot_findings" ] && [ "$attempt" = 1 ] || break
	say "the kernel reported a problem while booting, before the command ran; booting again:"
	echo "$boot_findings" | head -n 3 | sed 's/^/  boot: /' >&2
done

if [ ! -f "$out/dmesg.txt" ]; then
	say "FAIL: the guest died before reporting (QEMU exit $qemu_rc; its output: $out/console.log)"
	exit 101
fi
rc=$(cat "$out/rc")

# quote FINDINGS: the findings (grep -n lines of dmesg.txt), then the log
# from the first one.
quote() {
	local first
	first=$(echo "$1" | head -n1 | cut -d: -f1)
	echo "$1" | head -n 20 | sed 's/^/  finding: /' >&2
	echo "  --- kernel log from the first finding ---" >&2
	sed -n "$((first > 3 ? first - 3 : 1)),$((first + 40))p" "$out/dmesg.txt" | sed 's/^/  | /' >&2
}

# Findings in the kernel log. Lines the debug kernel prints at every boot
# (lockdep's banner, kmemleak's init) do not match the pattern. Leaks are
# judged from kmemleak.txt, which holds only the command's (vm-guest.sh).
findings=$(grep -nE "$pattern" "$out/dmesg.txt" || true)
self_findings=""
if [ "$self_test" = 1 ]; then
	mark=$(grep -n "zxvmo-vm: self-test starts" "$out/dmesg.txt" | head -n1 | cut -d: -f1)
	if [ -n "$mark" ]; then
		self_findings=$(awk -F: -v m="$mark" '$1 > m' <<<"$findings")
		findings=$(awk -F: -v m="$mark" '$1 < m' <<<"$findings")
	fi
fi
leaks=""
[ -s "$out/kmemleak.txt" ] && leaks=$(head -n 40 "$out/kmemleak.txt")
if [ -n "$findings" ] || [ -n "$leaks" ]; then
	say "FAIL: the guest kernel reported problems (full log: $out/dmesg.txt)"
	[ -z "$findings" ] || quote "$findings"
	[ -z "$leaks" ] || { echo "  --- kmemleak ---" >&2; echo "$leaks" | sed 's/^/  | /' >&2; }
	exit 100
fi
if [ "$self_test" = 1 ]; then
	# The self-test's WARN, and nothing else, must be caught and quoted.
	if [ "$(grep -c . <<<"$self_findings")" = 1 ] && grep -q "WARNING:.*zxvmo_selftest_warn" <<<"$self_findings"; then
		say "harness self-test: the module's WARN was caught, as any report would be:"
		quote "$self_findings"
	else
		say "FAIL: harness self-test: the one finding after its start must be its WARN; found:"
		[ -z "$self_findings" ] && echo "  (nothing: this harness would miss a WARN)" >&2
		[ -z "$self_findings" ] || quote "$self_findings"
		exit 102
	fi
fi
[ "$rc" -eq 0 ] || say "FAIL: the command exited with $rc"
[ "$rc" -ne 0 ] || say "ok: command passed, kernel log clean ($out)"
exit "$rc"
