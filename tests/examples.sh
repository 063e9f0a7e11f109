#!/bin/sh
# examples.sh - the framework as a user meets it: make install into a
# DESTDIR, build examples/ against that install through pkg-config,
# and run each example under every model on a loopback port it bound
# itself (port 0, printed), checking the replies byte for byte.
# Speaks TAP.
#
# Every example started here dies with this script (setpriv
# --pdeathsig); every wait is a bounded poll.
set -u
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}" "${CC:=cc}" "${MAKE:=make}"
client=$abs_top_builddir/tests/tcp-exchange
tmp=$(mktemp -d "${TMPDIR:-/tmp}/herd-examples.XXXXXX") || exit 1
pids=""
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /' "$@"; }
bail() { echo "Bail out! $*"; exit 1; }

# 1. Install, as a packager would.
root=$tmp/root
if env -u MAKEFLAGS -u MFLAGS $MAKE -C "$abs_top_builddir" install \
    DESTDIR="$root" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install DESTDIR=..."
	diag "$tmp/install.log"
	bail "nothing installed"
fi
missing=""
for f in bin/herdd include/herd.h lib/libherd.so lib/libherd.a \
    lib/pkgconfig/herd.pc share/man/man8/herdd.8 share/man/man3/libherd.3 \
    share/doc/herd/examples/upper.c share/doc/herd/examples/Makefile; do
	[ -n "$(find "$root" -path "*/$f" -print -quit)" ] ||
	    missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "installed herdd, libherd, herd.h, herd.pc, man pages, examples"
else
	not_ok "not installed:$missing"
fi

# 2. pkg-config finds the install before anything the system has.
pc=$(find "$root" -name herd.pc -print -quit)
libdir=$(dirname "$(find "$root" -name libherd.so -print -quit)")
# The install first, then the system's own .pc files (herd.pc may
# require libsystemd privately, as an installed herd would find it).
PKG_CONFIG_LIBDIR=$(dirname "$pc"):$(pkg-config --variable pc_path pkg-config)
PKG_CONFIG_PATH=
PKG_CONFIG_SYSROOT_DIR=$root
LD_LIBRARY_PATH=$libdir
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR LD_LIBRARY_PATH
flags=$(pkg-config --cflags --libs herd 2>&1)
case $flags in
*"-I$root"*"-L$root"*"-lherd"*) ok "pkg-config --cflags --libs herd: $flags" ;;
*) not_ok "pkg-config --cflags --libs herd: $flags" ;;
esac

# 3. Build the examples with their own Makefile, out of the tree.
mkdir "$tmp/build"
if env -u MAKEFLAGS -u MFLAGS $MAKE -C "$tmp/build" \
    -f "$abs_top_srcdir/examples/Makefile" \
    srcdir="$abs_top_srcdir/examples" CC="$CC" \
    CFLAGS="-O2 -Wall -Wextra -Werror" >"$tmp/build.log" 2>&1; then
	ok "examples built against the installed library"
else
	not_ok "examples built against the installed library"
	diag "$tmp/build.log"
	bail "no examples to run"
fi
if ldd "$tmp/build/upper" | grep -q "$libdir/libherd.so"; then
	ok "upper links the installed libherd.so"
else
	not_ok "upper links the installed libherd.so"
	ldd "$tmp/build/upper" | sed 's/^/# /'
fi

# Start example $1 under model $2 on 127.0.0.1:0; sets pid and port.
start() {
	port=""
	setpriv --pdeathsig KILL "$tmp/build/$1" --model "$2" \
	    --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	pids="$pids $pid"
	i=0
	while [ $i -lt 400 ] && kill -0 "$pid" 2>/dev/null; do
		port=$(sed -n 's/^.*serving on port \([0-9][0-9]*\)$/\1/p' \
		    "$tmp/out")
		[ -n "$port" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Send $1 (printf format) to the example on $port, expect $2 (same).
exchange() {
	printf "$1" >"$tmp/request"
	printf "$2" >"$tmp/want"
	"$client" "$port" 20000 <"$tmp/request" >"$tmp/got" 2>>"$tmp/err" &&
	    cmp -s "$tmp/want" "$tmp/got"
}

# SIGTERM, and expect exit 0 within 20 s.
stop() {
	kill -TERM "$pid"
	i=0
	while [ $i -lt 400 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && return 1
	wait "$pid"
}

# Run example $1 under model $2 through the exchanges that follow.
run_example() {
	prog=$1 model=$2
	shift 2
	if ! start "$prog" "$model"; then
		not_ok "$prog --model $model started"
		diag "$tmp/err"
		return
	fi
	what="$prog --model $model"
	while [ $# -ge 2 ]; do
		if ! exchange "$1" "$2"; then
			not_ok "$what: replies byte-exact"
			echo "# sent:"; diag "$tmp/request"
			echo "# want:"; diag "$tmp/want"
			echo "# got:"; diag "$tmp/got"
			diag "$tmp/err"
			kill -KILL "$pid"
			return
		fi
		shift 2
	done
	if stop; then
		ok "$what: replies byte-exact, exit 0 on SIGTERM"
	else
		not_ok "$what: exit 0 on SIGTERM"
		diag "$tmp/err"
	fi
}

# libherd.a works too: link upper statically against it (libc and
# what herd.pc lists as private, e.g. libsystemd, stay shared) and run
# it once.
static_deps=$(pkg-config --static --libs herd | sed 's/\(^\| \)-lherd\( \|$\)/ /')
if $CC -O2 $(pkg-config --cflags herd) -o "$tmp/build/upper-static" \
    "$abs_top_srcdir/examples/upper.c" $(pkg-config --libs-only-L herd) \
    -Wl,-Bstatic -lherd -Wl,-Bdynamic $static_deps >"$tmp/static.log" 2>&1 &&
    ! ldd "$tmp/build/upper-static" | grep -q libherd; then
	ok "upper links statically against libherd.a"
	run_example upper-static iterative 'static\n' 'STATIC\n'
else
	not_ok "upper links statically against libherd.a"
	diag "$tmp/static.log"
fi

models=$("$tmp/build/upper" --list-models | awk '{ print $1 }')
[ -n "$models" ] || bail "upper --list-models listed nothing"
for m in $models; do
	# Lines come back upper-cased, a last unterminated one too; "quit"
	# closes the connection.
	run_example upper "$m" \
	    'hello\nWorld 42\npartial' 'HELLO\nWORLD 42\nPARTIAL' \
	    'one\r\nquit\n' 'ONE\r\nbye\n'
	# Each connection counts its own lines from 1.
	run_example linecount "$m" \
	    'one\ntwo\nthree' \
	    'hello 127.0.0.1\n1: one\n2: two\n3: three\n3 lines, 13 bytes\n' \
	    'x\n' 'hello 127.0.0.1\n1: x\n1 line, 2 bytes\n'
done
echo "1..$n"
