#!/bin/bash
# The demo, inside the VM: load zxvmo, drive edu with zxvmo-edu, show that
# System RAM is refused, unload.   tests/vm/demo.sh KO ZXVMO_EDU
set -eu
ko=$1
edu=$2
insmod "$ko"
echo "== zxvmo-edu: drive QEMU's edu device from userspace"
"$edu"
echo
# An address 8 MiB into the first System RAM range larger than 16 MiB.
ram=""
while read -r line; do
	case $line in
	*"System RAM"*)
		range=${line%% :*}
		s=$((16#${range%-*}))
		e=$((16#${range#*-}))
		if ((e - s > 16 << 20)); then
			ram=$(printf '0x%x' $((s + (8 << 20))))
			break
		fi
		;;
	esac
done </proc/iomem
echo "== zxvmo-edu --phys $ram: point it at System RAM instead"
set +e
"$edu" --phys "$ram"
rc=$?
set -e
if [ "$rc" -ne 2 ]; then
	echo "demo: expected a clean refusal (exit 2), got exit $rc"
	exit 1
fi
echo "(refused as it should be: exit $rc)"
rmmod zxvmo
