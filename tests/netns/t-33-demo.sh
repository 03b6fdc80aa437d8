# t-33-demo: contrib/demo.sh (the README's first command) on the programs
# of this build (DEMO_BUILDDIR: no package install, no build): it passes,
# and everything it started is gone afterwards: its daemons and iperf3
# servers (the PIDs it kept are theirs, not a subshell's), its network
# namespaces and its mounts.  The demo checks this itself at its end; the
# checks here look from outside.
DEMO_BUILDDIR=$builddir "$srcdir/contrib/demo.sh" > "$W/demo.log" 2>&1
rc=$?
demo_pid=$(sed -n 's|.*/spigrpd-demo\.\([^/ ]*\)/.*|\1|p' "$W/demo.log" | head -n 1)
check "contrib/demo.sh passes (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# demo: /' "$W/demo.log" | tail -n 40
check "... and says it cleaned up" \
	grep -qx "demo: cleaned up: namespaces, daemons, iperf3 servers, mounts, files" "$W/demo.log"
check "no process runs from its work directory any more" \
	eval '! ps -eo args | grep -v grep | grep -q "spigrpd-demo\.$demo_pid"'
check "its network namespaces are gone" eval '! ip netns list | grep -q "^spgdemo-"'
check "its mounts are gone" eval '! grep -q "/spigrpd-demo\." /proc/mounts'
