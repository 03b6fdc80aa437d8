# t-40-klips-runtime: the KLIPS commands on the control socket (spi,
# spigrp, eroute: "CMD PROG ARG...") with two daemons whose configs hold no
# SA: a KLIPS manual-keying script's objects made at run time on both hosts
# (tun + esp both ways: 3des-sha1-96 one way, 3des-md5-96 the other, grouped in the quadruple form, an eroute), placed in
# the userspace datapath (this kernel has no ESP): ping between the inner
# addresses; state-dir/runtime (0600) keeps them across kill -9; a 5-SA
# group, a missing SA and a refused link change nothing; nobody may read but
# not change; ungroup, eroute --del and spi --del take it all away.
#
# Extra addresses (removed at the end): 10.0.2.1 in $NS, 10.0.1.1 in $PEER.

K24=0x0123456789abcdef0123456789abcdef0123456789abcdef
K20=0x0123456789abcdef0123456789abcdef01234567
ESP3="--esp 3des-sha1-96 --enckey $K24 --authkey $K20"
K16=0x0123456789abcdef0123456789abcdef
ESPM="--esp 3des-md5-96 --enckey $K24 --authkey $K16"
L=192.168.2.110   # this namespace
R=192.168.2.100   # the peer's

# A host's KLIPS script: $1 local, $2 remote, $3 outbound SPI, $4 inbound
# SPI, $5 local inner, $6 remote inner, $7 and $8 the outbound and inbound
# SA's --esp with keys; one request line per command.
klips_script() {
	cat <<EOF
spi spi --af inet --edst $2 --spi $3 --proto tun --src $1 --dst $2 --ip4
spi spi --af inet --edst $2 --spi $3 --proto esp --src $1 $7
spi spi --af inet --edst $1 --spi $4 --proto tun --src $2 --dst $1 --ip4
spi spi --said esp0x${4#0x}@$1 --src $2 $8
spigrp spigrp inet $2 $3 tun inet $2 $3 esp
spigrp spigrp inet $1 $4 tun inet $1 $4 esp
eroute eroute --add --eraf inet --src $5/32 --dst $6/32 --said tun0x${3#0x}@$2
EOF
}

# run_script CTL: each line to that socket; 0 when every answer is errno=0.
run_script() {
	local line ans rc=0
	while read -r line; do
		ans=$("$PY" -c "$CTL_CLIENT" "$1" "$line" text)
		case $ans in
		*errno=0) ;;
		*) echo "# $line: $ans"; rc=1 ;;
		esac
	done
	return $rc
}
# errno_of LINE [USER]: the errno= of the answer to LINE on $CTL.
errno_of() {
	ctl_req "$1" "${2:-}" | sed -n 's/^errno=//p'
}
quietly() {
	"$@" >/dev/null 2>&1
}
fails_quietly() {
	! "$@" >/dev/null 2>&1
}

write_conf "$CONF" </dev/null
sed -i 's/^datapath = kernel$/datapath = auto/' "$CONF"
PW=$W/peer40
mkdir -p "$PW" && chmod 755 "$PW"
printf '[daemon]\ndatapath = auto\nmount = %s/net\ncontrol = %s/ctl\nstate-dir = %s/state\n' \
	"$PW" "$PW" "$PW" > "$PW/spigrpd.conf" && chmod 600 "$PW/spigrpd.conf"
trap 'stop_peer; cleanup' EXIT

GROUPS_L="tun.1001@$R esp.1001@$R 
tun.1002@$L esp.1002@$L "

if need_start "spigrpd starts on a config without SAs"; then
	start_peer "$PW"
	nsx ip addr add 10.0.2.1/32 dev lo
	ip -n "$PEER" addr add 10.0.1.1/32 dev lo
	check "the KLIPS script runs on this host (7 commands, errno=0 each)" \
		eval 'klips_script $L $R 0x1001 0x1002 10.0.2.1 10.0.1.1 "$ESP3" "$ESPM" | run_script "$CTL"'
	check "... and on the peer" \
		eval 'klips_script $R $L 0x1002 0x1001 10.0.1.1 10.0.2.1 "$ESPM" "$ESP3" | run_script "$PW/ctl"'
	check "the view holds the two runtime groups" test "$(cat "$V")" = "$GROUPS_L"
	check "both groups installed in the userspace datapath" \
		eval 'test "$(json_states)" = "tun.1001@$R=installed tun.1002@$L=installed"'
	check "ipsec_eroute has the eroute" \
		eval 'grep -q "^0 *10.0.2.1/32 *-> 10.0.1.1/32 *=> tun.1001@$R" "$MNT/ipsec_eroute"'
	check "ping 10.0.2.1 -> 10.0.1.1 through the runtime groups" \
		quietly nsx ping -q -c 2 -W 2 -I 10.0.2.1 10.0.1.1
	check "the inbound esp SA counted the replies" \
		eval 'test "$(sa_packets esp.1002@$L)" -ge 2'
	check "state-dir/runtime is mode 0600 and holds 7 command lines" \
		eval 'test "$(stat -c %a "$STATE/runtime")" = 600 &&
			test "$(grep -c "^[a-z]" "$STATE/runtime")" = 7'
	cp "$STATE/runtime" "$W/runtime.before"
	check "look joins the eroute with its whole group line (the double space included)" \
		eval 'ctl_req look | grep -Eq "^10\.0\.2\.1/32 +-> 10\.0\.1\.1/32 +=> tun\.1001@$R esp\.1001@$R  \([0-9]+\)$"'
	check "... lists the SAs and our route into the TUN" \
		eval 'ctl_req look | grep -q "^esp.1001@$R ESP_3DES_HMAC_SHA1" &&
			ctl_req look | grep -q "^10.0.1.1 dev spigrp0"'

	check "a 5-SA spigrp is refused (at most 4 SAs in a group), nothing changes" \
		eval 'ctl_req "spigrp spigrp --said tun.1001@$R esp.1001@$R tun.1002@$L esp.1002@$L esp.9@$R" |
			grep -q "at most 4 SAs in a group" &&
			cmp -s "$STATE/runtime" "$W/runtime.before" && test "$(cat "$V")" = "$GROUPS_L"'
	check "a group naming a missing SA: ENOENT, the SAID named, nothing changes" \
		eval 'ans=$(ctl_req "spigrp spigrp --said esp.1001@$R esp.77@$R") &&
			echo "$ans" | grep -q "^spigrp: SA esp.77@$R does not exist" &&
			echo "$ans" | grep -qx "errno=2" &&
			cmp -s "$STATE/runtime" "$W/runtime.before"'
	check "linking an SA that already has a successor: EEXIST, nothing changes" \
		eval 'test "$(errno_of "spigrp spigrp --said tun.1001@$R esp.1002@$L")" = 17 &&
			cmp -s "$STATE/runtime" "$W/runtime.before" && test "$(cat "$V")" = "$GROUPS_L"'
	check "an SA whose key is the wrong length: refused, nothing changes" \
		eval 'test "$(errno_of "spi spi --said esp.3@$R --src $L --esp 3des-sha1-96 --enckey 0x01 --authkey $K20")" = 22 &&
			cmp -s "$STATE/runtime" "$W/runtime.before"'
	check "nobody may not change anything (EPERM, a clear refusal) ..." \
		eval 'ans=$(ctl_req "spi spi --clear" nobody) && echo "$ans" | grep -qx "errno=1" &&
			echo "$ans" | grep -q "needs root or the control group" && cmp -s "$STATE/runtime" "$W/runtime.before"'
	check "... but may read the view" \
		eval 'ctl_req view nobody | grep -q "^tun.1001@$R "'
	check "traffic still flows after the refused changes" \
		quietly nsx ping -q -c 1 -W 2 -I 10.0.2.1 10.0.1.1

	check "kill -9, then a start keeps the runtime groups (read from state-dir/runtime)" \
		eval 'stop_daemon KILL && start_daemon && poll eval "test \"\$(cat \"$V\")\" = \"\$GROUPS_L\""'
	check "... installed again, and traffic flows" \
		eval 'wait_states "tun.1001@$R=installed tun.1002@$L=installed" &&
			quietly nsx ping -q -c 2 -W 2 -I 10.0.2.1 10.0.1.1'
	check "a reload keeps them" \
		eval 'kill -HUP $daemon_pid && wait_log reloaded && test "$(cat "$V")" = "$GROUPS_L"'

	check "spigrp with one SA dissolves its group; its eroute becomes %drop" \
		eval 'test "$(errno_of "spigrp spigrp --said esp.1001@$R")" = 0 &&
			grep -q "10.0.2.1/32 *-> 10.0.1.1/32 *=> %drop" "$MNT/ipsec_eroute" &&
			grep -qx "tun.1001@$R " "$V" && grep -qx "esp.1001@$R " "$V"'
	check "... which blocks the traffic (no ping, nothing in clear)" \
		fails_quietly nsx ping -q -c 1 -W 1 -I 10.0.2.1 10.0.1.1
	check "eroute --del removes it (a KLIPS teardown in its order runs on); a second: ENOENT" \
		eval 'test "$(errno_of "eroute eroute --del --src 10.0.2.1/32 --dst 10.0.1.1/32")" = 0 &&
			test -z "$(cat "$MNT/ipsec_eroute")" &&
			test "$(errno_of "eroute eroute --del --src 10.0.2.1/32 --dst 10.0.1.1/32")" = 2'
	check "spi --del deletes the inbound group's SAs (the whole chain)" \
		eval 'test "$(errno_of "spi spi --said esp.1002@$L --del")" = 0 &&
			! grep -q "1002@" "$V"'
	check "a second --del: ENOENT" \
		test "$(errno_of "spi spi --said tun.1002@$L --del")" = 2
	check "spi --clear removes the rest; the view and the file are empty" \
		eval 'test "$(errno_of "spi spi --clear")" = 0 && test -z "$(cat "$V")" &&
			test "$(grep -c "^[a-z]" "$STATE/runtime")" = 0'
	nsx ip addr del 10.0.2.1/32 dev lo 2>/dev/null
	ip -n "$PEER" addr del 10.0.1.1/32 dev lo 2>/dev/null
fi
stop_peer
trap cleanup EXIT
end_daemon
