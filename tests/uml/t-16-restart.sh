#!/bin/sh
# Restart of the userspace side in the middle of a transfer: left places
# the seed's groups in the kernel, right in userspace.  An iperf3 TCP
# transfer from right to left (so right's datapath sends, with its
# persisted sequence numbers) is under way when right's spigrpd is killed
# with SIGKILL and started again.  Then:
#  - the transfer resumes (bytes arrive in the intervals after the restart)
#    and iperf3 ends without an error;
#  - the kernel's inbound states at left count no replay and no integrity
#    failure (a sequence number sent twice would be a replay; a reused
#    AEAD nonce or key stream could not be seen by the kernel, hence:)
#  - in the capture no (SPI, sequence number) pair and no ESP IV appears
#    twice (esp-verify.py checks every packet; ICVs of the first 200 per SA
#    and every 25th after), for the seed's AES-CBC groups and for an
#    AES-256-GCM group (pinged through during the restart), whose nonces
#    are the sequence numbers XOR a per-SA salt.
. "$UMLT_SRC/tests/uml/lib.sh"

TOOLS=$SRC/tests/tools

topo_up
# the seed plus alg-conf.sh's AES-256-GCM groups (alg6, ESN): AEAD nonces
# are the sequence numbers XOR a per-SA salt, so a repeat would show
ns left ip addr add 10.1.6.1/24 dev in0
ns right ip addr add 10.2.6.1/24 dev in0
sh "$TOOLS/alg-conf.sh" conf | awk '
	/^\[/ { keep = ($0 ~ /^\[(sa esp\.[23]006@|group alg6(-reverse)?\])/) }
	keep' > "$T/gcm.conf"
[ "$(grep -c '^\[' "$T/gcm.conf")" = 4 ] || fail "cannot take alg6 out of alg-conf.sh"
cat "$SRC/contrib/seed.conf" "$T/gcm.conf" > "$T/both.conf"
conf_with left kernel "$T/both.conf"
conf_with right userspace "$T/both.conf"
daemon_start left
daemon_start right
daemon_wait left 6
daemon_wait right 6
iperf_server left
ns right ping -c 1 -W 3 -I 10.0.2.1 10.0.1.1 > /dev/null || fail "no traffic through seed4-reverse before the restart"
ns right ping -c 1 -W 3 -I 10.2.6.1 10.1.6.1 > /dev/null || fail "no traffic through alg6-reverse before the restart"

step "iperf3 right -> left (10 s, 10 Mbit/s), right's spigrpd killed (SIGKILL) after 2 s and restarted"
cap_start restart
ns right iperf3 -J -B 10.0.2.1 -c 10.0.1.1 -t 10 -b 10M -i 1 > "$T/ip.json" 2> "$T/ip.err" &
ipid=$!
ns right ping -q -i 0.05 -w 9 -I 10.2.6.1 10.1.6.1 > "$T/gcm-ping.out" 2>&1 &
ppid=$!
sleep 2
set -- $(kstate left 192.168.2.110 192.168.2.100 esp 0x187a101d)
info "left's inbound esp 0x187a101d before the kill: packets ${1:-?}"
kill -KILL "$(daemon_pid right)"
t0=$(date +%s.%N)
wait "$(daemon_pid right)" 2>/dev/null
rm -f "$T/right.pid"
daemon_start right
daemon_wait right 6
info "right restarted in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f s", b - a }')"
wait "$ipid"
rc=$?
wait "$ppid"
cap_stop
info "pings through alg6 (AES-256-GCM) during the restart: $(grep -m 1 transmitted "$T/gcm-ping.out")"
[ "$rc" = 0 ] || fail "iperf3 ended with status $rc: $(head -c 300 "$T/ip.err") $(grep -m 1 '"error"' "$T/ip.json")"
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
iv = [int(i["sum"]["bytes"]) for i in r["intervals"]]
print("bytes per second:", iv)
# killed after 2 s; TCP backs off while the datapath is away: the last
# two seconds must carry data again
sys.exit(0 if len(iv) >= 8 and all(b > 0 for b in iv[-2:]) else 1)' "$T/ip.json" ||
	fail "the transfer did not resume after the restart"

step "the capture: no (SPI, sequence number) and no IV twice"
"$PY" "$TOOLS/esp-verify.py" --crypto-max 200 --crypto-sample 25 --min 300 --json "$T/v.json" \
	"$T/right.conf" "$T/restart.pcap" > "$T/v.out" ||
	{ cat "$T/v.out"; fail "esp-verify.py: $(grep -m 1 FAIL "$T/v.out")"; }
cat "$T/v.out"
"$PY" -c 'import json, sys
s = {x["said"]: x for x in json.load(open(sys.argv[1]))["sas"]}
for said, least in (("esp.187a101d@192.168.2.100", 1000), ("esp.3006@192.168.2.100", 100)):
    e = s[said]
    assert e["distinct_seq"] >= least and e["repeats"] == 0 and e["failed"] == 0, e
    print("%s: %d sequence numbers (%d..%d), %d IVs, all distinct; %d verified" % (
        said, e["distinct_seq"], e["seq_first"], e["seq_last"], e["distinct_iv"], e["verified"]))' "$T/v.json" ||
	fail "the capture does not show the restart's packets as expected"
step "the kernel (left): no replay, no integrity failure"
for sa in "esp 0x187a101d" "ah 0x187a101c" "esp 0x00003006"; do
	set -- $sa
	set -- $(kstate left 192.168.2.110 192.168.2.100 "$1" "$2") "$1" "$2"
	info "left's $4 $5: packets ${1:-?} failed ${2:-?} replay ${3:-?}"
	if ! [ "${1:-0}" -ge 100 ] || ! [ "${2:-1}" = 0 ] || ! [ "${3:-1}" = 0 ]; then
		# find the packets the kernel refused: every ICV of the capture
		"$PY" "$TOOLS/esp-verify.py" --quiet "$T/right.conf" "$T/restart.pcap" | tail -n 12
		fail "left's inbound $4 $5 after the restart: packets ${1:-?}, failed ${2:-?}, replay ${3:-?}"
	fi
done
errs=$(xfrm_errors left)
[ -z "$errs" ] || fail "left's /proc/net/xfrm_stat: $(echo "$errs" | tr '\n' ' ')"

exit 0
