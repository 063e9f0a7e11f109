#!/bin/sh
# bootstrap.sh - from a fresh Debian 12 checkout to a built tree.
#
# Installs the build and test dependencies that are missing, then runs
# autoreconf (only when there is no configure yet), configure (only when
# there is no Makefile yet, or when given arguments, which it passes
# on) and make.  Running it again is cheap.
#
# --ci (first argument, not passed on) also installs the checking tools
# .ci/run uses: clang and its sanitizer and fuzzer runtimes, scan-build,
# cppcheck and valgrind, and haproxy for tests/test-haproxy (skipped
# without it).
set -eu
cd "$(dirname "$0")"

DEPS="build-essential autoconf automake libtool pkg-config libcriterion-dev
    help2man systemd libsystemd-dev"
CI_DEPS="clang libclang-rt-14-dev clang-tools-14 cppcheck valgrind haproxy"
if [ "${1:-}" = --ci ]; then
	DEPS="$DEPS $CI_DEPS"
	shift
fi

say() { printf 'bootstrap: %s\n' "$*"; }

missing=""
for p in $DEPS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	say "installing$missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
else
	say "dependencies present"
fi

if [ ! -x configure ] || [ ! -f Makefile.in ]; then
	say "autoreconf -fi"
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ $# -gt 0 ]; then
	say "./configure $*"
	./configure "$@"
fi
say "make"
make -j"$(nproc 2>/dev/null || echo 2)"
