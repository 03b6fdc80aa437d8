#!/bin/sh
# A KLIPS-era manual-keying script through libreswan's own `ipsec` script
# (issue 8): two hosts, each with spigrpd (datapath = kernel, a config
# without SAs, said-format = x) and a foreign ESP state added beforehand
# with `ip xfrm`, run `ipsec spi --clear`, `ipsec eroute --clear`, `ipsec
# spi` for tun and esp both ways, `ipsec spigrp` in the quadruple form and
# `ipsec eroute --add` (klips.sh), with IPSEC_EXECDIR at a `make install
# DESTDIR=...` of this build.  Then:
#  - ping between the inner subnets works both ways, through the kernel's
#    states (their counters);
#  - the kernel holds exactly our two tunnel-mode ESP states (3DES, HMAC
#    96) and the eroute's out policy and the inbound group's in/fwd ones;
#  - ipsec_spigrp, ipsec_eroute and ipsec_spi have the KLIPS lines, and
#    `ipsec spigrp`, `ipsec eroute`, `ipsec spi` without arguments print them;
#  - `ipsec look` prints what KLIPS's look printed (spec/klips-formats.md
#    §5: the eroute joined with its whole group line, the double space,
#    the count), less the ipsec0 line: header, eroute, SAs, routes;
#  - `ipsec spigrp` ungroups (one SA), `ipsec eroute --del`, `ipsec spi
#    --del`: each silent as KLIPS was, and afterwards the kernel holds no
#    state, policy or route of ours, the view only the foreign state;
#  - the foreign state is the same (ip xfrm state get) all along.
. "$UMLT_SRC/tests/uml/lib.sh"
. "$UMLT_SRC/tests/uml/klips.sh"

step "both hosts run their KLIPS script through libreswan's ipsec"
klips_link_up
for side in left right; do
	# KLIPS's commands said nothing when they succeeded
	[ ! -s "$T/$side.klips.out" ] ||
		fail "$side: the script printed something: $(head -n 2 "$T/$side.klips.out" | tr '\n' ' ')"
	foreign_intact "$side" "after the script"
done

step "traffic between the inner subnets"
ns left ping -c 3 -i 0.3 -W 3 -I 10.0.1.1 10.0.2.1 > "$T/ping-lr.out" ||
	{ cat "$T/ping-lr.out"; fail "no reply to ping 10.0.1.1 -> 10.0.2.1"; }
ns right ping -c 3 -i 0.3 -W 3 -I 10.0.2.1 10.0.1.1 > "$T/ping-rl.out" ||
	{ cat "$T/ping-rl.out"; fail "no reply to ping 10.0.2.1 -> 10.0.1.1"; }
for side in left right; do
	klips_side_vars "$side"
	# 3 requests and 3 replies each way through each host's outbound SA
	set -- $(kstate "$side" "$ME" "$PEER" esp "$(printf '0x%08x' "$OUT")")
	[ "${1:-0}" -ge 6 ] || fail "$side: the kernel's esp $OUT counted ${1:-no} packets, expected 6"
	set -- $(kstate "$side" "$PEER" "$ME" esp "$(printf '0x%08x' "$IN")")
	[ "${1:-0}" -ge 6 ] && [ "$2" = 0 ] && [ "$3" = 0 ] ||
		fail "$side: the kernel's inbound esp $IN: packets ${1:-?} failed ${2:-?} replay ${3:-?}"
done

step "the kernel's objects"
for side in left right; do
	klips_kernel_ok "$side"
	info "$side: states and policies of ours"
	cut -c1-160 "$T/$side.ours.states" "$T/$side.ours.policies"
done

step "the view and the commands without arguments"
for side in left right; do
	klips_side_vars "$side"
	d=$(side_dir "$side")/net
	cat "$d/ipsec_eroute" > "$T/$side.eroute"
	# KLIPS's "%-10d %-18s -> %-18s => %s": the count is the eroute's packets
	count=$(awk 'NR == 1 { print $1 }' "$T/$side.eroute")
	[ "${count:-0}" -ge 6 ] 2>/dev/null || fail "$side: the eroute counted ${count:-no} packets, expected 6"
	printf '%-10d %-18s -> %-18s => %s\n' "$count" "$MYNET" "$PEERNET" "tun$OUT@$PEER" > "$T/$side.eroute.want"
	cmp -s "$T/$side.eroute" "$T/$side.eroute.want" ||
		{ cat "$T/$side.eroute"; fail "$side: ipsec_eroute is not the KLIPS line $(cat "$T/$side.eroute.want")"; }
	eval "count_$side=$count"
	cat "$d/ipsec_spi" > "$T/$side.spi"
	for x in "tun$OUT@$PEER IPIP: dir=out src=$ME " \
		"esp$OUT@$PEER ESP_3DES_HMAC_$(echo "$OUTALG" | sed 's/.*-\(sha1\|md5\)-96/\1/' | tr a-z A-Z): dir=out src=$ME " \
		"tun$IN@$ME IPIP: dir=in  src=$PEER policy=$PEERNET->$MYNET " \
		"esp$IN@$ME ESP_3DES_HMAC_$(echo "$INALG" | sed 's/.*-\(sha1\|md5\)-96/\1/' | tr a-z A-Z): dir=in  src=$PEER ooowin=32 "; do
		grep -qF "$x" "$T/$side.spi" || { cat "$T/$side.spi"; fail "$side: ipsec_spi has no line starting \"$x\""; }
	done
	grep -q "^esp$OUT@$PEER .* alen=96 aklen=[0-9]* eklen=192 " "$T/$side.spi" ||
		fail "$side: ipsec_spi's esp$OUT line does not show alen=96 and a 192-bit 3DES key"
	grep -q "^esp0x7e570001@$ME ESP_AES_HMAC_SHA2_256: src=192.0.2.1 .* reqid=77$" "$T/$side.spi" ||
		fail "$side: ipsec_spi does not show the foreign state"
	# the KLIPS commands without arguments print the view's files
	ipsec_on "$side" spigrp > "$T/$side.cmd.spigrp" || fail "$side: ipsec spigrp (list) failed"
	cmp -s "$T/$side.cmd.spigrp" "$T/$side.groups.want" ||
		{ cat "$T/$side.cmd.spigrp"; fail "$side: ipsec spigrp does not print ipsec_spigrp"; }
	ipsec_on "$side" eroute > "$T/$side.cmd.eroute" || fail "$side: ipsec eroute (list) failed"
	cmp -s "$T/$side.cmd.eroute" "$T/$side.eroute" ||
		{ cat "$T/$side.cmd.eroute"; fail "$side: ipsec eroute does not print ipsec_eroute"; }
	ipsec_on "$side" spi > "$T/$side.cmd.spi" || fail "$side: ipsec spi (list) failed"
	[ "$(cut -d' ' -f1-2 "$T/$side.cmd.spi")" = "$(cut -d' ' -f1-2 "$T/$side.spi")" ] ||
		{ cat "$T/$side.cmd.spi"; fail "$side: ipsec spi does not print the SAs of ipsec_spi"; }
done

step "ipsec look"
for side in left right; do
	klips_side_vars "$side"
	ipsec_on "$side" look > "$T/$side.look" || fail "$side: ipsec look failed: $(cat "$T/$side.look")"
	info "$side: ipsec look"; cat "$T/$side.look"
	# KLIPS's look: "HOST DATE", the eroutes joined with their groups, the
	# SAs sorted, then the routing table (its ipsec0 line: none here)
	sed -n 1p "$T/$side.look" | grep -Eq '^[^ ]+ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z]+ [0-9]{4}$' ||
		fail "$side: look's first line is not \"HOST DATE\": $(sed -n 1p "$T/$side.look")"
	eval "count=\$count_$side"
	want=$(printf '%-18s -> %-18s => %s  (%d)' "$MYNET" "$PEERNET" "tun$OUT@$PEER esp$OUT@$PEER" "$count")
	[ "$(sed -n 2p "$T/$side.look")" = "$want" ] ||
		fail "$side: look's eroute line is \"$(sed -n 2p "$T/$side.look")\", KLIPS printed \"$want\""
	n=$(wc -l < "$T/$side.spi")
	sed -n "3,$((n + 2))p" "$T/$side.look" | cut -d' ' -f1-2 > "$T/$side.look.sas"
	cut -d' ' -f1-2 "$T/$side.spi" | LC_ALL=C sort > "$T/$side.spi.sorted"
	cmp -s "$T/$side.look.sas" "$T/$side.spi.sorted" ||
		fail "$side: look's SA lines are not ipsec_spi's, sorted"
	[ "$(sed -n "$((n + 3))p" "$T/$side.look")" = "ROUTING TABLES" ] ||
		fail "$side: no ROUTING TABLES after the SAs in look"
	sed -n "$((n + 4)),\$p" "$T/$side.look" | grep -q "^$PEERNET dev v[lr] .*src $MYIP" ||
		fail "$side: look's routing table has no route to $PEERNET from $MYIP"
done

step "spigrp ungroups, eroute --del, spi --del"
for side in left right; do
	klips_side_vars "$side"
	# the inbound group (KLIPS: spigrp with one SA dissolves its group)
	ipsec_on "$side" spigrp inet "$ME" "$IN" tun > "$T/$side.ungroup" 2>&1 ||
		fail "$side: ipsec spigrp inet $ME $IN tun failed: $(cat "$T/$side.ungroup")"
	[ ! -s "$T/$side.ungroup" ] || fail "$side: spigrp (ungroup) printed: $(cat "$T/$side.ungroup")"
	n=$(xpolicies "$side" | ours | grep -cE ' ; dir (in|fwd) ')
	[ "$n" = 0 ] || fail "$side: $n in/fwd policies of ours after the inbound group was dissolved"
	ipsec_on "$side" eroute --del --eraf inet --src "$MYNET" --dst "$PEERNET" > "$T/$side.erdel" 2>&1 ||
		fail "$side: ipsec eroute --del failed: $(cat "$T/$side.erdel")"
	n=$(xpolicies "$side" | ours | wc -l)
	[ "$n" = 0 ] || fail "$side: $n policies of ours after eroute --del"
	[ -z "$(cat "$(side_dir "$side")/net/ipsec_eroute")" ] || fail "$side: ipsec_eroute not empty after eroute --del"
	ipsec_on "$side" spigrp inet "$PEER" "$OUT" tun > "$T/$side.ungroup2" 2>&1 ||
		fail "$side: ipsec spigrp inet $PEER $OUT tun failed: $(cat "$T/$side.ungroup2")"
	for sa in "$PEER $OUT tun" "$PEER $OUT esp" "$ME $IN tun" "$ME $IN esp"; do
		set -- $sa
		ipsec_on "$side" spi --af inet --edst "$1" --spi "$2" --proto "$3" --del > "$T/$side.del" 2>&1 ||
			fail "$side: ipsec spi --del $3 $2 $1 failed: $(cat "$T/$side.del")"
	done
	# a second --del finds nothing: exit 1, the SAID named
	if ipsec_on "$side" spi --af inet --edst "$PEER" --spi "$OUT" --proto esp --del > "$T/$side.del2" 2>&1; then
		fail "$side: a second spi --del succeeded"
	fi
	grep -q "esp.*${OUT#0x}@$PEER" "$T/$side.del2" ||
		fail "$side: the second spi --del does not name the SA: $(cat "$T/$side.del2")"
done

step "nothing of ours is left; the foreign state is intact"
for side in left right; do
	n=$(xstates "$side" | ours | wc -l)
	[ "$n" = 0 ] || { xstates "$side" | ours; fail "$side: $n states of ours left"; }
	n=$(xpolicies "$side" | ours | wc -l)
	[ "$n" = 0 ] || fail "$side: $n policies of ours left"
	n=$(xstates "$side" | grep -cE 'spi 0x0000100[12]\(' || true)
	[ "$n" = 0 ] || fail "$side: a state with SPI 0x1001 or 0x1002 is left"
	n=$(xpolicies "$side" | grep -cE '^src 10\.0\.[12]\.0/24 ' || true)
	[ "$n" = 0 ] || fail "$side: a policy of the inner subnets is left"
	n=$(ns "$side" ip route show table all | grep -c '^10\.0\.[12]\.0/24 dev v[lr]' || true)
	[ "$n" = 0 ] || fail "$side: a route into the link is left: $(ns "$side" ip route show table all | grep '^10\.0\.')"
	foreign_intact "$side" "after the teardown"
	klips_foreign_line "$side" > "$T/$side.view.want"
	cat "$(view_of "$side")" > "$T/$side.view"
	cmp -s "$T/$side.view" "$T/$side.view.want" ||
		{ cat "$T/$side.view"; fail "$side: the view holds more than the foreign state"; }
	n=$(grep -c '^[a-z]' "$(side_dir "$side")/state/runtime" 2>/dev/null || true)
	[ "${n:-0}" = 0 ] || fail "$side: state-dir/runtime still holds $n command lines"
done
exit 0
