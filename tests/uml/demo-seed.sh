#!/bin/sh
# The README's demo (tests/uml/run.sh BUILDDIR demo): both ends of
# contrib/seed.conf in a real kernel, each end's ipsec_spigrp view printed
# (into the figures the host prints at the end), and one ping each way
# through the groups.  Not one of the t-*.sh test cases: t-03-view and
# t-04-traffic test the same things with every check.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right
for side in left right; do
	{
		if [ $side = left ]; then
			echo "== left (192.168.2.100, 3049:1::1; behind it 10.0.1.0/24, fd00:1::/64):"
		else
			echo "== right (192.168.2.110, 3049:1::2; behind it 10.0.2.0/24, fd00:2::/64):"
		fi
		echo "\$ cat $(view_of $side)"
		cat "$(view_of $side)"
		echo "\$ spigrp --status"
		"$SPIGRP" --control "$(side_dir $side)/ctl" --status
		echo
	} >> "$UMLT_OUT/figures"
done
{
	echo "== traffic through the groups (left 10.0.1.1 -> right 10.0.2.1, and IPv6):"
	ns left ping -c 2 -i 0.3 -W 3 -s 1000 -I 10.0.1.1 10.0.2.1 | tail -n 2
	ns left ping -6 -c 2 -i 0.3 -W 3 -s 1000 -I fd00:1::1 fd00:2::1 | tail -n 2
	echo "left's kernel holds $(ns left ip xfrm state | grep -c '^src') XFRM states (3 per group, plus the kernel's own IPIP/IPv6 tunnel states for IPComp)"
} >> "$UMLT_OUT/figures" 2>&1 || fail "ping through the groups failed"
exit 0
