#!/bin/sh
# Records the netlink byte fixtures of tests/data/kderive/ (see its README):
# SAD and SPD dumps of foreign objects made by hand the way charon and
# libreswan make them, for the derivation rules of the KLIPS view
# (src/kern/kderive.h), and an event stream for the mirror (mirror.h).
# Not a test case (prefix rec-): run by tests/tools/record-xfrm.sh kderive,
# which copies $UMLT_OUT/kderive/*.bin to the tree.  Every namespace here is
# new and thrown away.  Keys are counting patterns, used nowhere else.
. "$UMLT_SRC/tests/uml/lib.sh"

O=$UMLT_OUT/kderive
mkdir -p "$O"
rm -f "$O"/*.bin
REC="$PY $SRC/tests/tools/xfrmrec.py"
. "$UMLT_SRC/tests/uml/xfrmrec-lib.sh"

K1=0x000102030405060708090a0b0c0d0e0f
K2=0x101112131415161718191a1b1c1d1e1f
A1=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
G1=0x404142434445464748494a4b4c4d4e4f50515253

# esp NS SRC DST SPI REQID MODE [more]: an ESP state (AES-CBC, HMAC-SHA-256).
esp() {
	_n=$1 _s=$2 _d=$3 _spi=$4 _r=$5 _m=$6
	shift 6
	run_in "$_n" ip xfrm state add src "$_s" dst "$_d" proto esp spi "$_spi" reqid "$_r" \
		mode "$_m" replay-window 32 enc 'cbc(aes)' $K1 \
		auth-trunc 'hmac(sha256)' $A1 128 "$@"
}
# comp NS SRC DST CPI REQID MODE
comp() {
	run_in "$1" ip xfrm state add src "$2" dst "$3" proto comp spi "$4" reqid "$5" \
		mode "$6" comp deflate
}

step "kernel $(uname -r)"
uname -r > "$O/KERNEL"

# ---- charon-style tunnel child with IPComp, two selector pairs, a rekey ----
step "rekey: comp+esp tunnel child, rekeyed once; two selector pairs out"
newns rk
L=198.51.100.5 R=198.51.100.9
comp rk $L $R 0x4001 5 tunnel
esp rk $L $R 0xc0000001 5 transport
comp rk $R $L 0x4101 5 tunnel
esp rk $R $L 0xc1000001 5 transport
# out_policy VERB DST CPI SPI: the out policy of selector pair DST, its
# templates' SPIs pinned as charon pins them
out_policy() {
	run_in rk ip xfrm policy "$1" src 10.20.1.0/24 dst "$2" dir out priority 375000 \
		tmpl src $L dst $R proto comp spi "$3" reqid 5 mode tunnel \
		tmpl proto esp spi "$4" reqid 5 mode transport
}
for dst in 10.20.2.0/24 10.20.3.0/24; do
	out_policy add $dst 0x4001 0xc0000001
	for d in in fwd; do
		run_in rk ip xfrm policy add src $dst dst 10.20.1.0/24 dir $d priority 375000 \
			tmpl src $R dst $L proto comp reqid 5 mode tunnel level use \
			tmpl proto esp reqid 5 mode transport
	done
done
run_in rk $REC dump sa "$O/rekey-before-sa.bin"
run_in rk $REC dump policy "$O/rekey-before-policy.bin"
sleep 2 # the new set's add time differs from the old one's
comp rk $L $R 0x4002 5 tunnel
esp rk $L $R 0xc0000002 5 transport
comp rk $R $L 0x4102 5 tunnel
esp rk $R $L 0xc1000002 5 transport
for dst in 10.20.2.0/24 10.20.3.0/24; do
	out_policy update $dst 0x4002 0xc0000002
done
run_in rk $REC dump sa "$O/rekey-sa.bin"
run_in rk $REC dump policy "$O/rekey-policy.bin"

# ---- transport mode host to host, NAT-T, wildcard templates ----
step "transport: host-to-host ESP in UDP, wildcard templates; a libreswan-priority policy"
newns tp
H1=192.0.2.21 H2=192.0.2.22
esp tp $H1 $H2 0xc2000001 6 transport encap espinudp 4500 4500 0.0.0.0
esp tp $H2 $H1 0xc2000002 6 transport encap espinudp 4500 4500 0.0.0.0
run_in tp ip xfrm policy add src $H1/32 dst $H2/32 dir out priority 1042407 \
	tmpl proto esp reqid 6 mode transport
run_in tp ip xfrm policy add src $H2/32 dst $H1/32 dir in priority 1042407 \
	tmpl proto esp reqid 6 mode transport
# a state no policy uses (manual keying), and one of ours (reqid band) alone
esp tp 192.0.2.31 192.0.2.32 0xd0000001 0 tunnel
esp tp 192.0.2.41 192.0.2.42 0x187a5001 0x53400011 transport
# a larval ALLOCSPI state (no algorithm yet)
run_in tp ip xfrm state allocspi src $H1 dst 192.0.2.23 proto esp reqid 7 mode transport \
	min 0xc3000000 max 0xc3ffffff
# a trap: an out policy whose template has no state, and the ACQUIRE it
# causes (the larval acquire state then shows in the dump: SPI 0)
run_in tp ip link add d0 type dummy
run_in tp ip addr add 192.0.2.21/24 dev d0
run_in tp ip link set d0 up
run_in tp ip xfrm policy add src 192.0.2.21/32 dst 192.0.2.99/32 dir out priority 2000 \
	tmpl src 192.0.2.21 dst 192.0.2.99 proto esp reqid 8 mode tunnel
listen_start tp acquire.bin 1 10 acquire
ns tp ping -c 1 -W 1 192.0.2.99 > /dev/null 2>&1
listen_wait
# a template-less block in our priority band, not recorded as ours
run_in tp ip xfrm policy add src 10.30.0.0/16 dst 10.31.0.0/16 dir out priority 1500000 \
	action block
run_in tp $REC dump sa "$O/transport-sa.bin"
run_in tp $REC dump policy "$O/transport-policy.bin"
run_in tp $REC getae "$O/newae.bin" 192.0.2.22 c2000001 50

# ---- events for the mirror: start dump, events, final dump ----
step "events: add, update, replace, delete, expire, with dumps around them"
newns evm
esp evm 192.0.2.51 192.0.2.52 0xc4000001 9 tunnel
run_in evm ip xfrm policy add src 10.40.1.0/24 dst 10.40.2.0/24 dir out priority 300000 \
	tmpl src 192.0.2.51 dst 192.0.2.52 proto esp reqid 9 mode tunnel
run_in evm $REC dump sa "$O/events-start-sa.bin"
run_in evm $REC dump policy "$O/events-start-policy.bin"
listen_start evm events.bin 0 3 expire sa policy
esp evm 192.0.2.51 192.0.2.52 0xc4000002 9 tunnel
run_in evm ip xfrm state update src 192.0.2.51 dst 192.0.2.52 proto esp spi 0xc4000002 \
	reqid 9 mode tunnel replay-window 32 enc 'cbc(aes)' $K2 \
	auth-trunc 'hmac(sha256)' $A1 128
run_in evm ip xfrm policy update src 10.40.1.0/24 dst 10.40.2.0/24 dir out priority 300001 \
	tmpl src 192.0.2.51 dst 192.0.2.52 proto esp reqid 9 mode tunnel
run_in evm ip xfrm state delete src 192.0.2.51 dst 192.0.2.52 proto esp spi 0xc4000001
run_in evm ip xfrm policy add src 10.40.3.0/24 dst 10.40.4.0/24 dir in priority 300000 \
	tmpl src 192.0.2.52 dst 192.0.2.51 proto esp reqid 10 mode tunnel
esp evm 192.0.2.52 192.0.2.51 0xc4000003 10 tunnel limit time-hard 1
sleep 2 # its hard expiry (EXPIRE, no DELSA)
listen_wait
run_in evm $REC dump sa "$O/events-end-sa.bin"
run_in evm $REC dump policy "$O/events-end-policy.bin"

step "what was recorded"
$REC show "$O"/*.bin
exit 0
