#!/bin/bash
# Inside the VM, the last part of `make test`'s boot: locks the kernel down
# (integrity) through securityfs, which can raise the level while the kernel
# runs but never lower it, then runs the lockdown tests on the signed module
# (an unsigned one is refused under lockdown); success leaves
# $ZXVMO_OUT/lockdown.ok.
#   tests/vm/lockdown.sh SIGNED_KO TESTBIN
set -eu
rm -f "$ZXVMO_OUT/lockdown.ok"
echo integrity >/sys/kernel/security/lockdown
grep -q '\[integrity\]' /sys/kernel/security/lockdown
echo "lockdown: $(cat /sys/kernel/security/lockdown)"
insmod "$1"
"$2" --test-threads=1
rmmod zxvmo
touch "$ZXVMO_OUT/lockdown.ok"
