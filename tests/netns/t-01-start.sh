# t-01-start: the seed's groups on a kernel without ESP.  The daemon starts,
# mounts the view and refuses both groups with the kernel's reason (all or
# nothing: nothing left in the kernel); the view's mount and files; a second
# instance on the same control socket; SIGTERM; spigrp without a daemon.

seed_conf | write_conf "$CONF"
check_start "spigrpd starts on contrib/seed-only.conf (datapath = kernel)"
check "the view is mounted at $MNT" mounted
for g in seed4 seed6; do
	check "group $g refused by the kernel with EPROTONOSUPPORT, logged" \
		grep -Eq "group $g .*refused by the kernel.*(EPROTONOSUPPORT|Protocol not supported)" "$LOG"
done
check "spigrp --json: both groups refused" \
	test "$(json_states)" = "seed4=refused seed6=refused"
check "spigrp --status gives the kernel's reason" \
	eval '"$SPIGRP" --control "$CTL" --status | grep -Eq "state: refused.*(EPROTONOSUPPORT|Protocol not supported)"'
check "refused groups are absent: ipsec_spigrp is empty" \
	test -f "$MNT/ipsec_spigrp" -a "$(cat "$MNT/ipsec_spigrp" | wc -c)" = 0
check "nothing of the refused groups left in the kernel (all or nothing)" \
	eval 'running && test "$(nsx ip xfrm state list | wc -l)" = 0 -a "$(npolicies)" = 0'
check "ipsec_version names spigrpd" \
	grep -q '^spigrpd version: ' "$MNT/ipsec_version"
check "spigrp prints the (empty) view, exit 0" \
	test "$("$SPIGRP" --control "$CTL" | wc -c; echo "rc=${PIPESTATUS[0]}")" = "0
rc=0"
check "mounted read-only, allow_other, default_permissions" \
	grep -Eq " $MNT fuse\.spigrpd ro,.*default_permissions,allow_other" /proc/mounts
check "root directory 0555, files 0444 owned by root, size 0" \
	test "$(stat -c '%a %U' "$MNT")" = "555 root" -a \
		"$(stat -L -c '%a %U %s' "$MNT/ipsec_spigrp" "$MNT/ipsec_version" | sort -u)" = "444 root 0"
check "ls lists the ipsec/ tree and the compatibility links (t-25 reads them)" \
	test "$(ls "$MNT" | tr '\n' ' ')" = "ipsec ipsec_eroute ipsec_klipsdebug ipsec_spi ipsec_spigrp ipsec_tncfg ipsec_version "
if ! mounted || (echo x > "$MNT/ipsec_spigrp") 2>/dev/null; then
	not_ok "writing the view is refused, even for root"
else
	ok "writing the view is refused, even for root"
fi
first_pid=$daemon_pid
daemon_pid=
second_log=$W/second.log
timeout 10 nsenter --net="/run/netns/$NS" "$SPIGRPD" -f -c "$CONF" > "$second_log" 2>&1
rc=$?
daemon_pid=$first_pid
check "a second instance on the same control socket refuses to start (exit $rc)" \
	eval 'running && test "$rc" != 0 -a "$rc" != 124'
check "... and says why" grep -q 'another spigrpd is running' "$second_log"
check "... and the first one still serves the view" \
	test -f "$MNT/ipsec_spigrp" -a "$("$SPIGRP" --control "$CTL"; echo "rc=$?")" = "rc=0"
was_mounted=no
mounted && was_mounted=yes
had_socket=no
[ -S "$CTL" ] && had_socket=yes
check "SIGTERM stops the daemon" stop_daemon TERM
check "SIGTERM unmounts the view" eval '[ $was_mounted = yes ] && ! mounted'
check "SIGTERM removes the control socket" test $had_socket = yes -a ! -e "$CTL"
out=$("$SPIGRP" --control "$CTL" 2>&1)
rc=$?
check "spigrp without a daemon: exit 1 and 'cannot reach spigrpd at PATH: reason'" \
	test "$rc" = 1 -a "$out" = "spigrp: cannot reach spigrpd at $CTL: No such file or directory"


# The mount namespace: the daemon above (nsenter --net) shares ours and says
# nothing; one started with `ip netns exec` (a private mount namespace)
# notes that its view and control socket are visible only inside it.
check "started with nsenter --net: no note on the mount namespace" \
	eval '! grep -q "mount namespace of its own" "$LOG"'
: > "$LOG"
ip netns exec "$NS" "$SPIGRPD" -f -c "$CONF" >> "$LOG" 2>&1 &
daemon_pid=$!
wait_log "running:"
check "started with ip netns exec: an info line says the view is visible only inside its mount namespace" \
	grep -q "info: this process has a mount namespace of its own: the view at $MNT and the control socket $CTL are visible only inside it" "$LOG"
check "... and the view is indeed not mounted here" eval '! mounted'
check "... it stops on SIGTERM" stop_daemon TERM

# Without -f the daemon logs to syslog(3): with no socket at /dev/log (hidden
# here in a private mount namespace) it says on stderr that its messages
# would be lost; with -f it does not.
nolog() {
	unshare -m sh -c '[ -e /dev/log ] && mount --bind /dev/null /dev/log; exec "$@"' sh "$@"
}
nolog "$SPIGRPD" -c "$W/no-such.conf" > /dev/null 2> "$W/nolog.err"
check "no /dev/log, without -f: a note on stderr says the messages would be lost" \
	grep -q "^spigrpd: note: no syslog socket at /dev/log: the messages of this daemon will be lost" "$W/nolog.err"
nolog "$SPIGRPD" -f -c "$W/no-such.conf" > /dev/null 2> "$W/nolog.err"
check "... with -f: no such note" eval '! grep -q "no syslog socket" "$W/nolog.err"'
