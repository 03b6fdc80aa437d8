#!/bin/sh
# tests/fuzz/run.sh: run the libFuzzer harnesses that `make fuzz` built.
#
#   tests/fuzz/run.sh TOP_SRCDIR TOP_BUILDDIR NAME...
#
# For each NAME: first the inputs in tests/fuzz/crashes-fixed/NAME/ (each
# once: a crash that was fixed must stay fixed), then fuzzing for
# FUZZ_SECONDS (default 60) from the seed corpus: tests/fuzz/corpus/NAME/
# plus the files tests/fuzz/NAME.seeds names (one glob a line, relative to
# the source tree), with tests/fuzz/NAME.dict as dictionary and the
# libFuzzer options in tests/fuzz/NAME.options (one a line) when there are.  New inputs go to TOP_BUILDDIR/tests/fuzz/work/NAME/ (kept, so the
# next run starts from them); a crash leaves its input in
# TOP_BUILDDIR/tests/fuzz/artifacts/ and is printed here (escaped).
# FUZZ_ARGS adds libFuzzer options (e.g. -jobs=2, -max_len=65536).
#
# Ends with "fuzz: N passed, N failed"; exit 0 only when every harness ran
# its time without a crash.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 TOP_SRCDIR TOP_BUILDDIR NAME..." >&2
	exit 2
fi
src=$(cd "$1" && pwd) || exit 2
build=$(cd "$2" && pwd) || exit 2
shift 2
seconds=${FUZZ_SECONDS:-60}
here=$src/tests/fuzz
pass=0
fail=0

# seed_dir NAME: a scratch directory with copies of the files NAME.seeds names.
seed_dir() {
	dir=$build/tests/fuzz/work/$1.seeds
	rm -rf "$dir"
	mkdir -p "$dir"
	[ -f "$here/$1.seeds" ] || return 0
	grep -v '^#' "$here/$1.seeds" | while read -r pattern; do
		[ -n "$pattern" ] || continue
		for f in "$src"/$pattern; do
			[ -f "$f" ] || continue
			cp "$f" "$dir/$(echo "${f#"$src"/}" | tr / _)"
		done
	done
}

# show_input FILE: the input that crashed, printable.
show_input() {
	echo "---- $1 ($(wc -c <"$1") bytes; od -c) ----"
	od -c "$1" | head -n 200
}

run_one() {
	name=$1
	bin=$build/tests/fuzz/fuzz_$name
	work=$build/tests/fuzz/work/$name
	art=$build/tests/fuzz/artifacts
	log=$build/tests/fuzz/work/$name.log
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is not built (make fuzz-build)"
		return 1
	fi
	mkdir -p "$work" "$art"
	fixed=$here/crashes-fixed/$name
	if [ -d "$fixed" ] && [ -n "$(ls -A "$fixed")" ]; then
		echo "fuzz $name: replaying $(find "$fixed" -type f | wc -l) fixed crash(es)"
		if ! "$bin" "$fixed"/* >"$log" 2>&1; then
			tail -n 40 "$log"
			echo "fuzz $name: a fixed crash is back"
			return 1
		fi
	fi
	seed_dir "$name"
	set -- -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$art/$name-"
	[ -f "$here/$name.dict" ] && set -- "$@" -dict="$here/$name.dict"
	if [ -f "$here/$name.options" ]; then
		# shellcheck disable=SC2046 # one option a line, no spaces in them
		set -- "$@" $(grep -v '^#' "$here/$name.options")
	fi
	dirs="$work $build/tests/fuzz/work/$name.seeds"
	[ -d "$here/corpus/$name" ] && dirs="$dirs $here/corpus/$name"
	echo "fuzz $name: $seconds s ($bin $* ${FUZZ_ARGS:-} $dirs)"
	# shellcheck disable=SC2086 # FUZZ_ARGS and dirs are lists
	"$bin" "$@" ${FUZZ_ARGS:-} $dirs >"$log" 2>&1
	rc=$?
	# the last status line: "#N DONE cov: C ft: F corp: ... exec/s: E rss: R"
	stats=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
	echo "fuzz $name: ${stats:-no status line}"
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
		sed "s/^/fuzz $name: /"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
		sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | while IFS= read -r f; do
			[ -f "$f" ] && show_input "$f"
		done
		echo "fuzz $name: FAILED (exit $rc); log: $log"
		return 1
	fi
	return 0
}

for name in "$@"; do
	if run_one "$name"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
