#!/bin/bash
# Inside the VM, the last part of `make test`'s boot: the lockdown test on
# the signed module. The test raises lockdown (integrity) itself, through
# securityfs, after taking what it must show lockdown refuses to use; the
# kernel stays locked down for the rest of the boot. Success leaves
# $ZXVMO_OUT/lockdown.ok.
#   tests/vm/lockdown.sh SIGNED_KO TESTBIN
set -eu
rm -f "$ZXVMO_OUT/lockdown.ok"
insmod "$1"
"$2" --test-threads=1
grep -q '\[integrity\]' /sys/kernel/security/lockdown
echo "lockdown: $(cat /sys/kernel/security/lockdown)"
rmmod zxvmo
touch "$ZXVMO_OUT/lockdown.ok"
