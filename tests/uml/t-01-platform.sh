#!/bin/sh
# Platform check and worked reference, without spigrpd: the seed's group
# shape tun+comp+esp+ah set up by hand with `ip xfrm` in both namespaces,
# both directions, IPv4 and IPv6, then traffic through it decoded by
# tshark with the keys.  This is the independent peer's view of the kernel
# objects spigrpd must produce (tests/uml/NOTES.md).
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up routes

PRIO=1000100
# group S D CPI ESPSPI AHSPI REQID ENCKEY ESPAUTHKEY AHKEY: the group's three
# states (the same objects on both ends: outbound here, inbound there).
group_states() {
	_s=$2 _d=$3 _cpi=$4 _esp=$5 _ah=$6 _r=$7
	_align=
	case $_s in *.*) _align="flag align4" ;; esac
	for side in left right; do
		ns $side ip xfrm state add src $_s dst $_d proto comp spi $_cpi \
			reqid $_r mode tunnel flag af-unspec comp deflate ||
			fail "$side: ip xfrm state add comp $_cpi@$_d"
		ns $side ip xfrm state add src $_s dst $_d proto esp spi $_esp \
			reqid $_r mode transport replay-window 32 flag af-unspec \
			enc 'cbc(aes)' $8 auth-trunc 'hmac(sha256)' $9 128 ||
			fail "$side: ip xfrm state add esp $_esp@$_d"
		ns $side ip xfrm state add src $_s dst $_d proto ah spi $_ah \
			reqid $_r mode transport replay-window 32 flag af-unspec $_align \
			auth-trunc 'hmac(sha1)' ${10} 96 ||
			fail "$side: ip xfrm state add ah $_ah@$_d"
	done
}

# group_policies SENDER RECEIVER S D SRC_TS DST_TS REQID: out on the
# sender, in and fwd on the receiver; templates inside -> outside, COMP
# optional ("level use") on in/fwd.
group_policies() {
	_tm="tmpl src $3 dst $4 proto comp reqid $7 mode tunnel"
	_te="tmpl proto esp reqid $7 mode transport"
	_ta="tmpl proto ah reqid $7 mode transport"
	ns $1 ip xfrm policy add src $5 dst $6 dir out priority $PRIO \
		$_tm $_te $_ta || fail "$1: policy out $5 -> $6"
	for dir in in fwd; do
		ns $2 ip xfrm policy add src $5 dst $6 dir $dir priority $PRIO \
			$_tm level use $_te $_ta || fail "$2: policy $dir $5 -> $6"
	done
}

step "states and policies by hand"
group_states seed4 192.168.2.100 192.168.2.110 0x3d0 0x187a101b 0x187a101a 0x53400001 \
	0x0123456789abcdef0123456789abcdef \
	0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	0xfedcba9876543210fedcba9876543210fedcba98
group_states seed6 3049:1::1 3049:1::2 0x3d0 0x187a101b 0x187a101a 0x53400002 \
	0x1123456789abcdef0123456789abcdef \
	0x10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	0xeedcba9876543210fedcba9876543210fedcba98
group_states seed4-reverse 192.168.2.110 192.168.2.100 0x3d1 0x187a101d 0x187a101c 0x53400003 \
	0x2123456789abcdef0123456789abcdef \
	0x20112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	0xdedcba9876543210fedcba9876543210fedcba98
group_states seed6-reverse 3049:1::2 3049:1::1 0x3d1 0x187a101d 0x187a101c 0x53400004 \
	0x3123456789abcdef0123456789abcdef \
	0x30112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	0xcedcba9876543210fedcba9876543210fedcba98
group_policies left right 192.168.2.100 192.168.2.110 10.0.1.0/24 10.0.2.0/24 0x53400001
group_policies left right 3049:1::1 3049:1::2 fd00:1::/64 fd00:2::/64 0x53400002
group_policies right left 192.168.2.110 192.168.2.100 10.0.2.0/24 10.0.1.0/24 0x53400003
group_policies right left 3049:1::2 3049:1::1 fd00:2::/64 fd00:1::/64 0x53400004

ns left ip -s xfrm state > "$T/state.txt"
ns left ip -s xfrm policy > "$T/policy.txt"
info "ip -s xfrm state (left):"
cat "$T/state.txt"
info "ip -s xfrm policy (left):"
cat "$T/policy.txt"

# the kernel's own IPIP / IPv6-in-IPv6 states made by the tunnel-mode COMP
# (IPIP: SPI = the source address; IPv6: an SPI from a per-source counter)
grep -q '^	proto 4 spi 0xc0a80264([0-9]*) reqid 0(0x00000000) mode tunnel' "$T/state.txt" ||
	fail "no kernel IPIP state (proto 4 spi 0xc0a80264) after the IPv4 tunnel COMP state"
grep -q '^	proto 41 spi 0x[0-9a-f]*([0-9]*) reqid 0(0x00000000) mode tunnel' "$T/state.txt" ||
	fail "no kernel IPv6 tunnel state (proto 41) after the IPv6 tunnel COMP state"

step "ping -s 1000 -p 00 through both groups, both ways, v4 and v6"
cap_start big
big_pings
cap_stop

decode "$T/big.pcap" > "$T/big.txt" || fail "tshark: $(head -c 300 "$T/tshark.err")"
info "decoded (frame|outer src|dst|inner src|dst|chain|AH|ESP|ESP nh|ICV ok|CPI|IPComp nh):"
cat "$T/big.txt"
why=$(wire_check "$T/big.txt" 16) || fail "$why"
esp_icv_check "$T/big.pcap" plain || fail "ESP ICV check failed"

# IPv4's default ping is 84 bytes, below deflate's 90-byte threshold; the
# IPv6 default (104 bytes) is above it and does get compressed, so IPv6
# is tried with -s 40 (88 bytes).
step "small pings: ESP carries plain IPIP / IPv6-in-IPv6 (below deflate's threshold)"
cap_start small
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 || fail "no reply to default ping v4"
ns left ping -6 -c 2 -i 0.3 -W 3 -s 40 -I fd00:1::1 fd00:2::1 || fail "no reply to ping -s 40 v6"
cap_stop
decode "$T/small.pcap" > "$T/small.txt" || fail "tshark: $(head -c 300 "$T/tshark.err")"
info "decoded:"
cat "$T/small.txt"
why=$(small_check "$T/small.txt") || fail "$why"

info "xfrm_stat (left):"
ns left cat /proc/net/xfrm_stat 2>/dev/null | awk '$2 != 0'
exit 0
