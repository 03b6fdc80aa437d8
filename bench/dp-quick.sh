#!/bin/bash
# bench/dp-quick.sh BUILDDIR [ENC [AUTH]]: a first look at the userspace
# datapath's throughput (root; not a test).  Two namespaces joined by veth,
# tests/tools/dpdrive in each with one esp tunnel group per direction
# (default aes128gcm16; e.g. "aes128 sha256"), iperf3 TCP for 10 s each
# way and UDP with 1400-byte payloads, then the left's outbound SA byte
# counter beside iperf3's byte count.  The full comparison (kernel-libipsec,
# the TUN bound, openssl speed) is bench/'s job.
set -u
b=${1:?usage: $0 BUILDDIR [ENC [AUTH]]}
enc=${2:-aes128gcm16}
auth=${3:-}
D=$(cd "$b" && pwd)/tests/tools/dpdrive
W=$(mktemp -d /tmp/dp-quick.XXXXXX)
A=dpqa-$$
B=dpqb-$$
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

key() { # KEY BYTES: a hex key of BYTES bytes
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' | sed 's/^/0x/'
}
case $enc in
aes128gcm16) kl=20 ;;
aes256gcm16 | chacha20poly1305) kl=36 ;;
aes128) kl=16 ;;
aes256) kl=32 ;;
*) kl=24 ;;
esac
k1=$(key $kl)
k2=$(key $kl)
a1=$(key 32)
a2=$(key 32)
sa() { # SPI DST SRC KEY AUTHKEY
	printf '[sa esp.%s@%s]\nsrc = %s\nenc = %s\nenckey = %s\nmode = tunnel\n' "$1" "$2" "$3" "$enc" "$4"
	[ -n "$auth" ] && printf 'auth = %s\nauthkey = %s\n' "$auth" "$5"
	printf '[group g%s]\nsaid = esp.%s@%s\n' "$1" "$1" "$2"
}
for side in a b; do
	mkdir -m 700 "$W/$side.state"
	{
		printf '[daemon]\ndatapath = userspace\nmount = %s\ncontrol = %s\nstate-dir = %s\n' \
			"$W/$side.mnt" "$W/$side.ctl" "$W/$side.state"
		sa 300 192.168.9.2 192.168.9.1 "$k1" "$a1"
		printf 'src-ts = 10.9.1.0/24\ndst-ts = 10.9.2.0/24\n'
		sa 301 192.168.9.1 192.168.9.2 "$k2" "$a2"
		printf 'src-ts = 10.9.2.0/24\ndst-ts = 10.9.1.0/24\n'
	} > "$W/$side.conf"
	chmod 600 "$W/$side.conf"
done

ip netns add "$A" && ip netns add "$B" &&
	ip link add dpqa netns "$A" type veth peer name dpqb netns "$B" || exit 1
ip -n "$A" addr add 192.168.9.1/24 dev dpqa
ip -n "$B" addr add 192.168.9.2/24 dev dpqb
for n in "$A" "$B"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set "dpq${n:3:1}" up
done
ip -n "$A" addr add 10.9.1.1/32 dev lo
ip -n "$B" addr add 10.9.2.1/32 dev lo
nsenter --net=/run/netns/"$A" "$D" "$W/a.conf" > "$W/a.out" 2>&1 &
pids="$pids $!"
pa=$!
nsenter --net=/run/netns/"$B" "$D" "$W/b.conf" > "$W/b.out" 2>&1 &
pids="$pids $!"
sleep 1
grep -q ready "$W/a.out" && grep -q ready "$W/b.out" || { cat "$W"/*.out; exit 1; }
mtu=$(awk '$1 == "group" && $2 == "g300" { print $6 }' "$W/a.out")
ip -n "$A" route add 10.9.2.0/24 dev spigrp0 src 10.9.1.1 mtu lock "$mtu"
ip -n "$B" route add 10.9.1.0/24 dev spigrp0 src 10.9.2.1 mtu lock "$mtu"
ip netns exec "$B" iperf3 -s -B 10.9.2.1 > "$W/iperf-s.log" 2>&1 &
pids="$pids $!"
sleep 0.5
echo "# $enc${auth:+ + $auth}, inner MTU $mtu"
ip netns exec "$A" iperf3 -c 10.9.2.1 -B 10.9.1.1 -t 10 -J > "$W/tcp.json"
ip netns exec "$A" iperf3 -c 10.9.2.1 -B 10.9.1.1 -t 10 -R -J > "$W/tcpr.json"
ip netns exec "$A" iperf3 -c 10.9.2.1 -B 10.9.1.1 -t 10 -u -b 0 -l 1400 -J > "$W/udp.json"
for t in tcp tcpr udp; do
	python3 - "$W/$t.json" "$t" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
e = j["end"]
s = e.get("sum_received") or e["sum"]
sent = e.get("sum_sent", s)
cpu = e.get("cpu_utilization_percent", {})
print("%-5s %8.0f Mbit/s received, sent %d bytes, cpu host %.0f%% remote %.0f%%"
      % (sys.argv[2], s["bits_per_second"] / 1e6, sent["bytes"],
         cpu.get("host_total", 0), cpu.get("remote_total", 0)))
EOF
done
kill -USR1 "$pa"
sleep 0.3
grep "^sa esp" "$W/a.out" | tail -2
grep '^dp ' "$W/a.out" | tail -1
