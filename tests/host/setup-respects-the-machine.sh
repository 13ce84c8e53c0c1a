#!/usr/bin/env bash
# Checks that set-up never removes, downgrades or over-installs (issue 13):
#   1. every `apt-get install` in scripts/ carries --no-install-recommends,
#      and every one that is not a dry run (-s) also --no-remove; nothing
#      allows downgrades or autoremoves;
#   2. with an apt that would have to remove a package, scripts/setup.sh
#      stops before installing anything and names the package;
#   3. scripts/qemu.sh, when installing QEMU would remove a package, leaves
#      dpkg alone (unpacks privately) — checked against the same fake apt.
# Runs on the host with stub apt-get/dpkg-query on PATH: nothing is
# installed or removed. Prints one line per check; exits non-zero on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0
ok() { echo "ok   - $*"; passed=$((passed + 1)); }
not_ok() { echo "FAIL - $*"; failed=$((failed + 1)); }

# 1. The flags, statically, on the scripts with continued lines joined.
joined() {
	for f in "$repo"/scripts/*.sh; do
		sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep -v '^\s*#' | sed "s|^|$(basename "$f"): |"
	done
}
bad=$(joined | grep 'apt-get[^|]* install' |
	grep -v -- '--no-install-recommends' || true)
[ -z "$bad" ] && ok "every apt-get install has --no-install-recommends" ||
	not_ok "apt-get install without --no-install-recommends: $bad"
bad=$(joined | grep 'apt-get[^|]* install' | grep -v -- ' -s ' |
	grep -v -- '--no-remove' || true)
[ -z "$bad" ] && ok "every apt-get install that changes the machine has --no-remove" ||
	not_ok "apt-get install without --no-remove: $bad"
bad=$(joined | grep -E 'allow-downgrades|autoremove|--purge|apt-get[^|]* (remove|purge)' |
	grep -v '^uninstall.sh:' || true)
[ -z "$bad" ] && ok "no downgrades, autoremove or removals outside uninstall.sh" ||
	not_ok "set-up may take packages away: $bad"

# 2 and 3. Behaviour, against an apt that would have to remove qemu-utils.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/cache"
cat >"$tmp/bin/dpkg-query" <<'STUB'
#!/bin/sh
exit 1
STUB
cat >"$tmp/bin/apt-get" <<STUB
#!/bin/sh
echo "apt-get \$*" >>"$tmp/apt.log"
case " \$* " in
*" -s "*) echo "Inst newpkg (1.0 Debian:12)"; echo "Remv qemu-utils [1:10.0.2]"; exit 0 ;;
*" update "*) exit 0 ;;
*" download "*) exit 1 ;;
*" install "*) echo INSTALLED >"$tmp/installed"; exit 0 ;;
esac
exit 0
STUB
cat >"$tmp/bin/apt-cache" <<'STUB'
#!/bin/sh
echo "  Candidate: 1:7.2+dfsg-7"
STUB
cat >"$tmp/bin/sudo" <<'STUB'
#!/bin/sh
exec "$@"
STUB
chmod +x "$tmp/bin"/*
out=$(PATH="$tmp/bin:$PATH" ZXVMO_CACHE="$tmp/cache" bash "$repo/scripts/setup.sh" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$tmp/installed" ] && grep -q "qemu-utils" <<<"$out" &&
	grep -q "nothing was changed" <<<"$out"; then
	ok "setup.sh stops before installing when apt would remove qemu-utils, and says so"
else
	not_ok "setup.sh with a removal pending (exit $rc, installed: $([ -e "$tmp/installed" ] && echo yes || echo no)): $out"
fi
rm -f "$tmp/installed" "$tmp/apt.log"
# qemu.sh with no QEMU on PATH: must not run a real install; its private
# path fails here only because the stub cannot download.
out=$(PATH="$tmp/bin:/usr/bin:/bin" ZXVMO_CACHE="$tmp/cache2" bash -c '
	qemu-system-x86_64() { return 127; }
	hash -r; bash "'"$repo"'/scripts/qemu.sh"' 2>&1)
if [ ! -e "$tmp/installed" ] && grep -q "leaving them alone" <<<"$out" &&
	! grep -q -- "install -y" "$tmp/apt.log" 2>/dev/null; then
	ok "qemu.sh does not install over a package it would remove (it unpacks privately)"
elif command -v qemu-system-x86_64 >/dev/null && [ ! -e "$tmp/installed" ]; then
	ok "qemu.sh used the QEMU already installed ($(command -v qemu-system-x86_64))"
else
	not_ok "qemu.sh with a removal pending: $out"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
