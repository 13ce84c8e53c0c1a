#!/bin/bash
# Inside the VM booted with lockdown=integrity (one boot, two checks):
#  1. the lockdown tests on the signed module (an unsigned one is refused
#     under lockdown); success leaves $ZXVMO_OUT/lockdown.ok;
#  2. the harness self-test: the signed WARN module, whose warning the
#     host's harness must catch and quote.
#   tests/vm/lockdown.sh SIGNED_KO TESTBIN SIGNED_WARN_KO
set -eu
rm -f "$ZXVMO_OUT/lockdown.ok"
insmod "$1"
"$2" --test-threads=1
rmmod zxvmo
touch "$ZXVMO_OUT/lockdown.ok"
echo "lockdown: ok; now the harness self-test (a WARN on purpose)"
insmod "$3"
