#!/bin/bash
# Runs inside the VM (as root, on the test kernel): wraps one command so the
# host can judge the kernel's log afterwards.
#   vm-guest.sh OUTDIR command [args...]
# Writes OUTDIR/rc (the command's exit code), OUTDIR/dmesg.txt (the whole
# kernel log) and OUTDIR/kmemleak.txt (the leaks of objects allocated after
# the command started).
out=$1
shift
# The host's environment does not cross into the guest: set what tests use.
export ZXVMO_OUT=$out
export ZXVMO_IVSHMEM_FILE=$out/ivshmem.bin
# (By the shell's builtins where it can: under TCG every exec costs a
# quarter to half a second.)
debugfs=0
while read -r _ mnt fstype _; do
	[ "$mnt $fstype" != "/sys/kernel/debug debugfs" ] || debugfs=1
done </proc/mounts
[ "$debugfs" = 1 ] || mount -t debugfs none /sys/kernel/debug
leak=/sys/kernel/debug/kmemleak
# Opened now: a command may lock the kernel down (tests/vm/lockdown.sh),
# after which debugfs refuses to open writable files, but what is open
# stays usable.
if [ -w "$leak" ] && exec 8<"$leak" 9>"$leak"; then
	kmemleak=1
fi
# Instead of a scan now (8 s under TCG) to set aside what boot left
# unreferenced, the report at the end keeps only objects allocated after
# this instant (kmemleak stamps each with its jiffies).
start_jiffies=""
while IFS= read -r line; do
	case $line in "jiffies: "*) start_jiffies=${line#jiffies: } && break ;; esac
done </proc/timer_list
read -r release </proc/sys/kernel/osrelease
cpus=0
while read -r key _; do [ "$key" != processor ] || cpus=$((cpus + 1)); done </proc/cpuinfo
echo "zxvmo-vm: kernel $release, $cpus CPUs" >&2
# The host judges only what the kernel logs after this line; a report from
# before it (boot) makes the host boot again.
echo "zxvmo-vm: command starts" >/dev/kmsg
"$@"
rc=$?
echo "zxvmo-vm: command ended ($rc)" >/dev/kmsg
if [ "${kmemleak:-0}" = 1 ]; then
	# kmemleak reports an object once it has been unreferenced, unchanged
	# and at least 5 s old across two scans.
	ended=$SECONDS
	echo scan >&9
	sleep $((5 - (SECONDS - ended) > 0 ? 5 - (SECONDS - ended) : 0))
	echo scan >&9
	# (A report whose stamp cannot be read is kept: it fails the run.)
	awk -v start="$start_jiffies" '
		/^unreferenced object/ { flush(); block = $0 "\n"; j = -1; next }
		block != "" { block = block $0 "\n" }
		/^  comm ".*", pid [0-9]+, jiffies [0-9]+/ { j = $NF + 0 }
		function flush() { if (block != "" && (j < 0 || j >= start)) printf "%s", block; block = "" }
		END { flush() }' <&8 >"$out/kmemleak.txt"
	echo "zxvmo-vm: kmemleak scanned" >/dev/kmsg
fi
dmesg >"$out/dmesg.txt"
echo "$rc" >"$out/rc"
exit "$rc"
