#!/bin/bash
# tests/netns/run.sh BUILDDIR — the host-kernel tier (make check-netns).
#
# The daemon runs in a network namespace of its own (started with
# `nsenter --net=`, never `ip netns exec`, so the view it mounts is visible
# here), with its mount point, control socket and state directory under a
# private temporary directory.  This kernel has XFRM policies but no ESP,
# AH or IPComp: the seed's groups must be refused with the kernel's reason
# and stay out of the view; shunt groups (%pass/%drop: policies only) give
# the view content to read with cat, dd bs=1, head -c and as user nobody,
# during SIGHUPs, a broken config, SIGTERM, kill -9 and a second instance.
#
# lib.sh (the checks that the tier can run, the topology, the helpers) is
# sourced first, then every case file tests/netns/t-NN-name.sh in order, all
# in this one shell; each case starts and stops its own daemon (see lib.sh).
#
# Prints "ok N - what" / "not ok N - what" per check, "# case NN-name"
# before each case, the cases run and a final line "N passed, N failed";
# exit 0 when all passed, 1 otherwise, 77 (skip) when not root or no
# /dev/fuse, only outside CI (CI=true: that is a failure); 2 for a usage
# error.
#
# Environment: NETNS_KEEP=1 keeps the work directory (logs) for a look;
# NETNST_ONLY="NN-name ..." runs only these cases (words separated by
# spaces or commas, each "NN-name", "NN" or "name", e.g. "01 shunts").

set -u

builddir=${1:-}
if [ -z "$builddir" ] || [ ! -d "$builddir" ]; then
	echo "usage: $0 BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$builddir" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
here=$srcdir/tests/netns

# netnst_names WORD CASE: the NETNST_ONLY word WORD names CASE ("NN-name").
netnst_names() {
	case $1 in
	"$2" | "${2%%-*}" | "${2#[0-9][0-9]-}") return 0 ;;
	esac
	return 1
}
only=${NETNST_ONLY:-}
only=${only//,/ }
# The cases to run, in order: all, or those NETNST_ONLY names (each of its
# words must name one).  (netnst_*: names a case file must not use.)
netnst_all=
for f in "$here"/t-[0-9][0-9]-*.sh; do
	[ -f "$f" ] || continue
	f=${f##*/t-}
	netnst_all="$netnst_all ${f%.sh}"
done
netnst_cases=
for c in $netnst_all; do
	[ -z "$only" ] && netnst_cases="$netnst_cases $c" && continue
	for w in $only; do
		netnst_names "$w" "$c" && netnst_cases="$netnst_cases $c" && break
	done
done
for w in $only; do
	found=no
	for c in $netnst_cases; do
		netnst_names "$w" "$c" && found=yes
	done
	if [ $found = no ]; then
		echo "netns: NETNST_ONLY: no case $w in $here (cases:$netnst_all)" >&2
		exit 2
	fi
done

. "$here/lib.sh"

for netnst_case in $netnst_cases; do
	echo "# case $netnst_case"
	. "$here/t-$netnst_case.sh"
	end_daemon "t-$netnst_case"
done


if [ "$failed" != 0 ] || [ "${NETNS_KEEP:-0}" = 1 ]; then
	sed 's/^/# daemon log: /' "$LOG" | tail -n 40
fi
echo "# cases run:$netnst_cases"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
