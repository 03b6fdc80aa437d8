#!/bin/sh
# Interop with the Linux kernel: left places contrib/seed.conf's groups in
# its kernel, right (`datapath = userspace`) in spigrpd's own datapath.
# ping (compressible, so IPComp applies) and iperf3 TCP both ways over
# IPv4 and IPv6; the kernel's inbound states count the packets with no
# replay or integrity failure and /proc/net/xfrm_stat shows no error; the
# capture of the pings verifies with esp-verify.py and esp-tshark.py (the
# seed uses ESN: tshark decrypts, esp-verify.py checks the ICVs); both views show
# the seed's lines; right's status counts packets and no drop.  Then a
# kernel transport-mode policy covering the outer addresses, on the
# userspace side, stops the underlay's own cleartext ping but not the
# userspace groups (their sockets bypass XFRM policies).
. "$UMLT_SRC/tests/uml/lib.sh"

TOOLS=$SRC/tests/tools

topo_up
conf_with left kernel "$SRC/contrib/seed.conf"
conf_with right userspace "$SRC/contrib/seed.conf"
daemon_start left
daemon_start right
daemon_wait left 4
daemon_wait right 4
seed_view > "$T/view.want"
for s in left right; do
	# (cat first: cmp trusts a FUSE file's st_size)
	cat "$(view_of $s)" > "$T/view.$s"
	cmp -s "$T/view.want" "$T/view.$s" ||
		fail "$s's view is not the seed's lines: $(head -c 400 "$T/view.$s")"
done
info "right's status:"
"$SPIGRP" --control "$(side_dir right)/ctl" --status || fail "spigrp --status failed on right"

step "ping -s 1000 -p 00 both ways, IPv4 and IPv6 (compressed), small pings (not)"
cap_start interop
big_pings
ns left ping -c 2 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > /dev/null || fail "no reply to a small ping v4"
ns right ping -6 -c 2 -i 0.3 -W 3 -s 40 -I fd00:2::1 fd00:1::1 > /dev/null || fail "no reply to ping -s 40 v6"

cap_stop

step "the capture: esp-verify.py and esp-tshark.py"
"$PY" "$TOOLS/esp-verify.py" --min 16 "$T/right.conf" "$T/interop.pcap" > "$T/v.out" ||
	{ cat "$T/v.out"; fail "esp-verify.py rejects the capture: $(grep -m 1 FAIL "$T/v.out")"; }
cat "$T/v.out"
"$PY" "$TOOLS/esp-tshark.py" --min 16 "$T/right.conf" "$T/interop.pcap" > "$T/t.out" ||
	{ cat "$T/t.out"; fail "esp-tshark.py rejects the capture: $(grep -m 1 FAIL "$T/t.out")"; }
cat "$T/t.out"

step "iperf3 TCP both ways, IPv4 and IPv6 (3 s each)"
iperf_server right
iperf_server left
for t in "left 10.0.1.1 10.0.2.1 v4-lr" "right 10.0.2.1 10.0.1.1 v4-rl" \
	"left fd00:1::1 fd00:2::1 v6-lr" "right fd00:2::1 fd00:1::1 v6-rl"; do
	set -- $t
	b=$(iperf "$@" -t 3) || exit 1
	info "iperf3 $2 -> $3: $b bytes received ($((b * 8 / 3000000)) Mbit/s)"
	[ "$b" -gt 1000000 ] || fail "iperf3 $2 -> $3 moved only $b bytes"
done

step "the kernel (left): inbound states count, nothing failed"
for sa in "esp 0x187a101d 192.168.2.110 192.168.2.100" "ah 0x187a101c 192.168.2.110 192.168.2.100" \
	"esp 0x187a101d 3049:1::2 3049:1::1" "ah 0x187a101c 3049:1::2 3049:1::1"; do
	set -- $sa
	set -- $(kstate left "$3" "$4" "$1" "$2") "$1" "$2"
	info "left's $4 $5: packets ${1:-?} failed ${2:-?} replay ${3:-?}"
	[ "${1:-0}" -ge 500 ] && [ "${2:-1}" = 0 ] && [ "${3:-1}" = 0 ] ||
		fail "left's inbound $4 $5 (from the userspace datapath): packets ${1:-?}, failed ${2:-?}, replay ${3:-?}"
done
errs=$(xfrm_errors left)
[ -z "$errs" ] || fail "left's /proc/net/xfrm_stat: $(echo "$errs" | tr '\n' ' ')"

step "the userspace side's counters"
status_json right "$T/st.json"
for said in esp.187a101b@192.168.2.110 ah.187a101a@192.168.2.110 esp:187a101b@3049:1::2 ah:187a101a@3049:1::2; do
	p=$(dp_sa "$T/st.json" "$said" packets)
	d=$(dp_sa "$T/st.json" "$said" drops)
	info "right's $said: packets $p, drops $d"
	[ "$p" -ge 500 ] && [ "$d" = 0 ] || fail "right's inbound $said: packets $p, drops $d"
done

step "a kernel transport-mode policy over the outer addresses on the userspace side"
# neighbour discovery exempt, as charon does (else IPv6 ND would need ESP)
for t in 135 136; do
	for d in in out; do
		ns right ip xfrm policy add src ::/0 dst ::/0 proto ipv6-icmp type $t dir $d priority 1 ||
			fail "cannot add the ND bypass policy (type $t, $d)"
	done
done
for p in "192.168.2.110 192.168.2.100 out" "192.168.2.100 192.168.2.110 in" \
	"3049:1::2 3049:1::1 out" "3049:1::1 3049:1::2 in"; do
	set -- $p
	ns right ip xfrm policy add src "$1" dst "$2" dir "$3" priority 10 \
		tmpl proto esp mode transport level required ||
		fail "cannot add the transport policy $1 -> $2 $3"
done
ns right ping -c 1 -W 1 192.168.2.100 > /dev/null 2>&1 &&
	fail "the transport policy has no effect: the underlay ping went through in the clear"
big_pings
b=$(iperf right 10.0.2.1 10.0.1.1 v4-pol -t 2) || exit 1
info "iperf3 10.0.2.1 -> 10.0.1.1 under the transport policy: $b bytes"
[ "$b" -gt 1000000 ] || fail "iperf3 under the transport policy moved only $b bytes"
exit 0
