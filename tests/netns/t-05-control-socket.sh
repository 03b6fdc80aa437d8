# t-05-control-socket: 30 idle clients do not keep others waiting and are
# dropped; malformed requests (NUL, control bytes) and extra arguments are
# refused, a clean reload is served meanwhile; spigrp's usage errors and the
# KLIPS forms' syntax errors; a clean stop removes the socket but keeps a
# lock file the daemon did not create.

# A lock file left behind, as a daemon killed with -9 leaves it (t-04).
[ -e "$CTL.lock" ] || : > "$CTL.lock"
shunt_a | write_conf "$CONF"
check_start "spigrpd starts again for the control socket checks"
check "the lock file $CTL.lock exists while the daemon runs" test -f "$CTL.lock"
# 30 connections that never send a request, held open for 6 s: whenever
# the daemon drops one (1 s without a request), it is opened again.
idle_out=$W/idle.out
"$PY" -c '
import select, socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    return s
socks = [conn() for _ in range(30)]
print("ready", flush=True)
end = time.time() + float(sys.argv[2])
again = 0
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.1)
    for s in r:
        socks.remove(s)
        s.close()
        socks.append(conn())
        again += 1
print("reopened", again, "open", len(socks), flush=True)
' "$CTL" 6 > "$idle_out" 2>&1 &
idle_pid=$!
reader_pids="$reader_pids $idle_pid"
for i in $(seq 50); do
	grep -q ready "$idle_out" && break
	sleep 0.1
done
idle_ok=0
for i in 1 2 3 4 5; do
	# each answer within 3 s (the old one-at-a-time server took 1 s per
	# idle client), byte for byte the view
	if timeout 3 "$SPIGRP" --control "$CTL" > "$W/spigrp-idle.out" 2>&1 &&
		cmp -s "$W/spigrp-idle.out" "$VIEW_A"; then
		idle_ok=$((idle_ok + 1))
	fi
	sleep 0.5
done
check "30 idle connections open: spigrp answered 5 of 5 times within 3 s ($idle_ok)" \
	eval 'grep -q ready "$idle_out" && test "$idle_ok" = 5'
wait "$idle_pid" 2>/dev/null
info "idle clients: $(tail -n 1 "$idle_out")"
check "... and the daemon dropped the idle ones and they could connect again" \
	grep -Eq '^reopened [1-9][0-9]* open 30$' "$idle_out"

reloads_before=$(grep -c 'reloaded ' "$LOG")
ans=$(ctl_raw 'reload\x00garbage\n')
check "a reload request with a NUL byte in it is refused with errno=22" \
	eval 'test "$(echo "$ans" | tail -n 1)" = "errno=22" && echo "$ans" | grep -q "malformed request"'
sleep 0.5
check "... and nothing was reloaded (no 'reloaded' log line)" \
	test "$(grep -c 'reloaded ' "$LOG")" = "$reloads_before"
ans=$(ctl_raw 'reload\n')
check "while a clean reload request is served (errno=0, logged)" \
	eval 'test "$(echo "$ans" | tail -n 1)" = "errno=0" && wait_log "reloaded " &&
		test "$(grep -c "reloaded " "$LOG")" -gt "$reloads_before"'
ans=$(ctl_raw 'view\x01\n')
check "a view request with a control character is refused (errno=22)" \
	test "$(echo "$ans" | tail -n 1)" = "errno=22"
ans=$(ctl_req 'view extra')
check "'view extra' is refused: errno=22, 'view takes no arguments'" \
	test "$ans" = "view takes no arguments
errno=22"
ans=$(ctl_req 'status --now')
check "'status --now' is refused too (errno=22)" test "$(echo "$ans" | tail -n 1)" = "errno=22"
ans=$(ctl_req 'view')
check "... while 'view' is answered (errno=0)" test "$(echo "$ans" | tail -n 1)" = "errno=0"

# spigrp: usage errors (exit 1, usage on stderr, nothing on stdout); the
# KLIPS forms answer their syntax errors with KLIPS's messages (t-40 runs
# the KLIPS commands against the daemon)
for a in "foo" "--status extra" "--bogus"; do
	# shellcheck disable=SC2086
	"$SPIGRP" --control "$CTL" $a > "$W/sp.out" 2> "$W/sp.err"
	rc=$?
	check "spigrp $a: usage error (exit 1, usage on stderr)" \
		eval 'test "$rc" = 1 -a ! -s "$W/sp.out" && grep -q "^usage: " "$W/sp.err"'
done
for a in "--said" "inet 192.168.2.110 0x100"; do
	# shellcheck disable=SC2086
	"$SPIGRP" --control "$CTL" $a > "$W/sp.out" 2> "$W/sp.err"
	rc=$?
	check "spigrp $a: KLIPS's syntax error (exit 1)" \
		eval 'test "$rc" = 1 && grep -q "^$SPIGRP: expecting [35] or more args" "$W/sp.err"'
done

check "SIGTERM stops the daemon" stop_daemon TERM
check "a clean stop removes the control socket" test ! -e "$CTL"
# This daemon found the lock file a kill -9 left (above): it did not
# create it, so it keeps it (only a lock file a daemon created is removed;
# check_ctl covers that side).
check "... and keeps a lock file it did not create" test -f "$CTL.lock"
rm -f "$CTL.lock"


# spigrp -V and --version print "spigrp VERSION", spigrpd's version
want="spigrp $("$SPIGRPD" -V | sed 's/^spigrpd //')"
for a in -V --version; do
	check "spigrp $a: \"$want\" (exit 0)" \
		eval 'test "$("$SPIGRP" $a)" = "$want"'
done
