# t-04-crash: kill -9 leaves a dead mount, a stale socket and our policies;
# the next start cleans up the mount, adopts config A's policies and removes
# the recorded ones of B's group pass6.  Then SIGTERM: unmounted, our
# policies removed from the kernel.

# The daemon killed runs config B (reloaded from A), its file back to A.
shunt_a | write_conf "$CONF"
need_start "spigrpd starts on config A before the kill -9"
policies_a=$(npolicies)
cp -p "$CONF_B" "$CONF.new" && mv -f "$CONF.new" "$CONF"
kill -HUP "$daemon_pid"
wait_view "$VIEW_B" || not_ok "SIGHUP with config B before the kill -9"
shunt_a | write_conf "$CONF"
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
check "after kill -9 the view's mount is dead (ENOTCONN) but still listed" \
	sh -c "grep -q ' $MNT fuse' /proc/mounts && ! ls '$MNT' >/dev/null 2>&1"
check_start "spigrpd starts again over the dead mount and stale socket"
check "the view serves rendering A again" wait_view "$VIEW_A"
check "exactly one mount of the view is left" \
	test "$(grep -c " $MNT fuse" /proc/mounts)" = 1
check "leftover policies adopted, none duplicated" \
	test "$policies_a" -gt 0 -a "$(npolicies)" = "$policies_a"

# ---- SIGTERM: unmount, remove our policies ----
was_mounted=no
mounted && was_mounted=yes
policies_before=$(npolicies)
check "SIGTERM stops the daemon" stop_daemon TERM
check "SIGTERM unmounts the view (mount point gone from /proc/mounts)" \
	eval '[ $was_mounted = yes ] && ! grep -q " $MNT " /proc/mounts'
check "SIGTERM removes our policies from the kernel ($policies_before before)" \
	test "$policies_before" -gt 0 -a "$(npolicies)" = 0

