# Helpers of the fixture recorders tests/uml/rec-xfrm.sh and
# rec-kderive.sh, sourced after lib.sh.  They use $O (the output
# directory), $REC (tests/tools/xfrmrec.py) and $T.

# run_in NS CMD...: run CMD in namespace NS, fail the recording if it fails.
run_in() {
	_n=$1
	shift
	ns "$_n" "$@" || fail "in $_n: $*"
}

newns() {
	ip netns add "$1" || fail "ip netns add $1"
	ns "$1" ip link set lo up
}

# listen_start NS FILE COUNT [SECONDS [GROUP...]]: a listener on the groups
# (default: expire, SA and policy), FILE in $O; returns once it has joined
# them.  listen_wait: until it has COUNT messages (COUNT 0: until SECONDS
# (default 15) pass without one).
listen_start() {
	rm -f "$T/ready"
	_ln=$1 _lfile=$2 _lc=$3 _ls=${4:-15}
	shift 3
	[ $# -gt 0 ] && shift
	ns "$_ln" $REC listen "$O/$_lfile" "$_lc" "$_ls" "$T/ready" "$@" &
	_lpid=$!
	_i=0
	while [ ! -e "$T/ready" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -e "$T/ready" ] || fail "listener for $_lfile did not start"
}
listen_wait() {
	wait "$_lpid" || fail "listener for $_lfile: too few messages"
}
