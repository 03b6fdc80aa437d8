#!/bin/sh
# bench/esp-speed.sh BUILDDIR [ALG...]: esp_encap()/esp_decap() per packet
# (bench/esp_speed, built by `make bench-esp`) beside `openssl speed` for
# the same algorithms and size, on this machine (no UML).  ALG as
# esp_speed takes it (default aes128gcm16 aes128+sha256).  SECS (default 3)
# per measure, BYTES (default 1400).
#
# openssl's figures: "-evp CIPHER -aead" (a new IV, the AAD and the tag per
# buffer: the per-packet shape of ESP) for AEAD; "-evp CIPHER" plus
# "-hmac DIGEST" for the CBC + HMAC pairs (their costs added).
set -u
[ -n "${1:-}" ] || { echo "usage: $0 BUILDDIR [ALG...]" >&2; exit 2; }
b=$1
shift
SECS=${SECS:-3}
BYTES=${BYTES:-1400}
[ $# -gt 0 ] || set -- aes128gcm16 aes128+sha256

# ns per operation of `openssl speed ARGS` at BYTES
ossl() {
	openssl speed -mr -elapsed -seconds "$SECS" -bytes "$BYTES" "$@" 2>/dev/null |
		awk -F: -v n="$BYTES" '/^\+F:/ { bps = $NF } END { if (bps) printf "%.0f", n / bps * 1e9 }'
}

cipher() {
	case "$1" in
	aes128gcm16) echo aes-128-gcm ;;
	aes256gcm16) echo aes-256-gcm ;;
	chacha20poly1305) echo chacha20-poly1305 ;;
	aes128) echo aes-128-cbc ;;
	aes192) echo aes-192-cbc ;;
	aes256) echo aes-256-cbc ;;
	3des) echo des-ede3-cbc ;;
	esac
}

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "openssl: $(openssl version)"
echo
echo "| algorithm | bytes | esp_encap ns/pkt | esp_decap ns/pkt | openssl speed ns/op | encap / openssl |"
echo "|---|---|---|---|---|---|"
for alg in "$@"; do
	out=$("$b/bench/esp_speed" -s "$SECS" -b "$BYTES" "$alg") || exit 1
	enc=$(echo "$out" | awk '$2 == "encap" { print $4 }')
	dec=$(echo "$out" | awk '$2 == "decap" { print $4 }')
	c=$(cipher "${alg%%+*}")
	case "$alg" in
	*gcm*|chacha*) ref=$(ossl -evp "$c" -aead) ;;
	*+*) ref=$(( $(ossl -evp "$c") + $(ossl -hmac "${alg#*+}") )) ;;
	*) ref=$(ossl -evp "$c") ;;
	esac
	echo "| $alg | $BYTES | $enc | $dec | $ref | $(awk -v a="$enc" -v b="$ref" 'BEGIN { printf "%.2f", a / b }') |"
done
