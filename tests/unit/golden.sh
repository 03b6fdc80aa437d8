#!/bin/sh
# golden.sh: `spigrpd -n` on every tests/data/*.conf (and the contrib/
# examples) against the expected output in tests/data/NAME.out.
#
# A case's .out holds what spigrpd printed on stdout, then what it printed on
# stderr (the temporary directory's path removed, so errors read
# "NAME.conf:LINE: ..."), then "exit N".  The addresses the case treats as
# local come from the .conf's first line, "# local: ADDR [ADDR...]" (given
# as --local, so the host's own addresses never matter).
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=. top_builddir=. tests/unit/golden.sh
# GOLDEN_UPDATE=1 rewrites the .out files instead of comparing (review the
# diff before committing).
set -u

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
data=$top_srcdir/tests/data
contrib=$top_srcdir/contrib
bin=$top_builddir/spigrpd

if [ ! -x "$bin" ]; then
	echo "golden: $bin is not built" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

pass=0
fail=0

# run_case NAME CONF EXPECTED ADDR...
run_case() {
	name=$1 conf=$2 expected=$3
	shift 3
	base=$(basename "$conf")
	cp "$conf" "$tmp/$base" || return 1
	chmod 600 "$tmp/$base"
	set -- -n -c "$tmp/$base"
	for a in $locals; do
		set -- "$@" --local "$a"
	done
	"$bin" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	{
		cat "$tmp/stdout"
		sed "s|$tmp/||g" "$tmp/stderr"
		echo "exit $rc"
	} >"$tmp/actual"
	rm -f "$tmp/$base"
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$tmp/actual" "$expected"
		echo "updated $expected"
		return 0
	fi
	if [ ! -f "$expected" ]; then
		echo "FAIL: $name: no $expected"
		fail=$((fail + 1))
		return 0
	fi
	if diff -u "$expected" "$tmp/actual" >"$tmp/diff"; then
		echo "PASS: $name"
		pass=$((pass + 1))
	else
		echo "FAIL: $name"
		cat "$tmp/diff"
		fail=$((fail + 1))
	fi
}

for conf in "$data"/*.conf; do
	[ -f "$conf" ] || continue
	name=$(basename "$conf" .conf)
	first=$(sed -n 1p "$conf")
	case $first in
	"# local:"*) locals=${first#"# local:"} ;;
	*)
		echo "FAIL: $name: first line is not \"# local: ADDR...\""
		fail=$((fail + 1))
		continue
		;;
	esac
	run_case "$name" "$conf" "$data/$name.out"
done

# The shipped examples, seen from each end.
for ex in seed-only seed; do
	locals="192.168.2.100 3049:1::1"
	run_case "contrib-$ex-left" "$contrib/$ex.conf" "$data/contrib-$ex-left.out"
	locals="192.168.2.110 3049:1::2"
	run_case "contrib-$ex-right" "$contrib/$ex.conf" "$data/contrib-$ex-right.out"
done
# ... and from a host that is neither end: everything skipped.
locals="198.51.100.1"
run_case "contrib-seed-only-elsewhere" "$contrib/seed-only.conf" \
	"$data/contrib-seed-only-elsewhere.out"

echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
