#!/bin/sh
# tests/tools/record-esp.sh BUILDDIR: record tests/data/esp/*.txt anew in
# user-mode-linux (tests/uml/rec-esp.sh, through tests/uml/run.sh): one
# tunnel-mode ESP packet made by the kernel for every algorithm pair of
# the table, and one AH packet for every auth row, with and without ESN.  Needs what the UML tier needs (root,
# user-mode-linux).  Not part of any test tier: the fixtures are committed
# and read by tests/unit/check_esp.c and check_ah.c.
set -u

builddir=${1:-}
if [ -z "$builddir" ] || [ ! -d "$builddir" ]; then
	echo "usage: $0 BUILDDIR" >&2
	exit 2
fi
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
dest=$srcdir/tests/data/esp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rec-esp.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

TMPDIR=$tmp UMLT_KEEP=1 UMLT_SUITE=tests/uml UMLT_PREFIX=rec- UMLT_ONLY=esp \
	"$srcdir/tests/uml/run.sh" "$builddir" || exit 1
out=$(echo "$tmp"/spigrpd-uml.*/out)
ls "$out/esp/"*.txt > /dev/null 2>&1 || { echo "record-esp: nothing recorded" >&2; exit 1; }
mkdir -p "$dest"
rm -f "$dest"/*.txt
cp "$out/esp/"*.txt "$dest/" || exit 1
echo "record-esp: $(ls "$dest"/*.txt | wc -l) files in $dest"
