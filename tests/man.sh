#!/bin/sh
# man.sh - the man pages cannot drift from the code: herdd(8) mentions
# every long option herdd --help lists, and libherd(3) every function
# herd.h declares.  Speaks TAP.
set -u
: "${abs_top_srcdir:?}" "${abs_top_builddir:?}" "${HERDD:?}" "${CC:=cc}"
herdd8=$abs_top_builddir/man/herdd.8
libherd3=$abs_top_srcdir/man/libherd.3
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }

# In roff a dash is "\-"; read the page with plain dashes.
page=$(sed 's/\\-/-/g' "$herdd8" 2>/dev/null)
if [ -n "$page" ]; then ok "herdd.8 was generated"
else not_ok "no $herdd8"; fi
missing=""
for opt in $("$HERDD" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
	printf '%s\n' "$page" | grep -qE -e "$opt([^a-z0-9-]|$)" ||
	    missing="$missing $opt"
done
if [ -z "$missing" ]; then
	ok "herdd.8 mentions every long option of herdd --help"
else
	not_ok "herdd.8 lacks$missing (make it again: rm $herdd8; make)"
fi
if printf '%s\n' "$page" | grep -q "$("$HERDD" --version | awk '{ print $NF }')"
then ok "herdd.8 carries herdd's version"
else not_ok "herdd.8 is older than herdd --version"; fi

missing=""
for fn in $($CC -E -P -I"$abs_top_srcdir/include" \
    "$abs_top_srcdir/include/herd.h" |
    grep -oE '\<herd_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' |
    sort -u); do
	grep -q "^\.Fn $fn " "$libherd3" || missing="$missing $fn"
done
if [ -z "$missing" ]; then ok "libherd.3 documents every function in herd.h"
else not_ok "libherd.3 lacks$missing"; fi

if command -v groff >/dev/null 2>&1; then
	if out=$(groff -mdoc -ww -z "$libherd3" 2>&1) && [ -z "$out" ]; then
		ok "libherd.3 formats without a warning"
	else
		not_ok "groff on libherd.3:"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
else
	ok "# SKIP groff is not installed"
fi
echo "1..$n"
