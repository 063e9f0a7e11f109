#!/bin/sh
# bench-smoke.sh - herd-bench --quick against the yardstick alone, as a
# TAP test: it starts, loads, writes its CSV and target summary, and no
# reply byte is wrong.  The full comparison is `make bench`, not a test.
out=$(mktemp -d "${TMPDIR:-/tmp}/herd-bench-smoke.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
echo "1..4"
if timeout 120 "${srcdir:-.}/src/tools/herd-bench" --quick \
    --servers yardstick --out "$out" >"$out/log" 2>&1; then
	echo "ok 1 - herd-bench --quick exits 0"
else
	echo "not ok 1 - herd-bench --quick exits 0"
	sed 's/^/# /' "$out/log"
fi
rows=$(awk -F, 'NR > 1 && $1 == "yardstick" && $11 == 0' \
    "$out/results.csv" 2>/dev/null | wc -l)
if [ "$rows" -ge 3 ]; then
	echo "ok 2 - results.csv holds the workloads, no mismatch"
else
	echo "not ok 2 - results.csv holds the workloads, no mismatch"
	sed 's/^/# /' "$out/results.csv" 2>/dev/null
fi
if grep -q "idle 10000" "$out/targets.txt" 2>/dev/null; then
	echo "ok 3 - targets.txt written"
else
	echo "not ok 3 - targets.txt written"
fi
# --workloads narrows the run to the named workloads.
"${srcdir:-.}/src/tools/herd-bench" --quick --servers yardstick \
    --workloads "pp-1x64" --out "$out/w" >"$out/wlog" 2>&1
got=$(awk -F, 'NR > 1 { print $2 }' "$out/w/results.csv" 2>/dev/null |
    tr '\n' ' ')
if [ "$got" = "pp-1x64 " ]; then
	echo "ok 4 - --workloads runs only the workloads named"
else
	echo "not ok 4 - --workloads runs only the workloads named (got '$got')"
	sed 's/^/# /' "$out/wlog"
fi
