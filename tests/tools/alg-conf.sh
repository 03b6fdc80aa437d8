#!/bin/sh
# tests/tools/alg-conf.sh: one `esp` tunnel group per algorithm of the
# config table (src/core/alg.c), both ways between the seed's outer
# addresses, for the interop tests (tests/uml, tests/netns).
#
#   alg-conf.sh list         N ENC AUTH ESN per group, one a line
#   alg-conf.sh conf         the [sa] and [group] sections (no [daemon])
#   alg-conf.sh addrs SIDE   the inner addresses of SIDE (left|right), one
#                            "10.1.N.1/24" (left) / "10.2.N.1/24" (right) a line
#
# Group algN carries 10.1.N.0/24 (behind left, 192.168.2.100) to
# 10.2.N.0/24 (behind right, 192.168.2.110) with SA esp.(2000+N)@192.168.2.110;
# group algN-reverse the other way with esp.(3000+N)@192.168.2.100.  Keys
# are made from N and the direction (test keys, never for real use).
# Groups 11-13 are the legacy algorithms of KLIPS-era setups (HMAC-MD5-96,
# single DES).  ESN
# alternates so both ICV forms are exercised, and tshark 4.0 (no ESN) can
# check the ICVs of the groups with esn = no.
set -eu

# N ENC AUTH ESN ("-" for none)
table() {
	cat <<'EOF'
1 aes128 sha1 no
2 aes192 sha256 yes
3 aes256 sha384 no
4 aes128 sha512 yes
5 aes128gcm16 - no
6 aes256gcm16 - yes
7 chacha20poly1305 - yes
8 3des sha256 no
9 null sha256 yes
10 aes256 - no
11 3des md5 no
12 aes128 md5 yes
13 des sha1 no
EOF
}

# key BYTES SEED: BYTES bytes of test key, hex with 0x
key() {
	awk -v n="$1" -v s="$2" 'BEGIN {
		printf "0x"
		for (i = 0; i < n; i++) printf "%02x", (s * 37 + i * 11 + 5) % 256
		printf "\n" }'
}

keylen() {
	case $1 in
	aes128) echo 16 ;;
	aes192) echo 24 ;;
	aes256 | 3des) echo "$([ "$1" = 3des ] && echo 24 || echo 32)" ;;
	aes128gcm16) echo 20 ;;
	aes256gcm16 | chacha20poly1305) echo 36 ;;
	des) echo 8 ;;
	md5) echo 16 ;;
	sha1) echo 20 ;;
	sha256) echo 32 ;;
	sha384) echo 48 ;;
	sha512) echo 64 ;;
	null | -) echo 0 ;;
	esac
}

sa() {	# SPI DST SRC ENC AUTH ESN SEED
	printf '[sa esp.%x@%s]\nsrc = %s\nmode = tunnel\n' "$1" "$2" "$3"
	if [ "$4" != - ]; then
		echo "enc = $4"
		[ "$4" = null ] || echo "enckey = $(key "$(keylen "$4")" "$7")"
	fi
	if [ "$5" != - ]; then
		echo "auth = $5"
		echo "authkey = $(key "$(keylen "$5")" $(($7 + 100)))"
	fi
	echo "esn = $6"
	echo
}

case ${1:-} in
list)
	table
	;;
conf)
	table | while read -r n enc auth esn; do
		sa $((0x2000 + n)) 192.168.2.110 192.168.2.100 "$enc" "$auth" "$esn" "$n"
		printf '[group alg%d]\nsaid = esp.%x@192.168.2.110\nsrc-ts = 10.1.%d.0/24\ndst-ts = 10.2.%d.0/24\n\n' \
			"$n" $((0x2000 + n)) "$n" "$n"
		sa $((0x3000 + n)) 192.168.2.100 192.168.2.110 "$enc" "$auth" "$esn" $((n + 50))
		printf '[group alg%d-reverse]\nsaid = esp.%x@192.168.2.100\nsrc-ts = 10.2.%d.0/24\ndst-ts = 10.1.%d.0/24\n\n' \
			"$n" $((0x3000 + n)) "$n" "$n"
	done
	;;
addrs)
	case ${2:-} in
	left) p=1 ;;
	right) p=2 ;;
	*) echo "usage: $0 addrs left|right" >&2; exit 2 ;;
	esac
	table | while read -r n _; do
		echo "10.$p.$n.1/24"
	done
	;;
*)
	echo "usage: $0 list|conf|addrs SIDE" >&2
	exit 2
	;;
esac
