#!/bin/sh
# tests/uml/run.sh BUILDDIR [demo] — the user-mode-linux tier (make check-uml);
# with "demo", the README's demo (tests/uml/demo-*.sh) instead of the cases.
#
# Boots Debian's user-mode-linux kernel once, with the host's root as its
# root file system, runs every tests/uml/t-*.sh inside it (guest.sh), then
# prints one line per case and a final "N passed, N failed".  Exit status:
# 0 all passed, 1 a case failed or the guest did not finish, 77 UML missing
# (only outside CI: with CI=true a missing UML is a failure).
#
# Environment: UML_LINUX (kernel binary, default /usr/bin/linux), UML_MEM
# (MiB, default 384), UMLT_ONLY (comma list of case names, e.g.
# "platform,xfrm-objects"), UMLT_CASE_TIMEOUT (s, default 240),
# UMLT_TIMEOUT (whole boot, s, default 1800), UMLT_KEEP=1 keeps the work dir,
# UMLT_SUITE / UMLT_PREFIX (another directory of cases, e.g. bench/ b-: see
# bench/run.sh; a case may append lines to $UMLT_OUT/figures, printed here).

set -u

builddir=${1:-}
if [ -z "$builddir" ] || [ ! -d "$builddir" ]; then
	echo "usage: $0 BUILDDIR" >&2
	exit 2
fi
builddir=$(cd "$builddir" && pwd)
# `run.sh BUILDDIR demo` (contrib/demo.sh): the demo instead of the cases.
if [ "${2:-}" = demo ]; then
	UMLT_SUITE=tests/uml
	UMLT_PREFIX=demo-
fi
srcdir=$(cd "$(dirname "$0")/../.." && pwd)

linux=${UML_LINUX:-/usr/bin/linux}
mem=${UML_MEM:-384}
total=${UMLT_TIMEOUT:-1800}

skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		echo "uml: FAIL: $1 (a skip is a failure in CI)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "uml: SKIP: $1"
	exit 77
}

[ -x "$linux" ] || skip_or_fail "$linux not found (Debian package user-mode-linux)"
for tool in ip modprobe timeout nsenter; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip_or_fail "$tool not found on the host (the guest runs the host's binaries)"
done
case "$srcdir$builddir" in
*[[:space:]]*) skip_or_fail "source or build path contains white space (kernel command line)" ;;
esac
[ -x "$builddir/spigrpd" ] || echo "uml: note: $builddir/spigrpd not built; daemon cases will fail"

work=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-uml.XXXXXX") || exit 1
mkdir -p "$work/out" "$work/umltmp"
umlpid=
cleanup() {
	if [ -n "$umlpid" ]; then
		# UML runs as several host processes: kill its process group
		kill -KILL "-$umlpid" 2>/dev/null
		wait "$umlpid" 2>/dev/null
	fi
	if [ "${UMLT_KEEP:-0}" = 1 ]; then
		echo "uml: work dir kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The KLIPS cases (t-22, t-23) run libreswan's own `ipsec` script against
# `make install DESTDIR=...` of this build: both are made here, where make
# and the network are, into the results directory the guest sees
# (/run/uml-out/klips).  What failed goes to klips/why, which those cases
# report; the other cases do not need it.
klips_prep() {
	_p=$work/out/klips
	mkdir -p "$_p"
	make -s -C "$builddir" install DESTDIR="$_p/inst" > "$_p/install.log" 2>&1 ||
		echo "make install DESTDIR=... failed: $(tail -n 3 "$_p/install.log" | tr '\n' ' ')" >> "$_p/why"
	if _deb=$("$srcdir/contrib/libreswan-deb.sh" 2> "$_p/deb.log"); then
		dpkg-deb -x "$_deb" "$_p/libreswan" 2>> "$_p/deb.log" ||
			echo "dpkg-deb -x $_deb failed: $(tail -n 1 "$_p/deb.log")" >> "$_p/why"
	else
		echo "no libreswan .deb (contrib/libreswan-deb.sh): $(tail -n 1 "$_p/deb.log")" >> "$_p/why"
	fi
}
case "${UMLT_SUITE:-}:,${UMLT_ONLY:-klips},:" in
:*klips*) klips_prep ;;
esac

# BENCH_* variables (numbers, names) go to the guest too
extra=$(env | grep -E '^BENCH_[A-Z0-9_]+=[A-Za-z0-9_.,-]+$' | tr '\n' ' ')

echo "uml: booting $linux (mem ${mem}M), console in $work/console.log"
# UML keeps its memory image in TMPDIR: give it ours.  Console on stdout
# only (stdin closed), so nothing waits for a terminal.  setsid: its own
# process group (UML's helper processes included), killed as one.
TMPDIR=$work/umltmp setsid "$linux" mem="${mem}M" root=/dev/root rootfstype=hostfs \
	rootflags=/ rw init="$srcdir/tests/uml/guest.sh" \
	con=null con0=null,fd:1 quiet \
	UMLT_SRC="$srcdir" UMLT_BUILD="$builddir" UMLT_OUT="$work/out" \
	UMLT_CASE_TIMEOUT="${UMLT_CASE_TIMEOUT:-240}" \
	${UMLT_ONLY:+UMLT_ONLY=$UMLT_ONLY} \
	${UMLT_SUITE:+UMLT_SUITE=$UMLT_SUITE} ${UMLT_PREFIX:+UMLT_PREFIX=$UMLT_PREFIX} \
	$extra \
	< /dev/null > "$work/console.log" 2>&1 &
umlpid=$!

# Watchdog: the guest powers itself off when done; past the overall time
# limit it is killed.
elapsed=0
while kill -0 "$umlpid" 2>/dev/null; do
	if [ "$elapsed" -ge "$total" ]; then
		echo "uml: guest still running after ${total}s: killed"
		kill -KILL "-$umlpid" 2>/dev/null
		break
	fi
	sleep 1
	elapsed=$((elapsed + 1))
done
wait "$umlpid" 2>/dev/null
# a guest that powered off leaves no helper behind; one that was killed may
kill -KILL "-$umlpid" 2>/dev/null
umlpid=

npass=0
nfail=0
if [ -s "$work/out/results" ]; then
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*) npass=$((npass + 1)) ;;
		*) nfail=$((nfail + 1))
			name=${line#not ok }
			name=${name%%:*}
			if [ -f "$work/out/$name.log" ]; then
				echo "# --- last lines of $name.log ---"
				tail -n 25 "$work/out/$name.log" | sed 's/^/#   /'
			fi
			;;
		esac
	done < "$work/out/results"
fi
if [ ! -f "$work/out/done" ]; then
	echo "not ok uml-guest: the guest did not finish (see console below)"
	nfail=$((nfail + 1))
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
elif [ $((npass + nfail)) -eq 0 ]; then
	echo "not ok uml-guest: no case ran"
	nfail=$((nfail + 1))
	tail -n 40 "$work/console.log" | sed 's/^/#   /'
fi
if [ -s "$work/out/figures" ]; then
	echo
	cat "$work/out/figures"
	echo
fi
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
