# t-07-directions: directions follow address changes.  Without
# 192.168.2.110 no end of seed4 is local: skipped.  Adding the address makes
# seed4 inbound, so it is tried (and refused: no ESP here); removing it
# skips it again.  seed6 (3049:1::2 stays) is not touched.  The address is
# back at the end.

nsx ip addr del 192.168.2.110/24 dev spgt0
seed_conf | write_conf "$CONF"
need_start "spigrpd starts on seed-only.conf without 192.168.2.110"
check "seed4 has no local end: skipped; seed6 refused" \
	wait_states "seed4=skipped seed6=refused"
refusals=$(grep -c 'group seed6 .*refused' "$LOG")
nsx ip addr add 192.168.2.110/24 dev spgt0
check "192.168.2.110 added: seed4 becomes inbound and is tried (refused by this kernel)" \
	wait_states "seed4=refused seed6=refused"
check "... the daemon logged the re-evaluation" \
	grep -q 'local addresses changed: re-evaluating directions' "$LOG"
check "... seed6, unchanged, was not tried again" \
	test "$(grep -c 'group seed6 .*refused' "$LOG")" = "$refusals"
nsx ip addr del 192.168.2.110/24 dev spgt0
check "192.168.2.110 removed: seed4 skipped again" \
	wait_states "seed4=skipped seed6=refused"
check "SIGTERM stops the daemon" stop_daemon TERM
nsx ip addr add 192.168.2.110/24 dev spgt0
