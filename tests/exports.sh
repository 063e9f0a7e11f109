#!/bin/sh
# exports.sh - libherd.so exports the functions herd.h declares and
# nothing else, under a versioned soname.  Speaks TAP.
#
# Three lists must agree: the functions herd.h declares (read from the
# preprocessed header, so comments do not count), src/lib/libherd.sym
# (what the link exports) and nm -D of the built library.
set -u
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}" "${CC:=cc}"
so=$abs_top_builddir/src/lib/.libs/libherd.so
tmp=$(mktemp -d "${TMPDIR:-/tmp}/herd-exports.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() {	# check DESCRIPTION FILE1 FILE2: the two lists are equal
	if diff -u "$2" "$3" >"$tmp/diff"; then
		ok "$1"
	else
		not_ok "$1"
		sed 's/^/# /' "$tmp/diff"
	fi
}

$CC -E -P -I"$abs_top_srcdir/include" "$abs_top_srcdir/include/herd.h" |
    grep -oE '\<herd_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' |
    sort -u >"$tmp/header"
sort -u "$abs_top_srcdir/src/lib/libherd.sym" >"$tmp/sym"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' |
    sort -u >"$tmp/nm"

if [ -s "$tmp/header" ]; then
	ok "herd.h declares $(wc -l <"$tmp/header") functions"
else
	not_ok "no functions found in herd.h"
fi
check "libherd.sym lists exactly herd.h's functions" "$tmp/header" "$tmp/sym"
check "nm -D libherd.so shows exactly libherd.sym" "$tmp/sym" "$tmp/nm"
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = libherd.so.0 ]; then ok "soname $soname"
else not_ok "soname '$soname', want libherd.so.0"; fi
echo "1..$n"
