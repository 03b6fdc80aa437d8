# t-91-reload-scale.sh: a SIGHUP costs about what a start costs (issue 5,
# defect 1: the reload looked every old group up by a scan of the new
# ones, so its time grew with the square of the group count: 50,000
# groups started in ~1 s and reloaded in ~18 s).
#
# Sourced by run.sh (its helpers and variables).  50,000 SAs in no group
# (each its own group), none of whose addresses is local: every group is
# skipped at once, so both times are the daemon's own work (parse, build,
# place, reconcile, render), nothing of the kernel's.  Only the ratio of
# the two times is checked, never an absolute time.

SCALE_N=${NETNS_SCALE_GROUPS:-50000}
SCALE_CONF=$W/scale.conf
# now: seconds since the epoch, with nanoseconds
scale_now() {
	date +%s.%N
}
# scale_wait_count PATTERN N LIMIT: until the log holds N lines matching
# PATTERN (0), the daemon exits or LIMIT seconds pass (1)
scale_wait_count() {
	local t0
	t0=$(scale_now)
	while [ "$(grep -c "$1" "$LOG")" -lt "$2" ]; do
		running || return 1
		awk -v a="$t0" -v b="$(scale_now)" -v l="$3" 'BEGIN { exit !(b - a > l) }' && return 1
		sleep 0.05
	done
	return 0
}

{
	daemon_section
	awk -v n="$SCALE_N" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "[sa comp.1000@10.%d.%d.%d]\nsrc = 198.51.100.1\ncomp = deflate\n\n",
				int(i / 65536), int(i / 256) % 256, i % 256
	}'
} > "$SCALE_CONF.new" && chmod 600 "$SCALE_CONF.new" && mv -f "$SCALE_CONF.new" "$SCALE_CONF"

: > "$LOG"
t0=$(scale_now)
nsenter --net="/run/netns/$NS" "$SPIGRPD" -f -c "$SCALE_CONF" >> "$LOG" 2>&1 &
daemon_pid=$!
if scale_wait_count 'running:' 1 600; then
	t1=$(scale_now)
	start_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	ok "spigrpd starts with $SCALE_N groups ($start_secs s)"
	# the reload may take 3 times the start, plus 2 s for a small
	# machine's noise; the scan took 15 times the start at 50,000
	limit=$(awk -v s="$start_secs" 'BEGIN { printf "%.2f", 3 * s + 2 }')
	t0=$(scale_now)
	kill -HUP "$daemon_pid"
	if scale_wait_count 'reloaded ' 1 "$(awk -v l="$limit" 'BEGIN { print 10 * l + 30 }')"; then
		t1=$(scale_now)
		hup_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	else
		hup_secs=never
	fi
	info "$SCALE_N groups: start $start_secs s, SIGHUP $hup_secs s (limit $limit s)"
	check "a SIGHUP with $SCALE_N groups costs about a start ($hup_secs s vs $start_secs s)" \
		awk -v h="$hup_secs" -v l="$limit" 'BEGIN { exit !(h != "never" && h <= l) }'
	check "... and the view, status and list still answer after it" \
		eval 'test "$(ctl_req list | grep -c " skipped ")" = "$SCALE_N"'
else
	not_ok "spigrpd starts with $SCALE_N groups"
	tail -n 5 "$LOG" | sed 's/^/# log: /'
fi
check "SIGTERM stops the daemon with $SCALE_N groups" stop_daemon TERM
rm -f "$SCALE_CONF"
