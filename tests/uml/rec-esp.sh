#!/bin/sh
# Records the ESP fixtures of tests/data/esp/: for every algorithm pair of
# the config table (every enc/AEAD row, each non-AEAD cipher with every
# auth row and without, NULL with every auth row), with and without ESN,
# one tunnel-mode ESP packet made by the UML kernel's XFRM from a UDP
# datagram with a known payload, as the peer's raw socket receives it;
# and for every auth row, with and without ESN, one tunnel-mode AH packet
# (ah-AUTH.txt, ICV 32-bit aligned: the align4 flag, spigrpd.conf's
# default).  check_esp decapsulates each ESP packet with src/dp/esp.c and
# encapsulates the inner packet again with the kernel's IV, byte for
# byte; check_ah does the same with the AH packets and src/dp/ah.c.  Not a test case
# (prefix rec-): run by tests/tools/record-esp.sh, which copies
# $UMLT_OUT/esp/*.txt to the tree.  The namespaces are new and thrown away;
# the keys are counting patterns (test keys).
. "$UMLT_SRC/tests/uml/lib.sh"

O=$UMLT_OUT/esp
mkdir -p "$O"
rm -f "$O"/*.txt

# key BYTES SEED: BYTES bytes (SEED + 7 i) mod 256, as 0x...
key() {
	_k=0x
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_k=$_k$(printf %02x $((($2 + _i * 7) % 256)))
		_i=$((_i + 1))
	done
	echo "$_k"
}

# The table's rows: config name, kernel name, key bytes, ICV bits.
ENC="aes128 cbc(aes) 16 0
aes192 cbc(aes) 24 0
aes256 cbc(aes) 32 0
3des cbc(des3_ede) 24 0
null ecb(cipher_null) 0 0
aes128gcm16 rfc4106(gcm(aes)) 20 128
aes256gcm16 rfc4106(gcm(aes)) 36 128
chacha20poly1305 rfc7539esp(chacha20,poly1305) 36 128
des cbc(des) 8 0"
AUTH="- - 0 0
sha1 hmac(sha1) 20 96
sha256 hmac(sha256) 32 128
sha384 hmac(sha384) 48 192
sha512 hmac(sha512) 64 256
md5 hmac(md5) 16 96"

PAYLOAD=73706967727064206b65726e656c20636170747572653a2065737020746573742e

step "kernel $(uname -r)"
ip netns add ea || fail "ip netns add ea"
ip netns add eb || fail "ip netns add eb"
ip link add va netns ea type veth peer name vb netns eb || fail "veth"
ns ea ip link set lo up
ns eb ip link set lo up
ns ea ip addr add 192.0.2.1/24 dev va
ns eb ip addr add 192.0.2.2/24 dev vb
ns ea ip link add in0 type dummy
ns ea ip addr add 10.1.0.1/24 dev in0
ns ea ip link set in0 up
ns ea ip link set va up
ns eb ip link set vb up
ns ea ip route add 10.2.0.0/24 via 192.0.2.2 || fail "route"

# record NAME SPI ESN XFRM-ALGORITHM-ARGS...: one packet with these
# algorithms ($PROTO: esp, or ah with the align4 flag); its description
# goes to $O/NAME.txt by the caller.
PROTO=esp
record() {
	_name=$1 _spi=$2 _esn=$3
	shift 3
	ns ea ip xfrm state flush
	ns ea ip xfrm policy flush
	_flags=
	[ "$PROTO" = ah ] && _flags=align4
	if [ "$_esn" = 1 ]; then
		# outbound sequence numbers continue at 5:0x00000011
		_flags="$_flags esn"
		set -- "$@" replay-window 32 replay-oseq-hi 5 replay-oseq 0x10
	fi
	# shellcheck disable=SC2086 # the flags are words
	[ -n "$_flags" ] && set -- "$@" flag $_flags
	if ! ns ea ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto "$PROTO" spi "$_spi" \
		reqid 7 mode tunnel "$@" 2> "$T/state.err"; then
		info "$_name: the kernel refuses the state: $(cat "$T/state.err")"
		return 1
	fi
	ns ea ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto "$PROTO" reqid 7 mode tunnel ||
		fail "$_name: policy"
	rm -f "$T/ready" "$T/pkt"
	ns eb "$PY" -c '
import socket, select, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, int(sys.argv[2]))
open(sys.argv[1], "w").close()
r, _, _ = select.select([s], [], [], 5)
if not r:
    sys.exit(1)
print(s.recv(70000).hex())
' "$T/ready" "$([ "$PROTO" = ah ] && echo 51 || echo 50)" > "$T/pkt" &
	_rpid=$!
	_i=0
	while [ ! -e "$T/ready" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	ns ea "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.1.0.1", 40000))
s.sendto(bytes.fromhex(sys.argv[1]), ("10.2.0.1", 9))
' "$PAYLOAD" || fail "$_name: send"
	wait "$_rpid" || fail "$_name: no ESP packet received"
	[ -s "$T/pkt" ] || fail "$_name: empty capture"
	return 0
}

# save NAME ESN STATE LINE...: $O/NAME.txt for the packet just recorded:
# the state's arguments STATE as a comment, the LINEs, then seq-hi, the
# payload and the packet.
save() {
	_name=$1 _esn=$2 _state=$3
	shift 3
	{
		echo "# recorded by tests/tools/record-esp.sh in user-mode-linux $(uname -r)"
		echo "# ip xfrm state add ... $_state"
		printf '%s\n' "$@"
		echo "seq-hi $( [ "$_esn" = 1 ] && echo 5 || echo 0)"
		echo "payload $PAYLOAD"
		echo "packet $(cat "$T/pkt")"
	} > "$O/$_name.txt"
	info "$_name: $(wc -c < "$T/pkt") hex digits"
}

ei=0
echo "$ENC" | while read -r ename ekern ebytes eicv; do
	ei=$((ei + 1))
	ai=0
	echo "$AUTH" | while read -r aname akern abytes aicv; do
		ai=$((ai + 1))
		idx=$((ei * 8 + ai))
		# AEAD rows carry their own ICV; NULL needs auth
		case "$ekern" in rfc*) [ "$aname" = - ] || continue ;; esac
		[ "$ename" = null ] && [ "$aname" = - ] && continue
		ek=$(key "$ebytes" $((idx * 3)))
		ak=$(key "$abytes" $((idx * 5 + 1)))
		for esn in 0 1; do
			name=$ename-$aname
			[ "$aname" = - ] && name=$ename
			[ $esn = 1 ] && name=$name-esn
			spi=$(printf 0x%08x $((0x5e00 + idx * 2 + esn)))
			case "$ekern" in
			rfc*) set -- aead "$ekern" "$ek" "$eicv" ;;
			ecb*) set -- enc "$ekern" "" ;;
			*) set -- enc "$ekern" "$ek" ;;
			esac
			[ "$aname" != - ] && set -- "$@" auth-trunc "$akern" "$ak" "$aicv"
			record "$name" "$spi" "$esn" "$@" || continue
			save "$name" "$esn" \
				"proto esp spi $spi mode tunnel $* $( [ $esn = 1 ] && echo flag esn replay-oseq-hi 5 replay-oseq 0x10)" \
				"enc $ename" "auth $aname" "esn $esn" \
				"enckey $( [ "$ebytes" = 0 ] && echo - || echo "$ek")" \
				"authkey $( [ "$abytes" = 0 ] && echo - || echo "$ak")"
		done
	done
done

# AH: every auth row, tunnel mode, with and without ESN
PROTO=ah
ai=0
echo "$AUTH" | while read -r aname akern abytes aicv; do
	ai=$((ai + 1))
	[ "$aname" = - ] && continue
	ak=$(key "$abytes" $((ai * 11 + 3)))
	for esn in 0 1; do
		name=ah-$aname
		[ $esn = 1 ] && name=$name-esn
		spi=$(printf 0x%08x $((0x5a00 + ai * 2 + esn)))
		set -- auth-trunc "$akern" "$ak" "$aicv"
		record "$name" "$spi" "$esn" "$@" || fail "$name: the kernel refuses AH with $akern"
		save "$name" "$esn" \
			"proto ah spi $spi mode tunnel $* flag align4$( [ $esn = 1 ] && echo " esn replay-oseq-hi 5 replay-oseq 0x10")" \
			"auth $aname" "esn $esn" "authkey $ak"
	done
done
ls "$O"/*.txt > /dev/null 2>&1 || fail "nothing recorded"
step "$(ls "$O"/*.txt | wc -l) packets recorded"
