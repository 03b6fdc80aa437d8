# Shared part of the host-kernel tier, sourced by tests/netns/run.sh (bash)
# before the case files t-NN-*.sh, all in one shell.
#
# Sourcing it checks that the tier can run (root, /dev/fuse, the tools, a
# built spigrpd; else skip_or_fail), makes the work directory $W, sets the
# EXIT trap that cleans up, brings up the topology (check 1) and defines:
#   counters and output  ok, not_ok, check WHAT CMD..., info
#   configs              daemon_section, write_conf, seed_conf, shunt_a,
#                        shunt_b, clash_conf, a_plus; $CONF_A, $CONF_B
#                        (A and B written) and their renderings $VIEW_A,
#                        $VIEW_B
#   the daemon           start_daemon, check_start, need_start, reaped,
#                        running, stop_daemon, end_daemon, mounted, poll, wait_log,
#                        view_is, wait_view
#   control socket       ctl_req, ctl_raw, json_states, states_are,
#                        wait_states, wait_pass4_lost, sa_packets
#   the kernel           nsx, npolicies, has_policy, no_policy, live_record
# Paths: $W $MNT $V (the view's ipsec_spigrp) $CTL $STATE $CONF $LOG;
# namespaces $NS (the daemon's: 192.168.2.110, 3049:1::2) and $PEER
# (192.168.2.100, 3049:1::1) joined by a veth pair; $SPIGRPD $SPIGRP $PY.
#
# A case file starts with no daemon running and the topology as above, and
# leaves it so (run.sh stops a daemon a case left: end_daemon).

: "${builddir:?}" "${srcdir:?}"
SPIGRPD=$builddir/spigrpd
SPIGRP=$builddir/spigrp
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - netns tier cannot run: $1 (a skip is a failure in CI)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "netns: SKIP: $1"
	exit 77
}

[ "$(id -u)" = 0 ] || skip_or_fail "needs root"
[ -c /dev/fuse ] || skip_or_fail "no /dev/fuse"
for tool in ip nsenter runuser timeout dd head cmp md5sum; do
	command -v "$tool" >/dev/null 2>&1 || skip_or_fail "$tool not found"
done
[ -x "$SPIGRPD" ] && [ -x "$SPIGRP" ] || skip_or_fail "$SPIGRPD or $SPIGRP not built"

passed=0
failed=0
n=0
ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
# check WHAT CMD...: one check, passed when CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
info() {
	echo "# $*"
}

NS=spgt-$$
PEER=spgp-$$
W=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-netns.XXXXXX") || exit 1
chmod 755 "$W" # user nobody must reach the mount point below it
MNT=$W/net
V=$MNT/ipsec_spigrp
CTL=$W/ctl
STATE=$W/state
CONF=$W/spigrpd.conf
LOG=$W/daemon.log
daemon_pid=
reader_pids=

cleanup() {
	local p
	for p in $reader_pids; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null
		for p in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	# Every mount left below the work dir (a dead view after kill -9).
	while grep -q " $W/" /proc/mounts 2>/dev/null; do
		umount -l "$MNT" 2>/dev/null || break
	done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	if [ "${NETNS_KEEP:-0}" = 1 ]; then
		echo "# work dir kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- topology: the daemon's namespace holds the seed's destination ----
nsx() {
	nsenter --net="/run/netns/$NS" "$@"
}
topo_up() {
	ip netns add "$NS" && ip netns add "$PEER" &&
		ip link add spgt0 netns "$NS" type veth peer name spgp0 netns "$PEER" &&
		nsx ip link set lo up &&
		nsx ip addr add 192.168.2.110/24 dev spgt0 &&
		nsx ip addr add 3049:1::2/64 dev spgt0 nodad &&
		nsx ip link set spgt0 up &&
		ip -n "$PEER" link set lo up &&
		ip -n "$PEER" addr add 192.168.2.100/24 dev spgp0 &&
		ip -n "$PEER" addr add 3049:1::1/64 dev spgp0 nodad &&
		ip -n "$PEER" link set spgp0 up
}
if ! topo_up; then
	not_ok "network namespaces $NS/$PEER with a veth pair"
	echo "$passed passed, $failed failed"
	exit 1
fi
ok "network namespaces $NS/$PEER with a veth pair, 192.168.2.110 and 3049:1::2 inside"

# ---- configs ----
daemon_section() {
	cat <<EOF
[daemon]
datapath = kernel
mount = $MNT
control = $CTL
state-dir = $STATE
EOF
}

# write_conf FILE: stdin (SA and group sections) after our [daemon] section,
# replacing FILE atomically, mode 0600.
write_conf() {
	local f=$1
	{
		daemon_section
		cat
	} > "$f.new" && chmod 600 "$f.new" && mv -f "$f.new" "$f"
}

# The seed's groups, daemon section replaced by ours.
seed_conf() {
	sed -e '/^\[daemon\]/,/^\[/{/^\[sa\|^\[group/!d}' "$srcdir/contrib/seed-only.conf"
}

# Two shunt configs: policies only, which this kernel can hold.  B is A
# plus one group, so the two renderings differ.
shunt_a() {
	cat <<'EOF'
[group pass4]
said = %pass
src-ts = 10.9.1.0/24
dst-ts = 10.9.2.0/24

[group drop6]
said = %drop
src-ts = fd00:9:1::/64
dst-ts = fd00:9:2::/64
EOF
}
# a_plus GROUP SRC-TS DST-TS: config A plus one %pass group.
a_plus() {
	shunt_a
	printf '\n[group %s]\nsaid = %%pass\nsrc-ts = %s\ndst-ts = %s\n' "$1" "$2" "$3"
}
shunt_b() {
	a_plus pass6 fd00:9:3::/64 fd00:9:4::/64
}
# A plus group clash, whose policy t-06 adds beforehand as a foreign one.
clash_conf() {
	a_plus clash 10.9.5.0/24 10.9.6.0/24
}
CONF_A=$W/a.conf
CONF_B=$W/b.conf
shunt_a | write_conf "$CONF_A"
shunt_b | write_conf "$CONF_B"
# What the view must hold for them: one line per group, each SAID followed
# by one space, in creation order (ipsec_spigrp(5)).
VIEW_A=$W/view-a
VIEW_B=$W/view-b
printf '%%pass \n%%drop \n' > "$VIEW_A"
printf '%%pass \n%%drop \n%%pass \n' > "$VIEW_B"

# ---- daemon helpers ----
# start_daemon: start spigrpd on $CONF in $NS, log to $LOG; wait until it
# says it runs (or exits).  0 when running.
start_daemon() {
	: > "$LOG"
	nsenter --net="/run/netns/$NS" "$SPIGRPD" -f -c "$CONF" >> "$LOG" 2>&1 &
	daemon_pid=$!
	local i
	for i in $(seq 100); do
		grep -q 'running:' "$LOG" && return 0
		reaped && return 1
		sleep 0.1
	done
	return 1
}
# reaped: the daemon has exited: reap it and forget its pid.  1 while it runs.
reaped() {
	kill -0 "$daemon_pid" 2>/dev/null && return 1
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}
# need_start WHAT: start_daemon as a case's setup, not counted unless it
# fails (then one failed check WHAT, and the log).  0 when running.
need_start() {
	start_daemon && return 0
	not_ok "$1"
	sed 's/^/# log: /' "$LOG"
	return 1
}
# check_start WHAT: start_daemon as one check; the log shown when it fails.
check_start() {
	need_start "$1" && ok "$1"
}
# running: the daemon we started is alive.
running() {
	[ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null
}
# stop_daemon [SIG]: signal it (default TERM), wait up to 10 s.  0 when it
# ran and is gone now.
stop_daemon() {
	local sig=${1:-TERM} i
	[ -n "$daemon_pid" ] || return 1
	kill -"$sig" "$daemon_pid" 2>/dev/null
	for i in $(seq 100); do
		reaped && return 0
		sleep 0.1
	done
	return 1
}
# end_daemon WHO: a case's end: stop (TERM) the daemon still running, if
# any; counted only when that fails (one failed check).
end_daemon() {
	[ -n "$daemon_pid" ] || return 0
	stop_daemon TERM || not_ok "the daemon $1 left running stops on SIGTERM"
}
mounted() {
	grep -q " $MNT fuse" /proc/mounts
}
# The control socket client: send argv[2] to the socket argv[1] and print
# the whole answer.  argv[3] "text": argv[2] is one request line, answer as
# UTF-8; "raw": argv[2] with Python escapes (\x00...) is sent as is, no
# newline added, answer as Latin-1.
CTL_CLIENT='
import socket, sys
raw = sys.argv[3] == "raw"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
if raw:
    s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
else:
    s.sendall(sys.argv[2].encode() + b"\n")
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode("latin-1" if raw else "utf-8"))
'
# ctl_req LINE [USER]: send one request line (as root, or as USER), print the
# whole answer.
ctl_req() {
	${2:+runuser -u "$2" --} "$PY" -c "$CTL_CLIENT" "$CTL" "$1" text
}
# ctl_raw BYTES: send BYTES (Python escapes such as \x00 allowed) as root,
# close our side, print the whole answer.
ctl_raw() {
	"$PY" -c "$CTL_CLIENT" "$CTL" "$1" raw
}
# poll CMD...: up to 5 s (every 0.1 s) until CMD succeeds.  0 when it did.
poll() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# wait_log PATTERN: up to 5 s for an extended regex in $LOG (after HUP).
wait_log() {
	poll grep -Eq "$1" "$LOG"
}
# view_is FILE: the view reads as FILE, byte for byte.  (Not `cmp VIEW
# FILE`: cmp trusts st_size, and the view's files say 0 like procfs.)
view_is() {
	cat "$MNT/ipsec_spigrp" | cmp -s - "$1"
}
# wait_view FILE: up to 5 s until the view equals FILE.
wait_view() {
	poll view_is "$1"
}
# json_states: "name=state name=state ..." from spigrp --json.
json_states() {
	"$SPIGRP" --control "$CTL" --json |
		"$PY" -c 'import json, sys
print(" ".join("%s=%s" % (g["name"], g["state"]) for g in json.load(sys.stdin)["groups"]))'
}
# states_are WANT: spigrp --json gives WANT.
states_are() {
	[ "$(json_states 2>/dev/null)" = "$1" ]
}
# wait_states WANT: up to 5 s until spigrp --json gives WANT.
wait_states() {
	poll states_are "$1" && return 0
	echo "# states: $(json_states), want $1"
	return 1
}
# wait_pass4_lost: up to 5 s until config A's pass4 is lost, drop6 installed.
wait_pass4_lost() {
	poll states_are "pass4=lost drop6=installed"
}

# sa_packets SAID: packets counted on SAID (spigrp --json)
sa_packets() {
	"$SPIGRP" --control "$CTL" --json |
		"$PY" -c 'import json, sys
for g in json.load(sys.stdin)["groups"]:
    for s in g["sas"]:
        if s["said"] == sys.argv[1]:
            print(s.get("packets", 0))' "$1"
}

# ---- the kernel (the namespace is ours alone) ----
# npolicies: our policies in the namespace.
npolicies() {
	# in, out and fwd policies: not the per-socket bypass policies of the
	# userspace datapath's sockets ("socket in", "socket out")
	nsx ip xfrm policy list | grep -Ec '^[[:space:]]+dir (in|out|fwd) '
}
# has_policy SRC DST DIR: the namespace holds a policy with this selector.
has_policy() {
	nsx ip xfrm policy get src "$1" dst "$2" dir "$3" >/dev/null 2>&1
}
# no_policy SRC DST: none in any direction.
no_policy() {
	! has_policy "$1" "$2" in && ! has_policy "$1" "$2" fwd && ! has_policy "$1" "$2" out
}
# live_record: the policies the shunt record holds now (it is a journal of
# "+ POLICY" / "- POLICY" lines after a header line), without the "+ ".
live_record() {
	awk 'NR > 1 { k = substr($0, 3); if ($1 == "+") l[k] = 1; else delete l[k] }
		END { for (k in l) print k }' "$STATE/shunts"
}
