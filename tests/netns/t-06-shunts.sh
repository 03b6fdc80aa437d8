# t-06-shunts: template-less policies are ours only when recorded.  A policy
# without templates carries no reqid, so a priority in our band does not
# make it ours: the daemon records the shunt policies it adds
# ($STATE/shunts) and removes only recorded leftovers (DESIGN.md decision
# 4): foreign ones in our band stay, a clash refuses the group, a kill -9's
# recorded leftovers go, a policy deleted behind the daemon's back makes its
# group lost, a record from another boot is ignored.

# Two foreign ones in our band: one of its own, one equal to what the
# daemon would make of group clash (1053504 = the priority of a /24 -> /24
# group, sadb_policy_priority()).
nsx ip xfrm policy add src 10.7.0.0/16 dst 10.8.0.0/16 dir out priority 1000500 action allow
nsx ip xfrm policy add src 10.9.5.0/24 dst 10.9.6.0/24 dir out priority 1053504 action allow
clash_conf | write_conf "$CONF"
check_start "spigrpd starts with foreign template-less policies in our priority band"
check "a foreign template-less policy in our band survives the start" \
	has_policy 10.7.0.0/16 10.8.0.0/16 out
check "with no group placed in userspace the datapath is not started: no TUN device, no socket policies" \
	eval '! nsx ip link show spigrp0 >/dev/null 2>&1 &&
		! nsx ip xfrm policy | grep -q "dir 0\|socket" &&
		"$SPIGRP" --control "$CTL" --status | grep -q "^datapath: not running (no group is placed in userspace)"'
check "a foreign policy equal to a shunt group's is not adopted: that group is refused" \
	test "$(json_states)" = "pass4=installed drop6=installed clash=refused"
check "... the foreign policy stays, and nothing of the refused group is left" \
	eval 'has_policy 10.9.5.0/24 10.9.6.0/24 out && ! has_policy 10.9.5.0/24 10.9.6.0/24 in &&
		! has_policy 10.9.5.0/24 10.9.6.0/24 fwd'
check "the shunt record holds our 6 policies and not the foreign ones, mode 0600" \
	eval 'test "$(stat -c %a "$STATE/shunts")" = 600 &&
		live_record | grep -q "^out 10.9.1.0/24 10.9.2.0/24 " &&
		test "$(live_record | wc -l)" = 6 &&
		! live_record | grep -q "10\.7\.0\.0\|10\.9\.5\.0"'
check "SIGTERM stops the daemon" stop_daemon TERM
check "after the stop the two foreign policies are left, and only they" \
	eval 'has_policy 10.7.0.0/16 10.8.0.0/16 out && has_policy 10.9.5.0/24 10.9.6.0/24 out &&
		test "$(npolicies)" = 2'
# A recorded leftover of ours: install pass6, kill -9, start without it.
shunt_b | write_conf "$CONF"
check_start "spigrpd starts on config B (with group pass6)"
check "group pass6's policies are in the kernel and in the shunt record" \
	eval 'has_policy fd00:9:3::/64 fd00:9:4::/64 out && has_policy fd00:9:3::/64 fd00:9:4::/64 in &&
		live_record | grep -q "^out fd00:9:3::/64 fd00:9:4::/64 "'
kill -KILL "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
daemon_pid=
shunt_a | write_conf "$CONF"
check_start "after kill -9, spigrpd starts on config A (without pass6)"
check "pass6's recorded leftover policies are removed (in, fwd, out)" \
	no_policy fd00:9:3::/64 fd00:9:4::/64
check "... and gone from the shunt record" \
	eval '! live_record | grep -q "fd00:9:3::"'
check "... the foreign template-less policies stay" \
	eval 'has_policy 10.7.0.0/16 10.8.0.0/16 out && has_policy 10.9.5.0/24 10.9.6.0/24 out'
check "... config A's groups adopted, not installed anew" \
	eval 'test "$(json_states)" = "pass4=installed drop6=installed" &&
		grep -q "group pass4: adopted" "$LOG"'
# A policy of ours deleted behind the daemon's back: the DELPOLICY event
# (the policy nested at a 4-byte aligned offset: read with memcpy, which a
# sanitizer build checks) makes the group lost and its rest removed.
nsx ip xfrm policy delete src 10.9.1.0/24 dst 10.9.2.0/24 dir fwd
check "a policy of ours deleted behind its back: the group is lost, the daemon runs" \
	eval 'wait_pass4_lost && running'
check "... the rest of the lost group is removed, and gone from the shunt record" \
	eval 'no_policy 10.9.1.0/24 10.9.2.0/24 && ! live_record | grep -q "10\.9\.1\.0"'
check "SIGTERM stops the daemon" stop_daemon TERM
check "after the stop only the two foreign policies are left" \
	eval 'test "$(npolicies)" = 2 && has_policy 10.7.0.0/16 10.8.0.0/16 out &&
		has_policy 10.9.5.0/24 10.9.6.0/24 out'
nsx ip xfrm policy delete src 10.7.0.0/16 dst 10.8.0.0/16 dir out
nsx ip xfrm policy delete src 10.9.5.0/24 dst 10.9.6.0/24 dir out
# A record from another boot (or network namespace) records nothing: the
# leftovers it lists are left alone then.
shunt_b | write_conf "$CONF"
need_start "spigrpd starts on config B again"
kill -KILL "$daemon_pid" 2>/dev/null
wait "$daemon_pid" 2>/dev/null
daemon_pid=
sed -i '1s/ boot .*/ boot 00000000-0000-0000-0000-000000000000/' "$STATE/shunts"
shunt_a | write_conf "$CONF"
need_start "spigrpd starts on config A again"
check "a shunt record from another boot is ignored, and says so" \
	grep -q 'shunt policy record .* is from another network namespace or boot' "$LOG"
check "... so pass6's leftover policies are not taken for ours: they stay" \
	eval 'has_policy fd00:9:3::/64 fd00:9:4::/64 out && has_policy fd00:9:3::/64 fd00:9:4::/64 in'
check "SIGTERM stops the daemon" stop_daemon TERM
nsx ip xfrm policy flush # (our own test namespace)

