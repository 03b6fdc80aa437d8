#!/bin/sh
# Negative controls of the interop (left: the kernel, right: userspace),
# one key bit flipped on the userspace side only:
#  - the authentication key of esp.187a101b@192.168.2.110 (inbound at
#    right): left's pings through seed4 get no reply; right's datapath
#    counts `icv` drops on that SA and delivers nothing;
#  - the authentication key of ah.187a101c@192.168.2.100 (outbound at
#    right, so right's replies carry a bad AH ICV): the kernel's state
#    counts integrity failures and XfrmInStateProtoError rises.
# The IPv6 groups, keys intact, still carry traffic: the failure is the
# key, not the set-up.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
awk '
	/^\[sa / { sa = $2 }
	sa == "esp.187a101b@192.168.2.110]" && $1 == "authkey" { sub(/0x00112233/, "0x01112233"); n++ }
	sa == "ah.187a101c@192.168.2.100]" && $1 == "authkey" { sub(/0xdedcba98/, "0xdfdcba98"); n++ }
	{ print }
	END { if (n != 2) exit 1 }' "$SRC/contrib/seed.conf" > "$T/flipped.conf" ||
	fail "could not flip the key bits (seed.conf changed?)"
conf_with left kernel "$SRC/contrib/seed.conf"
conf_with right userspace "$T/flipped.conf"
daemon_start left
daemon_start right
daemon_wait left 4
daemon_wait right 4

icv_drops() {	# SAID: right's icv drops of that SA
	status_json right "$T/st.json"
	dp_sa "$T/st.json" "$1" icv
}

step "seed4 left -> right: ESP authentication key flipped at right (userspace inbound)"
i0=$(icv_drops esp.187a101b@192.168.2.110)
p0=$(dp_sa "$T/st.json" esp.187a101b@192.168.2.110 packets)
ns left ping -c 3 -i 0.3 -W 1 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 &&
	fail "traffic passed with a flipped key bit"
i1=$(icv_drops esp.187a101b@192.168.2.110)
p1=$(dp_sa "$T/st.json" esp.187a101b@192.168.2.110 packets)
info "right's esp.187a101b@192.168.2.110: icv drops $i0 -> $i1, packets $p0 -> $p1"
[ "$i1" -ge $((i0 + 3)) ] || fail "right's datapath did not count icv drops ($i0 -> $i1)"
[ "$p1" = "$p0" ] || fail "right's datapath counted packets with a bad ICV as good ($p0 -> $p1)"

step "seed4 right -> left: AH key flipped at right (the kernel receives bad ICVs)"
set -- $(kstate left 192.168.2.110 192.168.2.100 ah 0x187a101c)
f0=${2:-?}
pe0=$(ns left awk '$1 == "XfrmInStateProtoError" { print $2 }' /proc/net/xfrm_stat)
ns right ping -c 3 -i 0.3 -W 1 -s 1000 -p 00 -I 10.0.2.1 10.0.1.1 &&
	fail "traffic passed with a flipped AH key bit"
set -- $(kstate left 192.168.2.110 192.168.2.100 ah 0x187a101c)
pe1=$(ns left awk '$1 == "XfrmInStateProtoError" { print $2 }' /proc/net/xfrm_stat)
info "left's ah 0x187a101c: failed $f0 -> ${2:-?}; XfrmInStateProtoError $pe0 -> $pe1"
[ "${2:-0}" -ge $((f0 + 3)) ] || fail "the kernel did not count the bad AH ICVs ($f0 -> ${2:-?})"
[ "$pe1" -gt "$pe0" ] || fail "XfrmInStateProtoError did not rise ($pe0 -> $pe1)"

step "the IPv6 groups, keys intact, still work"
ns left ping -6 -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null ||
	fail "the IPv6 groups (keys intact) carry no traffic either: the set-up is broken, not the key"
exit 0
