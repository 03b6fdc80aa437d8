# t-08-state-dir: the state dir is one daemon's; reload paths.  A daemon in
# the peer namespace with its own mount and control but our state-dir
# refuses to start; a reload keeps the running state-dir; the config is
# re-read under its (symlinked) name.

mkdir -p "$W/real"
shunt_a | write_conf "$W/real/one.conf"
shunt_b | write_conf "$W/real/two.conf"
ln -sfn real/one.conf "$W/cur.conf"
: > "$LOG"
nsenter --net="/run/netns/$NS" "$SPIGRPD" -f -c "$W/cur.conf" >> "$LOG" 2>&1 &
daemon_pid=$!
wait_log 'running:' || not_ok "spigrpd starts on a symlinked config"
sed -e "s|^mount = .*|mount = $W/net2|" -e "s|^control = .*|control = $W/ctl2|" \
	"$W/real/one.conf" > "$W/other.conf" && chmod 600 "$W/other.conf"
timeout 10 nsenter --net="/run/netns/$PEER" "$SPIGRPD" -f -c "$W/other.conf" > "$W/other.log" 2>&1
rc=$?
sed "s/^/# other: /" "$W/other.log"
check "a daemon in another namespace sharing our state-dir refuses to start (exit $rc)" \
	eval 'test "$rc" = 1 && grep -q "state-dir .* is in use by another spigrpd" "$W/other.log"'
check "... and left nothing in its namespace" \
	test "$(ip -n "$PEER" xfrm policy | grep -c '^src')" = 0
ln -sfn real/two.conf "$W/cur.conf"
sed -i "s|^state-dir = .*|state-dir = $W/state-moved|" "$W/real/two.conf"
kill -HUP "$daemon_pid"
check "SIGHUP follows the symlink to the new file (its third group shows)" \
	wait_view "$VIEW_B"
check "... and keeps the running state-dir (it changes only at restart)" \
	eval 'grep -q "change only on restart" "$LOG" && test ! -e "$W/state-moved" &&
		grep -q pass6 "$STATE/reqids"'
check "SIGTERM stops the daemon" stop_daemon TERM
