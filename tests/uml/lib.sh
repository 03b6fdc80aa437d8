# Helpers for tests/uml/t-*.sh, sourced inside the UML guest (POSIX sh).
#
# The topology is contrib/seed.conf's: namespace "left" holds 192.168.2.100
# and 3049:1::1 on veth "vl" with the inner networks 10.0.1.0/24 and
# fd00:1::/64 (10.0.1.1, fd00:1::1 on dummy "in0"); namespace "right" holds
# 192.168.2.110, 3049:1::2 on "vr" with 10.0.2.0/24, fd00:2::/64 (10.0.2.1,
# fd00:2::1).  Everything a case writes goes below $T (tmpfs), which the
# guest removes after the case, as it deletes every namespace and kills
# every process the case left.

set -u

SRC=${UMLT_SRC:?}
BUILD=${UMLT_BUILD:?}
CASE=${UMLT_CASE:-case}
T=/tmp/umlt.$CASE
mkdir -p "$T"
SPIGRPD=$BUILD/spigrpd
SPIGRP=$BUILD/spigrp
PY=/usr/bin/python3

# fail WHY: record the reason (the first one wins) and end the case.
# The case's files (captures, logs, configs without keys) are kept in the
# results directory for a look from the host.
fail() {
	[ -s "$UMLT_REASON" ] || printf '%s\n' "$*" > "$UMLT_REASON"
	echo "FAIL: $*"
	mkdir -p "$UMLT_OUT/$CASE.files"
	find "$T" -maxdepth 1 -type f -size -4096k ! -name '*.conf' \
		-exec cp {} "$UMLT_OUT/$CASE.files/" \; 2>/dev/null
	exit 1
}

info() {
	echo "# $*"
}

# step WHAT: a heading in the case's log.
step() {
	echo "== $*"
}

# ns SIDE CMD...: run CMD in the namespace (network only: keeps mounts).
ns() {
	_ns=$1
	shift
	nsenter --net="/run/netns/$_ns" "$@"
}

# topo_up [routes]: the two namespaces and their addresses; with "routes"
# also the inner subnets' routes (the daemon installs its own otherwise).
topo_up() {
	ip netns add left || fail "ip netns add left"
	ip netns add right || fail "ip netns add right"
	ip link add vl netns left type veth peer name vr netns right ||
		fail "cannot create veth pair"
	for s in left right; do
		ns $s ip link set lo up
		ns $s ip link add in0 type dummy || fail "dummy device in $s"
		ns $s sysctl -qw net.ipv4.ip_forward=1
		ns $s sysctl -qw net.ipv6.conf.all.forwarding=1
	done
	ns left ip addr add 192.168.2.100/24 dev vl
	ns left ip addr add 3049:1::1/64 dev vl nodad
	ns left ip addr add 10.0.1.1/24 dev in0
	ns left ip addr add fd00:1::1/64 dev in0 nodad
	ns right ip addr add 192.168.2.110/24 dev vr
	ns right ip addr add 3049:1::2/64 dev vr nodad
	ns right ip addr add 10.0.2.1/24 dev in0
	ns right ip addr add fd00:2::1/64 dev in0 nodad
	for s in left right; do
		ns $s ip link set in0 up
	done
	ns left ip link set vl up
	ns right ip link set vr up
	if [ "${1:-}" = routes ]; then
		ns left ip route add 10.0.2.0/24 via 192.168.2.110 src 10.0.1.1
		ns left ip -6 route add fd00:2::/64 via 3049:1::2 src fd00:1::1
		ns right ip route add 10.0.1.0/24 via 192.168.2.100 src 10.0.2.1
		ns right ip -6 route add fd00:1::/64 via 3049:1::1 src fd00:2::1
	fi
	# the underlay must work before anything is layered on it
	ns left ping -c 1 -W 2 192.168.2.110 > /dev/null ||
		fail "underlay: left cannot ping 192.168.2.110"
	ns left ping -6 -c 1 -W 2 3049:1::2 > /dev/null ||
		fail "underlay: left cannot ping 3049:1::2"
}

# Capture on the right end of the veth.  cap_start NAME; cap_stop.
# The file is $T/NAME.pcap (classic pcap format).
cap_start() {
	_cap=$T/$1.pcap
	rm -f "$_cap"
	# (no shell function here: $! must be dumpcap itself; a background
	# job ignores SIGINT, so it is stopped with SIGTERM)
	nsenter --net=/run/netns/right dumpcap -q -P -i vr -w "$_cap" \
		> "$T/dumpcap.log" 2>&1 &
	_cappid=$!
	# dumpcap creates the file once it captures
	_i=0
	while [ ! -s "$_cap" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$_cap" ] || fail "dumpcap did not start: $(cat "$T/dumpcap.log")"
}

cap_stop() {
	sleep 0.5
	kill -TERM "$_cappid" 2>/dev/null
	wait "$_cappid" 2>/dev/null
}

# The SAs of contrib/seed.conf (keep in step with that file), one per line:
#   GROUP SRC DST PROTO SPI ENCKEY AUTHKEY   ("-" where there is none)
seed_sas() {
	cat <<'TABLE'
seed4 192.168.2.100 192.168.2.110 comp 0x000003d0 - -
seed4 192.168.2.100 192.168.2.110 esp 0x187a101b 0x0123456789abcdef0123456789abcdef 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
seed4 192.168.2.100 192.168.2.110 ah 0x187a101a - 0xfedcba9876543210fedcba9876543210fedcba98
seed6 3049:1::1 3049:1::2 comp 0x000003d0 - -
seed6 3049:1::1 3049:1::2 esp 0x187a101b 0x1123456789abcdef0123456789abcdef 0x10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
seed6 3049:1::1 3049:1::2 ah 0x187a101a - 0xeedcba9876543210fedcba9876543210fedcba98
seed4-reverse 192.168.2.110 192.168.2.100 comp 0x000003d1 - -
seed4-reverse 192.168.2.110 192.168.2.100 esp 0x187a101d 0x2123456789abcdef0123456789abcdef 0x20112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
seed4-reverse 192.168.2.110 192.168.2.100 ah 0x187a101c - 0xdedcba9876543210fedcba9876543210fedcba98
seed6-reverse 3049:1::2 3049:1::1 comp 0x000003d1 - -
seed6-reverse 3049:1::2 3049:1::1 esp 0x187a101d 0x3123456789abcdef0123456789abcdef 0x30112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
seed6-reverse 3049:1::2 3049:1::1 ah 0x187a101c - 0xcedcba9876543210fedcba9876543210fedcba98
TABLE
}

# The seed's groups: GROUP SENDER RECEIVER SRC-TS DST-TS OUTER-SRC OUTER-DST
seed_groups() {
	cat <<'TABLE'
seed4 left right 10.0.1.0/24 10.0.2.0/24 192.168.2.100 192.168.2.110
seed6 left right fd00:1::/64 fd00:2::/64 3049:1::1 3049:1::2
seed4-reverse right left 10.0.2.0/24 10.0.1.0/24 192.168.2.110 192.168.2.100
seed6-reverse right left fd00:2::/64 fd00:1::/64 3049:1::2 3049:1::1
TABLE
}

# The ESP SAs as tshark "esp_sa" UAT records: protocol, source,
# destination, SPI, encryption, key, authentication, key.
esp_uat_seed() {
	seed_sas | awk '$4 == "esp" {
		printf "\"%s\",\"%s\",\"%s\",\"%s\",\"AES-CBC [RFC3602]\",\"%s\",\"HMAC-SHA-256-128 [RFC4868]\",\"%s\"\n",
			($2 ~ /:/ ? "IPv6" : "IPv4"), $2, $3, $5, $6, $7 }'
}

# tshark_esp PCAP [tshark args...]: tshark with ESP decryption and ICV
# checking for the seed's keys.  The UAT is given as a file in a private
# configuration profile directory (WIRESHARK_CONFIG_DIR).
tshark_esp() {
	_pcap=$1
	shift
	_cfg=$T/wsconf
	mkdir -p "$_cfg"
	{
		echo '# This file is automatically generated, DO NOT MODIFY.'
		esp_uat_seed
	} > "$_cfg/esp_sa"
	WIRESHARK_CONFIG_DIR=$_cfg tshark -n -r "$_pcap" \
		-o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE "$@" 2> "$T/tshark.err"
}

# decode PCAP: one line per captured IP packet, '|'-separated:
#   1 frame  2 outer src  3 outer dst  4 inner src  5 inner dst
#   6 chain (tshark's frame.protocols without "eth:ethertype:" and ":data",
#     e.g. ip:ah:esp:ipcomp:ip:icmp)  7 AH SPI  8 ESP SPI
#   9 ESP next header (decimal)  10 ESP ICV good (1)  11 IPComp CPI
#   12 IPComp next header (decimal)
# tshark decrypts ESP, checks its ICV and inflates IPComp itself.
# Note: a capture on the receiving veth also shows every packet XFRM
# decapsulated there, as if received again in the clear (chain "ip:icmp").
decode() {
	tshark_esp "$1" -Y 'ip or ipv6' -T fields -E separator='|' \
		-E occurrence=a -E aggregator=',' \
		-e frame.number -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst \
		-e frame.protocols -e ah.spi -e esp.spi -e esp.protocol \
		-e esp.icv_good -e ipcomp.cpi -e ipcomp.next_header |
		awk -F'|' -v OFS='|' '
		function hex(s,  n, i) {
			if (s == "") return ""
			s = tolower(s); sub(/^0x/, "", s); n = 0
			for (i = 1; i <= length(s); i++)
				n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return n
		}
		{
			src = $2 $4; dst = $3 $5
			ns = split(src, s, ","); nd = split(dst, d, ",")
			chain = $6; sub(/^eth:ethertype:/, "", chain)
			gsub(/:data/, "", chain)
			print $1, s[1], d[1], s[ns], d[nd], chain, $7, $8, hex($9), $10, $11, hex($12)
		}'
}

# wire_check DECODED MINPKTS [noicv]: every packet between the outer
# addresses is AH -> ESP (ICV good by tshark unless "noicv": tshark 4.0
# cannot check ESN ICVs, esp_icv_check does; next header IPComp) -> IPComp (CPI 0x3d0 one way,
# 0x3d1 the other) -> IP carrying ICMP; each ESP SPI pairs with the right
# AH SPI and CPI; each clear-text inner packet on the veth is a decapsulated
# copy of a protected one received by "right" (none leaked).
wire_check() {
	awk -F'|' -v min="$2" -v icv="${3:-icv}" '
	function bad(why) { print "frame " $1 ": " why ": " $0; err = 1; exit 1 }
	$2 != $4 {	# encapsulated: outer and inner addresses differ
		n++
		if ($6 !~ /^ip(v6)?:ah:esp:ipcomp:ip(v6)?:icmp(v6)?$/)
			bad("not AH -> ESP -> IPComp -> IP -> ICMP")
		if (icv == "icv" && $10 != 1) bad("ESP ICV not good")
		if ($9 != 108) bad("ESP next header " $9 " is not IPComp (108)")
		v6 = ($2 ~ /:/)
		if ($12 != (v6 ? 41 : 4)) bad("IPComp next header " $12)
		if ($8 == "0x187a101b" && ($7 != "0x187a101a" || $11 != "0x03d0"))
			bad("ESP 0x187a101b not under AH 0x187a101a with CPI 0x3d0")
		else if ($8 == "0x187a101d" && ($7 != "0x187a101c" || $11 != "0x03d1"))
			bad("ESP 0x187a101d not under AH 0x187a101c with CPI 0x3d1")
		else if ($8 != "0x187a101b" && $8 != "0x187a101d")
			bad("unexpected ESP SPI " $8)
		seen[$8 (v6 ? "/6" : "/4")] = 1
		if ($3 == "192.168.2.110" || $3 == "3049:1::2") toright++
		next
	}
	$4 ~ /^(10\.0\.|fd00:)/ { plain++ }
	END {
		if (err) exit 1
		if (n < min) { print "only " n " protected packets, expected " min; exit 1 }
		split("0x187a101b/4 0x187a101d/4 0x187a101b/6 0x187a101d/6", w, " ")
		for (i = 1; i <= 4; i++)
			if (!(w[i] in seen)) { print "no packet with ESP " w[i]; exit 1 }
		if (plain != toright) {
			print plain " clear-text inner packets but " toright " protected ones received by right"
			exit 1
		}
	}' "$1"
}

# small_check DECODED [noicv]: default-size pings (below deflate's 90-byte
# threshold) leave uncompressed: AH -> ESP (next header 4 = IPIP for IPv4,
# 41 for IPv6) -> IP, no IPComp header, in both families.
small_check() {
	awk -F'|' -v icv="${2:-icv}" '
	function bad(why) { print "frame " $1 ": " why ": " $0; err = 1; exit 1 }
	$2 != $4 {
		v6 = ($2 ~ /:/)
		if ($6 !~ /^ip(v6)?:ah:esp:ip(v6)?:icmp(v6)?$/)
			bad("not AH -> ESP -> IP -> ICMP")
		if ($9 != (v6 ? 41 : 4)) bad("ESP next header " $9 ", expected " (v6 ? 41 : 4))
		if (icv == "icv" && $10 != 1) bad("ESP ICV not good")
		seen[v6]++
	}
	END {
		if (err) exit 1
		if (!seen[0]) { print "no IPv4 packet seen"; exit 1 }
		if (!seen[1]) { print "no IPv6 packet seen"; exit 1 }
	}' "$1"
}

# big_pings: ping -s 1000 -p 00 (compressible: deflate applies) both ways,
# IPv4 and IPv6, between the inner addresses; fails the case on no reply.
big_pings() {
	ns left ping -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 ||
		fail "no reply to ping -s 1000 10.0.1.1 -> 10.0.2.1"
	ns right ping -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I 10.0.2.1 10.0.1.1 ||
		fail "no reply to ping -s 1000 10.0.2.1 -> 10.0.1.1"
	ns left ping -6 -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 ||
		fail "no reply to ping -s 1000 fd00:1::1 -> fd00:2::1"
	ns right ping -6 -c 2 -i 0.3 -W 3 -s 1000 -p 00 -I fd00:2::1 fd00:1::1 ||
		fail "no reply to ping -s 1000 fd00:2::1 -> fd00:1::1"
}

# ---- the daemon ----

# The view of contrib/seed.conf, as every end shows it (all four groups are
# installed on both ends: two outbound, two inbound), byte for byte.
seed_view() {
	printf '%s \n' \
		'tun.3d0@192.168.2.110 comp.3d0@192.168.2.110 esp.187a101b@192.168.2.110 ah.187a101a@192.168.2.110' \
		'tun:3d0@3049:1::2 comp:3d0@3049:1::2 esp:187a101b@3049:1::2 ah:187a101a@3049:1::2' \
		'tun.3d1@192.168.2.100 comp.3d1@192.168.2.100 esp.187a101d@192.168.2.100 ah.187a101c@192.168.2.100' \
		'tun:3d1@3049:1::1 comp:3d1@3049:1::1 esp:187a101d@3049:1::1 ah:187a101c@3049:1::1'
}

# Per side: D_side=/run/umlt.SIDE holds the view mount, control socket and
# state directory; $T/SIDE.conf the config; $T/SIDE.log the daemon's stderr.
side_dir() {
	echo "/run/umlt.$1"
}

# mkconf SIDE [FROM]: FROM (default contrib/seed.conf) with this side's
# mount, control and state-dir inserted after [daemon], mode 0600.
mkconf() {
	_d=$(side_dir "$1")
	mkdir -p "$_d/state"
	awk -v d="$_d" '
		{ print }
		/^\[daemon\][ \t]*$/ && !done {
			print "mount = " d "/net"
			print "control = " d "/ctl"
			print "state-dir = " d "/state"
			done = 1
		}' "${2:-$SRC/contrib/seed.conf}" > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
}

# daemon_start SIDE [CONF]: spigrpd -f in SIDE's network namespace (nsenter:
# not `ip netns exec`, whose private mount namespace would hide the view).
daemon_start() {
	[ -x "$SPIGRPD" ] || fail "spigrpd not functional: $SPIGRPD not built"
	_conf=${2:-$T/$1.conf}
	[ -f "$_conf" ] || mkconf "$1"
	nsenter --net="/run/netns/$1" "$SPIGRPD" -f -c "$_conf" >> "$T/$1.log" 2>&1 &
	echo $! > "$T/$1.pid"
}

daemon_pid() {
	cat "$T/$1.pid" 2>/dev/null
}

view_of() {
	echo "$(side_dir "$1")/net/ipsec_spigrp"
}

# daemon_wait SIDE NLINES [SECONDS]: until the view has NLINES lines; fails
# the case, saying spigrpd is not functional, when the daemon died or the
# view did not get there.
daemon_wait() {
	_v=$(view_of "$1")
	_n=0
	_max=$(( ${3:-20} * 10 ))
	while :; do
		_pid=$(daemon_pid "$1")
		if [ -z "$_pid" ] || ! kill -0 "$_pid" 2>/dev/null; then
			info "$1 daemon log:"; cat "$T/$1.log"
			fail "spigrpd not functional: the $1 daemon exited: $(tail -n 1 "$T/$1.log")"
		fi
		if [ -r "$_v" ] && [ "$(cat "$_v" 2>/dev/null | wc -l)" -eq "$2" ]; then
			return 0
		fi
		_n=$((_n + 1))
		if [ $_n -ge "$_max" ]; then
			info "$1 daemon log:"; cat "$T/$1.log"
			info "$1 view: $(cat "$_v" 2>&1 | head -c 600)"
			fail "spigrpd not functional: $1 view did not reach $2 lines in ${3:-20}s"
		fi
		sleep 0.1
	done
}

# daemon_up SIDE...: config, start and wait for the seed's 4 groups.
daemons_up() {
	for _s in "$@"; do
		mkconf "$_s"
		daemon_start "$_s"
	done
	for _s in "$@"; do
		daemon_wait "$_s" 4
	done
}

# daemon_stop SIDE [SIGNAL]: signal (TERM) and wait up to 15 s for the exit.
# Returns the daemon's exit status (or 124 when it did not exit).
daemon_stop() {
	_pid=$(daemon_pid "$1")
	[ -n "$_pid" ] || return 0
	kill -"${2:-TERM}" "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 150 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	rm -f "$T/$1.pid"
	if kill -0 "$_pid" 2>/dev/null; then
		kill -KILL "$_pid" 2>/dev/null
		return 124
	fi
	wait "$_pid" 2>/dev/null
}

# ---- the kernel's objects, as `ip -s xfrm` text (iproute2 6.1: no JSON) ----

# xstates SIDE: one line per state: its block's lines joined with " ; ",
# leading and trailing white space removed.  xpolicies SIDE: the same for policies.
xstates() {
	ns "$1" ip -s xfrm state | awk '
		/^src / { if (r != "") print r; r = $0; next }
		{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, ""); r = r " ; " $0 }
		END { if (r != "") print r }'
}
xpolicies() {
	ns "$1" ip -s xfrm policy | awk '
		/^src / { if (r != "") print r; r = $0; next }
		{ sub(/^[ \t]+/, ""); sub(/[ \t]+$/, ""); r = r " ; " $0 }
		END { if (r != "") print r }'
}

# Our objects: reqid in the band 0x534xxxxx.
ours() {
	grep -E 'reqid [0-9]+\(0x534[0-9a-f]{5}\)'
}

# esp_icv_check PCAP esn|plain: recompute the HMAC-SHA-256-128 ICV of every
# ESP packet in PCAP (classic pcap, Ethernet) with the seed's keys; with
# "esn" the ICV covers the high 32 bits of the sequence number (RFC 4303
# §2.2.1, zero here) and the check also proves the plain computation does
# NOT match.  tshark 4.0 has no ESN support, hence this.
esp_icv_check() {
	seed_sas | "$PY" -c '
import sys, struct, hmac, hashlib, ipaddress
pcap, mode = sys.argv[1], sys.argv[2]
keys = {}
for line in sys.stdin:
    g, src, dst, proto, spi, enc, auth = line.split()
    if proto == "esp":
        keys[(str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)),
              int(spi, 16))] = bytes.fromhex(auth[2:])
data = open(pcap, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
if magic not in (0xa1b2c3d4, 0xa1b23c4d):
    print("not a little-endian classic pcap"); sys.exit(1)
off, n, good, bad = 24, 0, 0, []
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    n += 1
    et = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if et == 0x0800:
        hl = (ip[0] & 15) * 4
        end = struct.unpack(">H", ip[2:4])[0]
        src, dst, nh, p = ip[12:16], ip[16:20], ip[9], hl
    elif et == 0x86dd:
        end = 40 + struct.unpack(">H", ip[4:6])[0]
        src, dst, nh, p = ip[8:24], ip[24:40], ip[6], 40
    else:
        continue
    ip = ip[:end]
    if nh == 51:                       # AH: skip to its payload
        nh, p = ip[p], p + (ip[p + 1] + 2) * 4
    if nh != 50:
        continue
    esp = ip[p:]
    spi = struct.unpack(">I", esp[:4])[0]
    k = (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), spi)
    if k not in keys:
        bad.append("frame %d: no key for %s" % (n, k)); continue
    body, icv = esp[:-16], esp[-16:]
    plain = hmac.new(keys[k], body, hashlib.sha256).digest()[:16]
    esn = hmac.new(keys[k], body + bytes(4), hashlib.sha256).digest()[:16]
    if mode == "esn" and icv == esn and icv != plain or mode == "plain" and icv == plain:
        good += 1
    else:
        bad.append("frame %d (SPI 0x%08x): ICV %s, expected (%s) %s" % (n, spi,
                   icv.hex(), mode, (esn if mode == "esn" else plain).hex()))
for b in bad[:3]:
    print(b)
print("%d ESP packets, %d with a good %s ICV" % (good + len(bad), good, mode))
sys.exit(0 if good and not bad else 1)
' "$1" "$2"
}

# seed_key_changed FILE: contrib/seed.conf with seed4's ESP encryption key
# (esp.187a101b@192.168.2.110) changed, written to FILE.
seed_key_changed() {
	awk '
		/^\[sa / { sa = $2 }
		sa == "esp.187a101b@192.168.2.110]" && $1 == "enckey" {
			$0 = "enckey = 0x5555555555555555aaaaaaaaaaaaaaaa"; changed = 1
		}
		{ print }
		END { if (!changed) exit 1 }' "$SRC/contrib/seed.conf" > "$1" ||
		fail "could not change the key (seed.conf changed?)"
}

# ---- interop helpers (the userspace datapath against the kernel) ----

# kstate SIDE SRC DST PROTO SPI: "PACKETS FAILED REPLAY" of that XFRM state
# (its lifetime's packet count and its integrity and replay drop counters).
kstate() {
	xstates "$1" | grep -F "src $2 dst $3 ; proto $4 spi $5(" | head -n 1 |
		sed -n 's/.*; \([0-9]*\)(bytes), \([0-9]*\)(packets).*replay-window [0-9]* replay \([0-9]*\) failed \([0-9]*\).*/\2 \4 \3/p'
}

# xfrm_errors SIDE: the non-zero error counters of /proc/net/xfrm_stat, one
# "NAME VALUE" a line (none: nothing printed).
xfrm_errors() {
	ns "$1" awk '$2 != 0 { print $1, $2 }' /proc/net/xfrm_stat
}

# conf_with SIDE DATAPATH FILE...: $T/SIDE.conf from a [daemon] section
# (this side's paths, datapath = DATAPATH) and the [sa]/[group] sections
# of the FILEs (their [daemon] sections dropped), mode 0600.
conf_with() {
	_side=$1 _dp=$2
	shift 2
	_d=$(side_dir "$_side")
	mkdir -p "$_d/state"
	{
		printf '[daemon]\nmount = %s/net\ncontrol = %s/ctl\nstate-dir = %s/state\ndatapath = %s\n\n' \
			"$_d" "$_d" "$_d" "$_dp"
		awk '/^\[/ { skip = ($0 ~ /^\[daemon\]/) } !skip' "$@"
	} > "$T/$_side.conf"
	chmod 600 "$T/$_side.conf"
}

# status_json SIDE FILE: spigrp --status --json of SIDE's daemon into FILE.
status_json() {
	"$SPIGRP" --control "$(side_dir "$1")/ctl" --status --json > "$2" ||
		fail "spigrp --status --json failed on $1"
}

# dp_sa FILE SAID KEY: one counter of one SA in a --status --json answer
# (packets, bytes, a drop reason, or "drops": their sum); -1 when missing.
dp_sa() {
	"$PY" "$SRC/tests/tools/status-sa.py" "$@"
}

# iperf_server SIDE: an iperf3 server in SIDE (all addresses), up when this
# returns; its pid in $T/iperf-SIDE.pid.
iperf_server() {
	ns "$1" iperf3 -s > "$T/iperf-$1.log" 2>&1 &
	echo $! > "$T/iperf-$1.pid"
	_i=0
	until ns "$1" ss -ltn 2>/dev/null | grep -q ':5201 '; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "iperf3 server in $1 did not start: $(cat "$T/iperf-$1.log")"
		sleep 0.1
	done
}

# iperf SIDE FROM TO NAME [iperf3 args]: an iperf3 TCP client in SIDE bound
# to FROM, to the server at TO; JSON in $T/NAME.json; prints "BYTES
# RECEIVED" on success, fails the case otherwise.
iperf() {
	_s=$1 _from=$2 _to=$3 _n=$4
	shift 4
	ns "$_s" iperf3 -J -B "$_from" -c "$_to" "$@" > "$T/$_n.json" 2> "$T/$_n.err" ||
		fail "iperf3 $_from -> $_to $*: $(head -c 300 "$T/$_n.err") $("$PY" -c 'import json,sys
print(json.load(open(sys.argv[1])).get("error", ""))' "$T/$_n.json" 2>/dev/null)"
	"$PY" -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(int(e["sum_received"]["bytes"]))' "$T/$_n.json"
}

# esp_batch N DST: `ip -batch` lines adding N ESP transport states
# 192.0.2.1 -> DST, reqid 0 (foreign to spigrpd), SPIs 0x30000 upwards,
# test keys.
esp_batch() {
	awk -v n="$1" -v d="$2" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "xfrm state add src 192.0.2.1 dst %s proto esp spi 0x%x reqid 0 mode transport enc cbc(aes) 0x000102030405060708090a0b0c0d0e0f auth-trunc hmac(sha256) 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 128\n",
				d, 196608 + i
	}'
}
