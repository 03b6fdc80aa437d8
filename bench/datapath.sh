#!/bin/bash
# bench/datapath.sh BUILDDIR — the userspace datapath against its anchors,
# side by side in one run on this machine (make bench-datapath; as root).
#
# Two network namespaces (sdb1, sdb2) joined by a veth pair; the inner
# addresses live on lo.  One after the other, each between the same two
# namespaces and with the same ciphers:
#   spigrpd-ipip      spigrpd's datapath with a tun-only group: the TUN path
#                     with no crypto (the bound of the TUN path)
#   spigrpd-CIPHER    spigrpd's datapath, one esp tunnel group each way
#   libipsec-CIPHER   strongSwan's charon with kernel-libipsec (IKEv2 PSK,
#                     Debian's strongswan-charon), the same ESP cipher
# for CIPHER in aes128gcm16 and aes128-sha256 (spigrpd: enc = aes128gcm16;
# enc = aes128 + auth = sha256).  Each runs iperf3 TCP and UDP with a
# 1400-byte payload, REPS times DURATION seconds; CPU time of the datapath
# processes is read from /proc around each run (CPU seconds per gigabit
# moved).  After the spigrpd runs, the SA byte counters (spigrp --status
# --json) are compared with the bytes iperf3 moved.  Then the in-process
# cost per packet of each transform (bench/xfcost) beside `openssl speed`
# for the same algorithm and size.  A table with medians and the ratio to
# kernel-libipsec goes to stdout and $OUT/summary.md.
#
# Environment: REPS (3), DURATION (10), OUT (/tmp/spigrpd-bench/STAMP),
# SECTIONS ("cost ipip spigrpd libipsec"), CIPHERS.
set -u

BUILD=${1:?usage: $0 BUILDDIR}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-3}
DURATION=${DURATION:-10}
SECTIONS=${SECTIONS:-"cost ipip spigrpd libipsec"}
CIPHERS=${CIPHERS:-"aes128gcm16 aes128-sha256"}
UDP_LEN=1400
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-/tmp/spigrpd-bench/$STAMP}
ST=$OUT/state
NS1=sdb1 NS2=sdb2 V1=sdb1-v V2=sdb2-v
O1=10.97.0.1 O2=10.97.0.2 I1=10.96.1.1 I2=10.96.2.1

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in iperf3 jq swanctl /usr/lib/ipsec/charon; do
	command -v "$t" >/dev/null || [ -x "$t" ] || die "missing $t (contrib/deps.sh --bench)"
done
mkdir -p "$ST/pids" "$OUT"

# ---- processes we started, stopped by pid only ----
track() { echo "$2" >"$ST/pids/$1"; }
untrack() {
	local f=$ST/pids/$1 p
	[ -f "$f" ] || return 0
	p=$(cat "$f")
	kill "$p" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	rm -f "$f"
}
teardown() {
	local f
	for f in "$ST"/pids/*; do [ -e "$f" ] && untrack "$(basename "$f")"; done
	ip netns del $NS1 2>/dev/null
	ip netns del $NS2 2>/dev/null
	return 0
}
trap teardown EXIT

ns_setup() {
	teardown
	ip netns add $NS1 && ip netns add $NS2 || die "netns"
	ip link add $V1 netns $NS1 type veth peer name $V2 netns $NS2 || die veth
	ip -n $NS1 addr add $O1/24 dev $V1
	ip -n $NS2 addr add $O2/24 dev $V2
	ip -n $NS1 addr add $I1/32 dev lo
	ip -n $NS2 addr add $I2/32 dev lo
	for n in $NS1 $NS2; do
		ip -n $n link set lo up
		ip -n $n link set "${n}-v" up
	done
	ip netns exec $NS1 ping -c1 -W2 $O2 >/dev/null || die "veth ping"
}

cpu_ticks() { # PID...: utime + stime of all threads, clock ticks
	local p
	for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{s += $14 + $15} END {print s + 0}'
}

# sa_out: the bytes and packets of the sending side's outbound group's
# first SA (its tun SA: the inner packets as they entered the group), from
# spigrp --status --json; nothing for charon
sa_out() {
	[ -S "$ST/d1/ctl" ] || return 0
	"$BUILD/spigrp" --control "$ST/d1/ctl" --status --json | python3 -c '
import json, sys
for g in json.load(sys.stdin)["groups"]:
    if g["direction"] == "out":
        print(g["sas"][0]["bytes"], g["sas"][0]["packets"])'
}

# run LABEL IPERF-ARGS...: REPS runs; $LABEL.N.json, $LABEL.N.cpu (ticks),
# $LABEL.N.sa (the outbound SA's bytes and packets before and after)
run_iperf() {
	local label=$1 r pids t0 t1
	shift
	pids=$(cat "$ST"/pids/dp-* 2>/dev/null)
	for r in $(seq "$REPS"); do
		sa_out >"$OUT/$label.$r.sa"
		t0=$(cpu_ticks $pids)
		ip netns exec $NS1 iperf3 -c $I2 -B $I1 -J -t "$DURATION" "$@" \
			>"$OUT/$label.$r.json" 2>"$OUT/$label.$r.err"
		t1=$(cpu_ticks $pids)
		echo $((t1 - t0)) >"$OUT/$label.$r.cpu"
		sa_out >>"$OUT/$label.$r.sa"
		sleep 1
	done
}

measure() { # LABEL: TCP and UDP
	ip netns exec $NS2 iperf3 -s -B $I2 >/dev/null 2>&1 </dev/null &
	track iperf $!
	sleep 0.5
	log "$1: TCP x$REPS"
	run_iperf "$1.tcp"
	log "$1: UDP -l $UDP_LEN x$REPS"
	run_iperf "$1.udp" -u -b 0 -l $UDP_LEN
	# paced well below capacity, so that nothing is lost before the SA:
	# its counters must match iperf3's exactly
	case $1 in spigrpd-*)
		log "$1: UDP 50 Mbit/s for the counter check"
		REPS=1 DURATION=3 run_iperf "$1.udpcheck" -u -b 50M -l $UDP_LEN ;;
	esac
	untrack iperf
}

# ---- spigrpd ----
# conf CIPHER|ipip: one group each way between the inner addresses
spigrpd_conf() {
	local c=$1 k1 k2 alg
	{
		echo "[daemon]"
		echo "datapath = userspace"
		for dir in 1 2; do
			if [ $dir = 1 ]; then s=$O1 d=$O2 ss=$I1 ds=$I2 spi=1001
			else s=$O2 d=$O1 ss=$I2 ds=$I1 spi=1002; fi
			if [ "$c" = ipip ]; then
				echo "[sa tun.$spi@$d]"
				echo "src = $s"
			else
				echo "[sa esp.$spi@$d]"
				echo "src = $s"
				echo "mode = tunnel"
				case $c in
				aes128gcm16)
					echo "enc = aes128gcm16"
					echo "enckey = 0x$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')" ;;
				aes128-sha256)
					echo "enc = aes128"
					echo "enckey = 0x$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
					echo "auth = sha256"
					echo "authkey = 0x$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" ;;
				esac
			fi
			echo "[group g$dir]"
			if [ "$c" = ipip ]; then echo "said = tun.$spi@$d"
			else echo "said = esp.$spi@$d"; fi
			echo "src-ts = $ss/32"
			echo "dst-ts = $ds/32"
		done
	}
}

spigrpd_up() { # CIPHER
	local n ns p
	# one config (one set of random keys) for both ends
	spigrpd_conf "$1" >"$ST/spigrpd.conf.in"
	chmod 600 "$ST/spigrpd.conf.in"
	for n in 1 2; do
		ns=sdb$n
		mkdir -p "$ST/d$n"
		chmod 700 "$ST/d$n"
		sed -e "1a mount = $ST/d$n/net\ncontrol = $ST/d$n/ctl\nstate-dir = $ST/d$n/state" \
			"$ST/spigrpd.conf.in" >"$ST/d$n/spigrpd.conf"
		chmod 600 "$ST/d$n/spigrpd.conf"
		mkdir -p "$ST/d$n/net"
		nsenter --net=/run/netns/$ns "$BUILD/spigrpd" -f -c "$ST/d$n/spigrpd.conf" \
			>"$ST/d$n/log" 2>&1 </dev/null &
		p=$!
		track dp-$n $p
	done
	for _ in $(seq 30); do
		ip netns exec $NS1 ping -c1 -W1 -I $I1 $I2 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$ST"/d*/log >&2
	die "spigrpd ($1): no ping through the datapath"
}

spigrpd_down() {
	local n
	for n in 1 2; do
		"$BUILD/spigrp" --control "$ST/d$n/ctl" --status --json >"$OUT/$1.status$n.json" 2>&1
		untrack dp-$n
		umount "$ST/d$n/net" 2>/dev/null
	done
}

section_spigrpd() { # ipip or a cipher
	local c=$1
	spigrpd_up "$c"
	measure "spigrpd-$c"
	spigrpd_down "spigrpd-$c"
}

# ---- strongSwan kernel-libipsec ----
charon_up() { # CIPHER
	local n ns me peer lts rts d
	for n in 1 2; do
		ns=sdb$n d=$ST/charon$n
		if [ $n = 1 ]; then me=$O1 peer=$O2 lts=$I1 rts=$I2
		else me=$O2 peer=$O1 lts=$I2 rts=$I1; fi
		mkdir -p "$d/run" "$d/swanctl"
		cat >"$d/strongswan.conf" <<-EOF
		charon {
			load_modular = no
			load = openssl random nonce x509 pubkey pem pkcs1 aes sha2 sha1 hmac gcm kdf curve25519 kernel-libipsec kernel-netlink socket-default vici
			install_virtual_ip = no
			plugins {
				vici { socket = unix://$d/run/charon.vici }
			}
			filelog { main { path = $d/charon.log
				default = 1 } }
		}
		EOF
		cat >"$d/swanctl/swanctl.conf" <<-EOF
		connections { b { version = 2
			local_addrs = $me
			remote_addrs = $peer
			proposals = aes128-sha256-x25519
			local { auth = psk
				id = $me }
			remote { auth = psk
				id = $peer }
			children { b { local_ts = $lts/32
				remote_ts = $rts/32
				esp_proposals = $1
				mode = tunnel
				rekey_time = 0
				life_time = 0 } }
			rekey_time = 0
			reauth_time = 0 } }
		secrets { ike-b { id-1 = $O1
			id-2 = $O2
			secret = "spigrpd-bench-psk" } }
		EOF
		ip netns exec $ns sh -c "mount --bind '$d/run' /run && exec env STRONGSWAN_CONF='$d/strongswan.conf' /usr/lib/ipsec/charon" \
			>"$d/stdout" 2>&1 </dev/null &
		track dp-$n $!
		for _ in $(seq 100); do [ -S "$d/run/charon.vici" ] && break; sleep 0.1; done
		[ -S "$d/run/charon.vici" ] || die "charon$n did not start"
		swanctl --load-all --noprompt --uri "unix://$d/run/charon.vici" \
			--file "$d/swanctl/swanctl.conf" >"$d/load.out" 2>&1 || die "swanctl load $n"
	done
	swanctl --initiate --child b --timeout 20 --uri "unix://$ST/charon1/run/charon.vici" \
		>"$ST/charon1/initiate.out" 2>&1 || die "charon: initiate"
	ip netns exec $NS1 ping -c1 -W2 -I $I1 $I2 >/dev/null || die "charon: no ping"
}

section_libipsec() {
	charon_up "$1"
	measure "libipsec-$1"
	untrack dp-1
	untrack dp-2
}

# ---- in-process cost per packet, and openssl speed ----
section_cost() {
	log "transform cost (bench/xfcost) and openssl speed (single core)"
	"$BUILD/bench/xfcost" 1400 >"$OUT/xfcost.txt" 2>&1 || die "xfcost"
	{
		openssl speed -evp aes-128-gcm -bytes 1400 -seconds 2 2>/dev/null | tail -1
		openssl speed -evp aes-128-cbc -bytes 1400 -seconds 2 2>/dev/null | tail -1
		openssl speed -hmac sha256 -bytes 1400 -seconds 2 2>/dev/null | tail -1
		openssl speed -evp chacha20-poly1305 -bytes 1400 -seconds 2 2>/dev/null | tail -1
	} >"$OUT/openssl-speed.txt"
}

{
	echo "date: $STAMP"
	echo "kernel: $(uname -r), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	echo "spigrpd: $(git -C "$SRC" describe --always --dirty 2>/dev/null)"
	echo "load: $(cat /proc/loadavg)"
} >"$OUT/env.txt"
ns_setup
for s in $SECTIONS; do
	case $s in
	cost) section_cost ;;
	ipip) section_spigrpd ipip ;;
	spigrpd) for c in $CIPHERS; do section_spigrpd "$c"; done ;;
	libipsec) for c in $CIPHERS; do section_libipsec "$c"; done ;;
	*) die "unknown section $s" ;;
	esac
done
teardown
trap - EXIT
python3 "$SRC/bench/datapath-summary.py" "$OUT" | tee "$OUT/summary.md"
log "results in $OUT"
