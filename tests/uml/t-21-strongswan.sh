#!/bin/sh
# spigrpd next to strongSwan (issue 7, part 4): on both ends of lib.sh's
# topology Debian's charon (swanctl, IKEv2, PSK, the kernel's XFRM through
# kernel-netlink) runs in its own mount namespace beside spigrpd with the
# seed's groups.  charon negotiates two CHILD_SAs: "net-comp" (tunnel mode,
# ipcomp = yes: 10.1.1.0/24 <-> 10.1.2.0/24) and "host-icmp" (transport
# mode, ICMP between the hosts).  The updown hook (contrib/strongswan/)
# names them in spigrpd through the control socket bind-mounted into
# charon's namespace; a label for a reqid of our band is refused.  Traffic
# flows through charon's SAs and through ours; after `swanctl --rekey` the
# labels stay; stopping spigrpd removes its own objects and leaves every
# charon state and policy as it was (`ip xfrm` before and after), and
# charon's tunnel still carries traffic.  The view (k7-mirror's mirror and
# derivation, k7-render's files) shows charon's CHILD_SAs as `tun comp esp`
# and `esp` lines after ours, with the SPIs and CPIs swanctl --list-sas
# shows, also after `swanctl --rekey`, and their labels in ipsec_spi.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/tests/uml/charon.sh"

[ -x "$CHARON" ] || fail "strongSwan's charon is not installed ($CHARON; contrib/deps.sh)"
command -v swanctl > /dev/null || fail "swanctl is not installed (contrib/deps.sh)"

topo_up
ns left ip addr add 10.1.1.1/24 dev in0
ns right ip addr add 10.1.2.1/24 dev in0
daemons_up left right

# swanctl_conf SIDE ME PEER LNET RNET
swanctl_conf() {
	cat > "$(charon_dir "$1")/swanctl/swanctl.conf" <<CONF
connections {
	t21 {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes128-sha256-x25519
		local {
			auth = psk
			id = $2
		}
		remote {
			auth = psk
			id = $3
		}
		children {
			net-comp {
				local_ts = $4
				remote_ts = $5
				mode = tunnel
				ipcomp = yes
				esp_proposals = aes128-sha256
				updown = $HOOK
				start_action = none
			}
			host-icmp {
				local_ts = dynamic[icmp]
				remote_ts = dynamic[icmp]
				mode = transport
				esp_proposals = aes128-sha256
				updown = $HOOK
				start_action = none
			}
		}
	}
}
secrets {
	ike-t21 {
		id-1 = 192.168.2.100
		id-2 = 192.168.2.110
		secret = "t21-test-psk-not-a-secret"
	}
}
CONF
}

step "charon on both sides"
charon_tools
for side in left right; do
	charon_conf "$side"
done
swanctl_conf left 192.168.2.100 192.168.2.110 10.1.1.0/24 10.1.2.0/24
swanctl_conf right 192.168.2.110 192.168.2.100 10.1.2.0/24 10.1.1.0/24
for side in left right; do
	charon_start "$side"
	charon_load "$side"
done
for child in net-comp host-icmp; do
	swanctl_on left --initiate --child "$child" --timeout 30 > "$T/initiate.$child" 2>&1 ||
		{ cat "$T/initiate.$child"; cat "$(charon_dir left)/charon.log"; fail "initiating $child failed"; }
done
for side in left right; do
	swanctl_on "$side" --list-sas > "$T/$side.sas" 2>&1
	info "$side: swanctl --list-sas"; cat "$T/$side.sas"
	info "$side: ip xfrm state"; ns "$side" ip xfrm state | grep -E '^src|proto'
done

# sa_field SIDE CHILD FIELD: FIELD (reqid, spi-in, spi-out, cpi-in,
# cpi-out: lowercase hex without 0x) of the INSTALLED CHILD_SA named CHILD
# in `swanctl --list-sas`, whose lines read
#   "  net-comp: #1, reqid 1, INSTALLED, TUNNEL, ESP:..."
#   "    in  cc3be5aa/9f8d,      0 bytes,     0 packets"   (SPI/CPI)
sa_field() {
	swanctl_on "$1" --list-sas 2>/dev/null | awk -v c="$2" -v f="$3" '
		/^  [^ ].*: #[0-9]+, reqid / {
			hit = ($1 == c ":" && $5 == "INSTALLED,")
			if (hit && f == "reqid") { v = $4; sub(/,/, "", v); print v; exit }
			next
		}
		hit && ($1 == "in" || $1 == "out") {
			x = $2; sub(/,$/, "", x); n = split(x, a, "/")
			if (f == "spi-" $1) { print a[1]; exit }
			if (f == "cpi-" $1 && n > 1) { print a[2]; exit }
		}'
}

step "labels from the updown hook"
for side in left right; do
	for child in net-comp host-icmp; do
		reqid=$(sa_field "$side" "$child" reqid)
		[ -n "$reqid" ] || fail "$side: no reqid for $child in swanctl --list-sas --raw"
		eval "reqid_${side}_$(echo "$child" | tr - _)=$reqid"
	done
done
# charon_lines SIDE: the ipsec_spigrp lines SIDE's view must show for
# charon's INSTALLED CHILD_SAs, sorted: net-comp as tun comp esp (tunnel
# mode with IPComp: the tun SAID carries the CPI), host-icmp as esp, each
# outbound (to the peer) and inbound (to SIDE)
charon_lines() {
	if [ "$1" = left ]; then me=192.168.2.100 peer=192.168.2.110; else me=192.168.2.110 peer=192.168.2.100; fi
	for dir in out in; do
		[ $dir = out ] && dst=$peer || dst=$me
		spi=$(printf '%x' "0x$(sa_field "$1" net-comp spi-$dir)")
		cpi=$(printf '%x' "0x$(sa_field "$1" net-comp cpi-$dir)")
		echo "tun.$cpi@$dst comp.$cpi@$dst esp.$spi@$dst "
		spi=$(printf '%x' "0x$(sa_field "$1" host-icmp spi-$dir)")
		echo "esp.$spi@$dst "
	done | sort
}
# view_converges SIDE: until the view is the seed's lines, then exactly
# charon_lines (5 s; the mirror follows the kernel's events)
view_converges() {
	charon_lines "$1" > "$T/$1.want"
	i=0
	while :; do
		seed_view > "$T/$1.seed"
		head -n 4 "$(view_of "$1")" > "$T/$1.head"
		tail -n +5 "$(view_of "$1")" | sort > "$T/$1.tail"
		cmp -s "$T/$1.seed" "$T/$1.head" && cmp -s "$T/$1.want" "$T/$1.tail" && return 0
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			info "$1 view:"; cat "$(view_of "$1")"
			info "expected after the seed's lines:"; cat "$T/$1.want"
			fail "$1: the view does not show charon's CHILD_SAs as swanctl --list-sas does"
		fi
		sleep 0.1
	done
}
# spi_label SIDE SAID: the label= of SAID's line in ipsec_spi ("" none)
spi_label() {
	awk -v s="$2" '$1 == s {
		for (i = 2; i <= NF; i++) if ($i ~ /^label=/) { sub(/^label=/, "", $i); print $i }
		exit }' "$(side_dir "$1")/net/ipsec_spi"
}
# labels_in_spi SIDE: every SA of charon's CHILD_SAs carries its label
labels_in_spi() {
	while read -r line; do
		case $line in
		tun.*) child=net-comp ;;
		*) child=host-icmp ;;
		esac
		for said in $line; do
			got=$(spi_label "$1" "$said")
			[ "$got" = "$child" ] || {
				grep -F "$said " "$(side_dir "$1")/net/ipsec_spi"
				fail "$1: ipsec_spi shows $said with label \"$got\", expected \"$child\""
			}
		done
	done < "$T/$1.want"
	# and ours keep their group names
	got=$(spi_label "$1" esp.187a101b@192.168.2.110)
	[ "$got" = seed4 ] || fail "$1: our esp.187a101b@192.168.2.110 is labelled \"$got\", expected seed4"
}

# label_of SIDE REQID: the label spigrpd shows for REQID (status JSON)
label_of() {
	"$SPIGRP" --control "$(side_dir "$1")/ctl" --status --json |
		"$PY" -c 'import json, sys
for l in json.load(sys.stdin)["labels"]:
    if l["reqid"] == int(sys.argv[1]):
        print(l["label"])' "$2"
}
for side in left right; do
	for child in net-comp host-icmp; do
		eval "reqid=\$reqid_${side}_$(echo "$child" | tr - _)"
		got=$(label_of "$side" "$reqid")
		info "$side: reqid $reqid ($child): label \"$got\""
		[ "$got" = "$child" ] ||
			fail "$side: reqid $reqid is labelled \"$got\", expected \"$child\" (updown hook): $(grep -i updown "$(charon_dir "$side")/charon.log" | tail -n 2)"
	done
done
step "the view: charon's CHILD_SAs beside ours, labelled"
for side in left right; do
	view_converges "$side"
	info "$side: ipsec_spigrp"; cat "$(view_of "$side")"
	labels_in_spi "$side"
	info "$side: ipsec_spi"; cat "$(side_dir "$side")/net/ipsec_spi"
	info "$side: ipsec_eroute"; cat "$(side_dir "$side")/net/ipsec_eroute"
done
# the hook as charon would run it, for a reqid of our band: refused, named nowhere
env -i PLUTO_VERB=up-client PLUTO_CONNECTION=intruder PLUTO_REQID=1396703233 \
	sh "$T/bin/spigrp-updown" --spigrp "$T/bin/spigrp" --control "$(side_dir left)/ctl" \
	> "$T/intruder.out" 2>&1 || fail "the hook failed for a refused label"
grep -q "own band" "$T/intruder.out" || fail "no refusal for a reqid of our band: $(cat "$T/intruder.out")"
[ -z "$(label_of left 1396703233)" ] || fail "a reqid of our band got a label"

# xpackets SIDE SRC DST PROTO REQID: the packets of that state
xpackets() {
	ns "$1" ip -s xfrm state | awk -v s="$2" -v d="$3" -v p="$4" -v q="$5" '
		/^src / { hit = ($2 == s && $4 == d); next }
		hit && $1 == "proto" { hit = ($2 == p && $6 ~ "^" q "\\("); next }
		hit && /^[ \t]*[0-9]+\(bytes\), [0-9]+\(packets\)/ {
			sub(/.*\(bytes\), /, ""); sub(/\(packets\).*/, ""); print; exit
		}'
}

step "traffic through charon's SAs and ours"
ns left ping -c 3 -i 0.3 -W 3 -s 1000 -p 00 -I 10.1.1.1 10.1.2.1 ||
	fail "no reply through charon's tunnel (net-comp)"
ns left ping -c 3 -i 0.3 -W 3 192.168.2.110 || fail "no reply through charon's transport SA"
n=$(xpackets left 192.168.2.100 192.168.2.110 comp "$reqid_left_net_comp")
[ "${n:-0}" -ge 3 ] || fail "left's IPComp state of net-comp counted ${n:-no} packets, expected 3"
n=$(xpackets left 192.168.2.100 192.168.2.110 esp "$reqid_left_net_comp")
[ "${n:-0}" -ge 3 ] || fail "left's ESP state of net-comp counted ${n:-no} packets, expected 3"
n=$(xpackets right 192.168.2.100 192.168.2.110 esp "$reqid_right_host_icmp")
[ "${n:-0}" -ge 3 ] || fail "right's inbound ESP state of host-icmp counted ${n:-no} packets, expected 3"
big_pings

step "rekey net-comp"
spi_old=$(sa_field left net-comp spi-in)
swanctl_on left --rekey --child net-comp > "$T/rekey.out" 2>&1 || { cat "$T/rekey.out"; fail "swanctl --rekey failed"; }
i=0
while :; do
	spi_new=$(sa_field left net-comp spi-in)
	[ -n "$spi_new" ] && [ "$spi_new" != "$spi_old" ] &&
		! ns left ip xfrm state | grep -q "spi 0x$spi_old " && break
	i=$((i + 1))
	[ $i -lt 100 ] || fail "net-comp was not rekeyed in 10 s (spi-in $spi_old -> $spi_new)"
	sleep 0.1
done
info "net-comp inbound SPI: $spi_old -> $spi_new"
[ "$(label_of left "$reqid_left_net_comp")" = net-comp ] || fail "the label went with the rekey"
for side in left right; do
	view_converges "$side"
	labels_in_spi "$side"
done
grep -q "$(printf '%x' "0x$spi_new")@192.168.2.100 " "$(view_of left)" ||
	fail "the new inbound SPI $spi_new is not in the view"
ns left ping -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I 10.1.1.1 10.1.2.1 ||
	fail "no reply through charon's tunnel after the rekey"

step "stopping spigrpd leaves charon's objects alone"
for side in left right; do
	foreign_xfrm "$side" > "$T/$side.foreign.before"
	n=$(wc -l < "$T/$side.foreign.before")
	info "$side: $n foreign objects"
	# 2 CHILD_SAs: states COMP+ESP in and out, ESP in and out; policies
	# out/in/fwd for net-comp, out/in for host-icmp
	[ "$n" -ge 11 ] || { cat "$T/$side.foreign.before"; fail "$side: only $n foreign objects before the stop"; }
	daemon_stop "$side" TERM || fail "$side: spigrpd exited with status $? on SIGTERM"
	foreign_xfrm "$side" > "$T/$side.foreign.after"
	cmp "$T/$side.foreign.before" "$T/$side.foreign.after" ||
		fail "$side: charon's objects changed: $(diff "$T/$side.foreign.before" "$T/$side.foreign.after" | grep '^[<>]' | head -n 2 | cut -c1-200 | tr '\n' ' ')"
	n=$(xstates "$side" | ours | wc -l)
	[ "$n" -eq 0 ] || fail "$side: $n states of ours left after SIGTERM"
done
ns left ping -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I 10.1.1.1 10.1.2.1 ||
	fail "no reply through charon's tunnel after spigrpd stopped"
ns left ping -c 2 -i 0.3 -W 3 192.168.2.110 || fail "no reply through charon's transport SA after spigrpd stopped"
# charon's IKE sockets and their bypass policies are intact: IKE still works
swanctl_on left --rekey --child host-icmp > "$T/rekey2.out" 2>&1 || { cat "$T/rekey2.out"; fail "swanctl --rekey after the stop failed"; }
i=0
until [ -n "$(sa_field left host-icmp spi-in)" ] && [ "$(swanctl_on left --list-sas | grep -c 'host-icmp: #')" -eq 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "host-icmp was not rekeyed after spigrpd stopped"
	sleep 0.1
done
ns left ping -c 2 -i 0.3 -W 3 192.168.2.110 || fail "no reply through charon's transport SA after its rekey"

for side in left right; do
	charon_stop "$side"
done
exit 0
