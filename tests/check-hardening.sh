#!/bin/sh
# check-hardening.sh - checksec-style: herdd is PIE, has full RELRO,
# a stack protector and fortified libc calls.  Speaks TAP; skipped
# when configure turned hardening off.
set -u
bin=${HERDD:-src/herdd}

if [ "${HERD_HARDENING:-yes}" != yes ]; then
	echo "1..0 # SKIP hardening disabled at configure time"
	exit 0
fi
echo "1..6"
n=0
fail=0
check() {	# check WHAT COMMAND...: run the pipeline, report
	what=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		fail=1
	fi
}
check "PIE (ELF type DYN)" sh -c "readelf -h '$bin' | grep -q 'Type:.*DYN'"
check "RELRO segment" sh -c "readelf -lW '$bin' | grep -q GNU_RELRO"
check "BIND_NOW (full RELRO)" \
    sh -c "readelf -dW '$bin' | grep -Eq 'BIND_NOW|FLAGS.*NOW'"
check "stack protector" \
    sh -c "readelf --dyn-syms -W '$bin' | grep -q __stack_chk_fail"
check "_FORTIFY_SOURCE" \
    sh -c "readelf --dyn-syms -W '$bin' | grep -Eq '__[a-z]+_chk'"
check "no executable stack" \
    sh -c "readelf -lW '$bin' | grep GNU_STACK | grep -qv RWE"
exit $fail
