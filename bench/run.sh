#!/bin/sh
# bench/run.sh BUILDDIR — the benchmarks (make bench), in one UML boot.
#
# Runs bench/b-*.sh inside user-mode-linux through tests/uml/run.sh (same
# guest, same rules) and prints their figures as a table.  Environment:
# BENCH_GROUPS (groups to program, default 10000), BENCH_VIEW_GROUPS
# (groups in the view benchmark, default 100000), UML_MEM (MiB, default
# 2048 here), UMLT_ONLY (e.g. "01-program"), UMLT_KEEP=1.
# Exit status as tests/uml/run.sh (77: no UML, outside CI).

set -u
[ -n "${1:-}" ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }
srcdir=$(cd "$(dirname "$0")/.." && pwd)

UMLT_SUITE=bench
UMLT_PREFIX=b-
UML_MEM=${UML_MEM:-2048}
UMLT_CASE_TIMEOUT=${UMLT_CASE_TIMEOUT:-3000}
UMLT_TIMEOUT=${UMLT_TIMEOUT:-7200}
export UMLT_SUITE UMLT_PREFIX UML_MEM UMLT_CASE_TIMEOUT UMLT_TIMEOUT
exec "$srcdir/tests/uml/run.sh" "$1"
