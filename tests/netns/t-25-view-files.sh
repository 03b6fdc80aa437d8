# t-25-view-files: every file and link of the view (the KLIPS /proc/net
# layout: ipsec/ and the compatibility links) read with cat on a real mount,
# the daemon running contrib/seed.conf in its userspace datapath on this
# kernel plus one %drop shunt (a kernel policy): ipsec_spigrp, ipsec_spi,
# ipsec_eroute (joined with ipsec_spigrp on the first SAID, as `ipsec look`
# does), ipsec_tncfg (the TUN device), ipsec_version, ipsec_klipsdebug,
# ipsec/natt; no key in any file; counts that follow traffic (a ping into
# the outbound group: its packets go out encapsulated, no peer answers).
#
# Extra address (removed with the namespace): 10.0.2.1 in the daemon's
# namespace, inside seed4-reverse's src-ts.

v25_conf() {
	sed -e '/^\[daemon\]/,/^\[/{/^\[sa\|^\[group/!d}' "$srcdir/contrib/seed.conf"
	printf '\n[group drop9]\nsaid = %%drop\nsrc-ts = 10.0.2.0/24\ndst-ts = 10.9.0.0/16\n'
}
v25_conf | write_conf "$CONF"
sed -i 's/^datapath = kernel$/datapath = auto/' "$CONF"

# v25_eroute_count SAID: the count of SAID's eroute line
v25_eroute_count() {
	awk -v s="$1" '$6 == s { print $1 }' "$MNT/ipsec_eroute"
}

if need_start "spigrpd starts on contrib/seed.conf plus a %drop shunt (datapath = auto)"; then
	check "ls: the tree and the compatibility links" \
		test "$(ls "$MNT" | tr '\n' ' ')" = "ipsec ipsec_eroute ipsec_klipsdebug ipsec_spi ipsec_spigrp ipsec_tncfg ipsec_version "
	check "ls ipsec/: the files and directories of KLIPS's tree" \
		test "$(ls "$MNT/ipsec" | tr '\n' ' ')" = "eroute klipsdebug natt spi spigrp tncfg version "
	for d in eroute spi spigrp; do
		check "ls ipsec/$d: all" test "$(ls "$MNT/ipsec/$d")" = all
	done
	links_ok=yes
	for l in eroute:eroute/all klipsdebug:klipsdebug spi:spi/all spigrp:spigrp/all \
		tncfg:tncfg version:version; do
		name=ipsec_${l%%:*}
		target=ipsec/${l#*:}
		if [ ! -L "$MNT/$name" ] || [ "$(readlink "$MNT/$name")" != "$target" ] ||
			! cmp -s "$MNT/$name" "$MNT/$target"; then
			links_ok="no ($name)"
		fi
	done
	check "each compatibility link leads to its file, and cat reads the same through both" \
		test "$links_ok" = yes
	check "directories 0555, files 0444 owned by root, size 0" \
		eval 'test "$(stat -c "%a %U" "$MNT/ipsec" "$MNT/ipsec/spi" | sort -u)" = "555 root" &&
			test "$(cd "$MNT/ipsec" && stat -c "%a %U %s" eroute/all spi/all spigrp/all tncfg version klipsdebug natt | sort -u)" = "444 root 0"'
	if (echo x > "$MNT/ipsec/spi/all") 2>/dev/null || (echo x > "$MNT/ipsec_eroute") 2>/dev/null; then
		not_ok "writing ipsec/spi/all or ipsec_eroute is refused, even for root"
	else
		ok "writing ipsec/spi/all or ipsec_eroute is refused, even for root"
	fi

	check "ipsec_spigrp: the four groups, then the shunt" \
		eval 'test "$(wc -l < "$MNT/ipsec_spigrp")" = 5 &&
			test "$(tail -n 1 "$MNT/ipsec_spigrp")" = "%drop "'
	spi=$W/spi.txt
	cat "$MNT/ipsec_spi" > "$spi"
	check "ipsec_spi: one line per SA of the four groups (16)" test "$(wc -l < "$spi")" = 16
	check "ipsec_spi: the SAIDs of ipsec_spigrp, in its order" \
		test "$(awk '{ print $1 }' "$spi" | tr '\n' ' ')" = "$(head -n 4 "$MNT/ipsec_spigrp" | tr -d '\n')"
	check "ipsec_spi: the inbound tun SA with policy= (two spaces after dir=in)" \
		grep -Eq '^tun\.3d0@192\.168\.2\.110 IPIP: dir=in  src=192\.168\.2\.100 policy=10\.0\.1\.0/24->10\.0\.2\.0/24 life\(c,s,h\)=[^ ]* natencap=none natsport=0 natdport=0 reqid=[0-9]+ label=seed4$' "$spi"
	check "ipsec_spi: the outbound ESP SA in KLIPS field order" \
		grep -Eq '^esp\.187a101d@192\.168\.2\.100 ESP_AES_HMAC_SHA2_256: dir=out src=192\.168\.2\.110 ooowin=32 (seq=[0-9]+ )?alen=128 aklen=256 eklen=128 life\(c,s,h\)=[^ ]* natencap=none natsport=0 natdport=0 reqid=[0-9]+ label=seed4-reverse$' "$spi"
	check "ipsec_spi: COMP_DEFLATE and AH_HMAC_SHA1, IPv6 SAIDs" \
		eval 'grep -q "^comp:3d1@3049:1::1 COMP_DEFLATE: dir=out src=3049:1::2 " "$spi" &&
			grep -q "^ah:187a101a@3049:1::2 AH_HMAC_SHA1: dir=in  src=3049:1::1 ooowin=32 alen=96 aklen=160 " "$spi"'
	keys=$(grep -ohE '0x[0-9a-f]{32,}' "$CONF" | sed 's/^0x//' | sort -u)
	leaked=
	for k in $keys; do
		for f in ipsec/spi/all ipsec/eroute/all ipsec/spigrp/all ipsec/tncfg; do
			grep -qi "${k:0:16}" "$MNT/$f" && leaked="$leaked $f"
		done
	done
	check "no key of the config in any file ($(echo "$keys" | wc -l) keys)" test -z "$leaked"

	check "ipsec_eroute: one line per outbound selector pair (seed4-reverse, seed6-reverse, the shunt)" \
		test "$(wc -l < "$MNT/ipsec_eroute")" = 3
	check "ipsec_eroute: the KLIPS columns" \
		eval 'grep -Eqx "[0-9]+ +10\.0\.2\.0/24        -> 10\.0\.1\.0/24        => tun\.3d1@192\.168\.2\.100" "$MNT/ipsec_eroute" &&
			grep -qx "0          10.0.2.0/24        -> 10.9.0.0/16        => %drop" "$MNT/ipsec_eroute"'
	# what `ipsec look` did: key spigrp lines by their first field, replace
	# each eroute's SAID by its group
	joined=$(cat "$MNT/ipsec_spigrp" "$MNT/ipsec_eroute" | awk '
		$3 != "->" { grp[$1] = $0; next }
		{ if ($6 in grp) n++; else print "unjoined: " $0 }
		END { print n + 0 }')
	check "every eroute joins its spigrp line on the first SAID (ipsec look)" test "$joined" = 3

	mtu=$(nsx ip -o link show spigrp0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	check "ipsec_tncfg: the TUN device in the KLIPS line format" \
		test "$(cat "$MNT/ipsec_tncfg")" = "spigrp0 -> NULL mtu=$mtu($mtu) -> 0"
	check "ipsec_version: the version line" grep -qx 'spigrpd version: [0-9].*' "$MNT/ipsec_version"
	check "ipsec_klipsdebug: nine debug_ lines, all zero, with KLIPS's final dot" \
		test "$(grep -cx 'debug_[a-z]*=00000000\.' "$MNT/ipsec_klipsdebug")" = 9
	check "ipsec/natt: 1" test "$(cat "$MNT/ipsec/natt")" = 1
	check "user nobody reads every file through the links" \
		runuser -u nobody -- cat "$MNT/ipsec_spi" "$MNT/ipsec_eroute" "$MNT/ipsec_tncfg" \
			"$MNT/ipsec_klipsdebug" "$MNT/ipsec/natt" > /dev/null

	# counts: pings into seed4-reverse leave encapsulated (nobody answers)
	before=$(v25_eroute_count tun.3d1@192.168.2.100)
	nsx ip addr add 10.0.2.1/32 dev lo
	nsx ping -q -c 3 -i 0.2 -W 1 -I 10.0.2.1 10.0.1.1 > /dev/null 2>&1
	sleep 1.1 # the rendering is now older than a second: the next open refreshes
	after=$(v25_eroute_count tun.3d1@192.168.2.100)
	json=$(sa_packets tun.3d1@192.168.2.100)
	info "eroute count before $before, after $after; spigrp --json: $json"
	check "the eroute count follows the pings (0 before, 3 after, as spigrp --json)" \
		test "$before" = 0 -a "$after" = 3 -a "$json" = 3
	check "ipsec_spi: packets(3,0,0) on the outbound ESP SA" \
		grep -q '^esp\.187a101d@192\.168\.2\.100 .*packets(3,0,0)' "$MNT/ipsec_spi"
fi
end_daemon "by t-25"
