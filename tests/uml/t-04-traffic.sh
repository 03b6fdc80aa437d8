#!/bin/sh
# Traffic through the daemon's groups (its own routes, no hand-made ones):
# ping -s 1000 -p 00 both ways over IPv4 and IPv6; the capture, decrypted
# by tshark with the configured keys, shows AH -> ESP -> IPComp (CPI 0x3d0
# one way, 0x3d1 the other) -> IP; small pings leave uncompressed, as ESP
# carrying plain IPIP (next header 4) or IPv6-in-IPv6 (41).
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right
for s in left right; do
	info "$s routes:"; ns $s ip route show table all | grep -v -E '^(local|broadcast|multicast|fe80)|table local'
	ns $s ip rule
done

step "ping -s 1000 -p 00, both ways, IPv4 and IPv6"
cap_start big
big_pings
cap_stop
decode "$T/big.pcap" > "$T/big.txt" || fail "tshark: $(head -c 300 "$T/tshark.err")"
info "decoded (frame|outer src|dst|inner src|dst|chain|AH|ESP|ESP nh|ICV ok|CPI|IPComp nh):"
cat "$T/big.txt"
# the daemon's SAs use ESN (the default for static keys): tshark 4.0
# cannot check those ICVs, esp_icv_check does
why=$(wire_check "$T/big.txt" 16 noicv) || fail "$why"
esp_icv_check "$T/big.pcap" esn || fail "ESP ICV check (ESN) failed"

# IPv4's default ping (84 bytes) is below deflate's 90-byte threshold; the
# IPv6 default (104 bytes) is not, so IPv6 uses -s 40 (88 bytes).
step "small pings: ESP carrying IPIP / IPv6-in-IPv6"
cap_start small
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 || fail "no reply to default ping v4"
ns right ping -c 2 -i 0.3 -W 3 -I 10.0.2.1 10.0.1.1 || fail "no reply to default ping v4 (reverse)"
ns left ping -6 -c 2 -i 0.3 -W 3 -s 40 -I fd00:1::1 fd00:2::1 || fail "no reply to ping -s 40 v6"
cap_stop
decode "$T/small.pcap" > "$T/small.txt" || fail "tshark: $(head -c 300 "$T/tshark.err")"
info "decoded:"
cat "$T/small.txt"
why=$(small_check "$T/small.txt" noicv) || fail "$why"
esp_icv_check "$T/small.pcap" esn || fail "ESP ICV check (ESN) failed"

# the host's own traffic from an address outside src-ts is not the group's
step "ping from the outer address: not protected"
cap_start outer
ns left ping -c 1 -W 2 -s 1000 192.168.2.110 > /dev/null || fail "underlay ping failed"
cap_stop
decode "$T/outer.pcap" > "$T/outer.txt"
grep -q '|ip:icmp|' "$T/outer.txt" || fail "underlay ping did not travel in the clear"
exit 0
