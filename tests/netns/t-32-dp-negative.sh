# t-32-dp-negative: the negative control of t-30: the left daemon's copy of
# contrib/seed.conf has one bit of esp.187a101b@192.168.2.110's
# authentication key flipped (left sends with it, right checks with the
# right key): no traffic passes left -> right through seed4, and right's
# datapath counts `icv` drops on that SA (never packets); the IPv6 groups,
# keys intact, still carry traffic (the failure is the key, not the set-up).
. "$srcdir/tests/netns/dp.sh"

awk '
	/^\[sa / { sa = $2 }
	sa == "esp.187a101b@192.168.2.110]" && $1 == "authkey" { sub(/0x00112233/, "0x01112233"); n++ }
	{ print }
	END { if (n != 1) exit 1 }' "$srcdir/contrib/seed.conf" > "$W/t32-flipped.conf"
check "the flipped config differs from the seed in one key bit" \
	test "$(cmp -l "$srcdir/contrib/seed.conf" "$W/t32-flipped.conf" | wc -l)" = 1
if dp_up "$W/t32-flipped.conf" "$srcdir/contrib/seed.conf"; then
	dp_json right "$W/t32.json"
	i0=$(dp_sa "$W/t32.json" esp.187a101b@192.168.2.110 icv)
	p0=$(dp_sa "$W/t32.json" esp.187a101b@192.168.2.110 packets)
	check "no reply through seed4 with a flipped key bit" \
		eval '! lping left -c 3 -i 0.2 -W 1 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1'
	dp_json right "$W/t32.json"
	i1=$(dp_sa "$W/t32.json" esp.187a101b@192.168.2.110 icv)
	p1=$(dp_sa "$W/t32.json" esp.187a101b@192.168.2.110 packets)
	info "right's esp.187a101b@192.168.2.110: icv drops $i0 -> $i1, packets $p0 -> $p1"
	check "right counts icv drops on that SA (3 pings: +3)" test "$i1" -ge $((i0 + 3))
	check "... and no packet as good" test "$p1" = "$p0"
	check "the IPv6 groups, keys intact, carry traffic" \
		lping left -6 -c 2 -i 0.2 -W 2 -I fd00:1::1 fd00:2::1
fi
dp_down
