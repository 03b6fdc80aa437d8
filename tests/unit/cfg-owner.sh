#!/bin/sh
# cfg-owner.sh: who may own and write the files that `spigrpd -n` reads
# (spigrpd.conf(5), FILE PERMISSIONS; spigrpd(8), -n).
#
# Root sees the daemon's rule: the config file and its directory must be
# owned by root and writable by no one else, whatever the file holds.  A
# user running -n may also check a file of their own before it is
# installed: owned by root or by that user, writable by no one else.  Runs
# `spigrpd -n` as root and as user nobody (runuser) on files owned by root,
# by nobody and by user daemon, in a temporary directory.
#
# Needs root (to make files of other users); outside CI it skips (77)
# without, in CI (CI=true) that is a failure.  Run by `make check` with
# top_builddir set; by hand: top_builddir=. tests/unit/cfg-owner.sh
set -u

top_builddir=${top_builddir:-.}
bin=$top_builddir/spigrpd

skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: cfg-owner: cannot run: $1 (a skip is a failure in CI)"
		exit 1
	fi
	echo "SKIP: cfg-owner: $1"
	exit 77
}

[ -x "$bin" ] || { echo "cfg-owner: $bin is not built" >&2; exit 99; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v runuser >/dev/null 2>&1 || skip "runuser not found"
nobody=$(id -u nobody 2>/dev/null) || skip "no user nobody"
other=$(id -u daemon 2>/dev/null) || skip "no user daemon"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cfg-owner.XXXXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
chmod 755 "$tmp"
tmp=$(cd "$tmp" && pwd -P) || exit 99 # as the messages name it (resolved)
# a copy nobody can run, whatever the modes of the build directory
cp "$bin" "$tmp/spigrpd" && chmod 755 "$tmp/spigrpd" || exit 99
runuser -u nobody -- test -x "$tmp/spigrpd" || skip "user nobody cannot reach $tmp"

pass=0
fail=0

# conf FILE OWNER MODE: a config without keys (one %pass group) at FILE.
conf() {
	printf '[group g]\nsaid = %%pass\nsrc-ts = 10.0.1.0/24\ndst-ts = 10.0.2.0/24\n' > "$1" &&
		chown "$2" "$1" && chmod "$3" "$1"
}

# expect WHAT USER FILE RC [STDERR-LINE...]: `spigrpd -n -c FILE` run as USER
# exits RC and prints exactly these lines on stderr ($tmp/ removed).
expect() {
	what=$1 user=$2 file=$3 want_rc=$4
	shift 4
	if [ "$user" = root ]; then
		"$tmp/spigrpd" -n -c "$file" --local 192.0.2.1 >"$tmp/out" 2>"$tmp/err"
	else
		runuser -u "$user" -- "$tmp/spigrpd" -n -c "$file" --local 192.0.2.1 >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	: >"$tmp/want"
	for line in "$@"; do
		printf '%s\n' "$line" >>"$tmp/want"
	done
	# (a --coverage build run as another user adds libgcov's "profiling:"
	# lines: it cannot write its counters; they are not ours)
	sed "s|$tmp/||g" "$tmp/err" | grep -v '^profiling:' >"$tmp/got"
	if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/want" "$tmp/got"; then
		echo "PASS: $what"
		pass=$((pass + 1))
	else
		echo "FAIL: $what (exit $rc, expected $want_rc)"
		diff -u "$tmp/want" "$tmp/got"
		fail=$((fail + 1))
	fi
}

mkdir "$tmp/root" "$tmp/nobody" && chmod 755 "$tmp/root" "$tmp/nobody" &&
	chown nobody "$tmp/nobody" || exit 99

# A user checks a file of their own before it is installed.
conf "$tmp/nobody/mine.conf" nobody 644
expect "-n as nobody on its own file (0644) in its own directory: checked, accepted" \
	nobody "$tmp/nobody/mine.conf" 0
conf "$tmp/nobody/shared.conf" nobody 664
expect "-n as nobody on its own file writable by its group: refused" \
	nobody "$tmp/nobody/shared.conf" 1 \
	"nobody/shared.conf: is writable by group or others (mode 0664); chmod go-w it"
# Root (the daemon's view) refuses that same file until it is root's.
expect "-n as root on nobody's file in nobody's directory: refused, both named" \
	root "$tmp/nobody/mine.conf" 1 \
	"nobody/mine.conf: is owned by uid $nobody, not by root; chown root it" \
	"nobody/mine.conf: its directory nobody is owned by uid $nobody, not by root: that user could replace the file"
conf "$tmp/root/nobodys.conf" nobody 600
expect "-n as root on nobody's file (0600, no keys) in root's directory: refused" \
	root "$tmp/root/nobodys.conf" 1 \
	"root/nobodys.conf: is owned by uid $nobody, not by root; chown root it"
conf "$tmp/nobody/roots.conf" root 644
expect "-n as root on root's file in nobody's directory: refused (nobody could replace it)" \
	root "$tmp/nobody/roots.conf" 1 \
	"nobody/roots.conf: its directory nobody is owned by uid $nobody, not by root: that user could replace the file"
# Root's files are fine for everyone; a third user's are not.
conf "$tmp/root/installed.conf" root 644
expect "-n as nobody on root's installed file (0644): accepted" \
	nobody "$tmp/root/installed.conf" 0
expect "-n as root on root's installed file (0644): accepted" \
	root "$tmp/root/installed.conf" 0
conf "$tmp/root/daemons.conf" daemon 644
expect "-n as nobody on a file of user daemon: refused" \
	nobody "$tmp/root/daemons.conf" 1 \
	"root/daemons.conf: is owned by uid $other, not by root or uid $nobody"
conf "$tmp/root/open.conf" root 666
expect "-n as root on root's file writable by others (0666, no keys): refused" \
	root "$tmp/root/open.conf" 1 \
	"root/open.conf: is writable by group or others (mode 0666); chmod go-w it"

echo "cfg-owner: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
