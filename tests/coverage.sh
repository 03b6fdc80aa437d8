#!/bin/sh
# tests/coverage.sh BUILDDIR DIR...: per-file line coverage (gcov) of the
# sources under each DIR (relative to BUILDDIR, e.g. src/kern), from the
# .gcda files a --coverage build left in BUILDDIR after `make check`; one
# line per file and a total per DIR.  `make coverage` runs it.  gcov comes
# with gcc: no other tool needed.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILDDIR DIR..." >&2
	exit 2
fi
b=$1
shift
cd "$b"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# "File 'src/kern/xfrm.c'" then "Lines executed:85.00% of 400" per source
# file of each object; a file seen in several objects keeps its best run.
find . -name '*.gcda' | sort | while read -r f; do
	gcov -n -r "$f" 2>/dev/null
done | awk '
	/^File / { file = $2; gsub(/\047/, "", file); sub(/^\.\//, "", file); next }
	/^Lines executed:/ && file != "" {
		split($2, a, ":"); pct = a[2]; sub(/%/, "", pct); n = $4
		hit = int(pct * n / 100 + 0.5)
		if (!(file in lines) || hit > hits[file]) { lines[file] = n; hits[file] = hit }
		file = ""
	}
	END { for (f in lines) printf "%s %d %d\n", f, hits[f], lines[f] }
' | sort > "$out"
for d in "$@"; do
	awk -v d="$d/" '
		index($1, d) == 1 && $1 ~ /\.c$/ {
			printf "  %-32s %6.1f%%  %5d of %5d lines\n", $1, $3 ? 100 * $2 / $3 : 0, $2, $3
			h += $2; n += $3
		}
		END { printf "%-34s %6.1f%%  %5d of %5d lines\n", d " total", n ? 100 * h / n : 0, h, n }
	' "$out"
done
