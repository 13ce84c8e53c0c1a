#!/bin/bash
# Runs inside the VM (as root, on the test kernel): wraps one command so the
# host can judge the kernel's log afterwards.
#   vm-guest.sh OUTDIR command [args...]
# Writes OUTDIR/rc (the command's exit code), OUTDIR/dmesg.txt (the whole
# kernel log) and OUTDIR/kmemleak.txt (leaks new since the command started).
out=$1
shift
# The host's environment does not cross into the guest: set what tests use.
export ZXVMO_OUT=$out
export ZXVMO_IVSHMEM_FILE=$out/ivshmem.bin
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
leak=/sys/kernel/debug/kmemleak
# Forget whatever the boot left suspected: only the command's leaks count.
if [ -w "$leak" ]; then
	echo scan >"$leak"
	echo clear >"$leak"
fi
echo "zxvmo-vm: kernel $(uname -r), $(nproc) CPUs" >&2
# The host judges only what the kernel logs after this line; a report from
# before it (boot) makes the host boot again.
echo "zxvmo-vm: command starts" >/dev/kmsg
"$@"
rc=$?
if [ -w "$leak" ]; then
	# kmemleak reports an object only after it has been unreferenced for a
	# whole scan; two scans a few seconds apart settle it.
	echo scan >"$leak"
	sleep 5
	echo scan >"$leak"
	cat "$leak" >"$out/kmemleak.txt"
fi
dmesg >"$out/dmesg.txt"
echo "$rc" >"$out/rc"
exit "$rc"
