#!/bin/sh
# Interop with the Linux kernel, one `esp` tunnel group per algorithm of
# the table (tests/tools/alg-conf.sh: AES-CBC with each HMAC, AES-GCM 128
# and 256, ChaCha20-Poly1305, 3DES, NULL with auth, encryption-only, and
# the legacy HMAC-MD5-96 (with 3DES and AES) and single DES; ESN on and
# off): left places them in the kernel, right in its userspace
# datapath.  A ping each way per group (the request through algN, the
# reply through algN-reverse); the kernel's states count the packets with
# no replay or integrity failure and /proc/net/xfrm_stat has no error; the
# capture verifies with esp-verify.py (every SA) and esp-tshark.py (the
# ICVs of the groups without ESN, except ChaCha20, which tshark 4.0 lacks);
# the userspace side counts the packets and no drop.
. "$UMLT_SRC/tests/uml/lib.sh"

TOOLS=$SRC/tests/tools
RIGHT_DP=userspace

topo_up
for s in left right; do
	for a in $(sh "$TOOLS/alg-conf.sh" addrs $s); do
		ns $s ip addr add "$a" dev in0
	done
done
sh "$TOOLS/alg-conf.sh" conf > "$T/alg.conf"
ngroups=$(grep -c '^\[group ' "$T/alg.conf")
conf_with left kernel "$T/alg.conf"
conf_with right "$RIGHT_DP" "$T/alg.conf"
daemon_start left
daemon_start right
daemon_wait left "$ngroups"
daemon_wait right "$ngroups"

step "a ping each way through every group"
cap_start algs
sh "$TOOLS/alg-conf.sh" list > "$T/algs"
while read -r n enc auth esn; do
	ns left ping -c 2 -i 0.2 -W 2 -s 300 -I "10.1.$n.1" "10.2.$n.1" > "$T/ping.out" 2>&1 ||
		{ cat "$T/ping.out"; fail "alg$n ($enc $auth esn $esn): no reply from left to right"; }
	ns right ping -c 1 -W 2 -s 300 -I "10.2.$n.1" "10.1.$n.1" > "$T/ping.out" 2>&1 ||
		{ cat "$T/ping.out"; fail "alg$n ($enc $auth esn $esn): no reply from right to left"; }
done < "$T/algs"
cap_stop

step "the kernel's states: 3 packets each way per group, no replay or integrity failure"
while read -r n enc auth esn; do
	for dir in "192.168.2.100 192.168.2.110 $((0x2000 + n))" "192.168.2.110 192.168.2.100 $((0x3000 + n))"; do
		set -- $dir
		spi=$(printf '0x%08x' "$3")
		# the inbound state is on the destination's side
		[ "$2" = 192.168.2.100 ] && side=left || side=right
		[ "$side" = left ] || [ "$RIGHT_DP" = kernel ] || continue
		set -- $(kstate "$side" "$1" "$2" esp "$spi")
		info "alg$n ($enc $auth esn $esn) $side esp $spi: packets ${1:-?} failed ${2:-?} replay ${3:-?}"
		[ "${1:-0}" -ge 3 ] && [ "${2:-1}" = 0 ] && [ "${3:-1}" = 0 ] ||
			fail "alg$n ($enc $auth): the kernel's inbound state $spi: packets ${1:-?}, failed ${2:-?}, replay ${3:-?}"
	done
done < "$T/algs"
errs=$(xfrm_errors left)
[ -z "$errs" ] || fail "left's /proc/net/xfrm_stat: $(echo "$errs" | tr '\n' ' ')"

step "the capture, verified"
"$PY" "$TOOLS/esp-verify.py" --json "$T/v.json" --quiet "$T/alg.conf" "$T/algs.pcap" ||
	fail "esp-verify.py: $(grep -m 1 FAIL "$T/v.json" 2>/dev/null || echo failures)"
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
got = {s["said"]: s for s in r["sas"]}
bad = []
for line in open(sys.argv[2]):
    n = int(line.split()[0])
    for said in ("esp.%x@192.168.2.110" % (0x2000 + n), "esp.%x@192.168.2.100" % (0x3000 + n)):
        s = got.get(said)
        if not s or s["verified"] < 3 or s["failed"]:
            bad.append("%s: %s" % (said, s))
        else:
            print("%s verified %d, inner %s" % (said, s["verified"], s.get("inner")))
if bad:
    print("not verified: " + "; ".join(bad)); sys.exit(1)' "$T/v.json" "$T/algs" ||
	fail "esp-verify.py did not verify every group"
"$PY" "$TOOLS/esp-tshark.py" --json "$T/t.json" "$T/alg.conf" "$T/algs.pcap" > "$T/t.out" ||
	{ cat "$T/t.out"; fail "esp-tshark.py rejects the capture"; }
cat "$T/t.out"
# every group without ESN, with an ICV, and with an algorithm tshark knows:
# ICVs good
"$PY" -c 'import json, sys
r = {s["said"]: s for s in json.load(open(sys.argv[1]))["sas"]}
for line in open(sys.argv[2]):
    n, enc, auth, esn = line.split()
    if esn == "no" and (auth != "-" or "gcm" in enc):
        for said in ("esp.%x@192.168.2.110" % (0x2000 + int(n)),
                     "esp.%x@192.168.2.100" % (0x3000 + int(n))):
            assert r[said]["icv_good"] >= 3, (said, r[said])' "$T/t.json" "$T/algs" ||
	fail "tshark did not check the ICVs of the groups without ESN"

if [ "$RIGHT_DP" = userspace ]; then
	step "the userspace side's counters"
	status_json right "$T/st.json"
	while read -r n enc auth esn; do
		said=$(printf 'esp.%x@192.168.2.110' $((0x2000 + n)))
		p=$(dp_sa "$T/st.json" "$said" packets)
		d=$(dp_sa "$T/st.json" "$said" drops)
		info "alg$n $said: packets $p, drops $d"
		[ "$p" -ge 3 ] && [ "$d" = 0 ] ||
			fail "alg$n ($enc $auth): userspace inbound $said: packets $p, drops $d"
	done < "$T/algs"
fi
exit 0
