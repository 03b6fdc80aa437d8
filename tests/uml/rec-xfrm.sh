#!/bin/sh
# Records the netlink byte fixtures of tests/data/xfrm/ (see its README):
# what the UML kernel sends on a NETLINK_XFRM socket, for dumps of spigrpd's
# objects and of objects made by hand the way libreswan and charon make
# them, and for events.  Not a test case (prefix rec-, not t-): run by
# tests/tools/record-xfrm.sh, which copies $UMLT_OUT/xfrm/*.bin to the tree.
# Every namespace here is new and thrown away (flushes happen only there).
# Keys are test keys: the seed's examples and counting patterns.
. "$UMLT_SRC/tests/uml/lib.sh"

O=$UMLT_OUT/xfrm
mkdir -p "$O"
rm -f "$O"/*.bin
REC="$PY $SRC/tests/tools/xfrmrec.py"
. "$UMLT_SRC/tests/uml/xfrmrec-lib.sh"

step "kernel $(uname -r)"
uname -r > "$O/KERNEL"

# ---- spigrpd's own objects: contrib/seed.conf plus two shunt groups ----
step "ours: spigrpd with the seed and shunt groups, traffic, dumps"
{
	cat "$SRC/contrib/seed.conf"
	printf '\n[group pass4]\nsaid = %%pass\nsrc-ts = 10.9.1.0/24\ndst-ts = 10.9.2.0/24\n'
	printf '\n[group drop6]\nsaid = %%drop\nsrc-ts = fd00:9:1::/64\ndst-ts = fd00:9:2::/64\n'
} > "$T/seed-shunt.conf"
topo_up
mkconf left "$T/seed-shunt.conf"
mkconf right "$T/seed-shunt.conf"
daemon_start left
daemon_start right
daemon_wait left 6
daemon_wait right 6
big_pings
run_in left $REC dump sa "$O/ours-sa-dump.bin"
run_in left $REC dump policy "$O/ours-policy-dump.bin"
listen_start left ours-stop-events.bin 0 3
daemon_stop left || fail "the left daemon did not stop"
listen_wait
daemon_stop right

# ---- libreswan-style: IPComp and ESP with separate reqids ----
step "libreswan-style comp+esp bundle"
newns lsw
# lsw_bundle SRC DST CPI SPI ENCKEY AUTHKEY: one direction's two states
lsw_bundle() {
	run_in lsw ip xfrm state add src "$1" dst "$2" proto comp spi "$3" \
		reqid 16390 mode tunnel comp deflate
	run_in lsw ip xfrm state add src "$1" dst "$2" proto esp spi "$4" \
		reqid 16389 mode transport replay-window 128 flag esn \
		enc 'cbc(aes)' "$5" auth-trunc 'hmac(sha256)' "$6" 128
}
lsw_bundle 192.0.2.1 198.51.100.1 0x3e81 0x8c1f0a01 \
	0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
lsw_bundle 198.51.100.1 192.0.2.1 0x3e82 0x8c1f0a02 \
	0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f \
	0x606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f
run_in lsw ip xfrm policy add src 10.1.1.0/24 dst 10.2.2.0/24 dir out priority 2084814 \
	tmpl src 192.0.2.1 dst 198.51.100.1 proto comp reqid 16390 mode tunnel \
	tmpl proto esp reqid 16389 mode transport
for d in in fwd; do
	run_in lsw ip xfrm policy add src 10.2.2.0/24 dst 10.1.1.0/24 dir $d priority 2084814 \
		tmpl src 198.51.100.1 dst 192.0.2.1 proto comp reqid 16390 mode tunnel level use \
		tmpl proto esp reqid 16389 mode transport
done
run_in lsw $REC dump sa "$O/libreswan-sa-dump.bin"
run_in lsw $REC dump policy "$O/libreswan-policy-dump.bin"

# ---- charon-style: small reqids, AES-GCM in tunnel mode, lifetimes ----
step "charon-style children"
newns chr
gcm4a=0x000102030405060708090a0b0c0d0e0fc0c1c2c3
gcm4b=0x101112131415161718191a1b1c1d1e1fd0d1d2d3
gcm6a=0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fe0e1e2e3
gcm6b=0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5ff0f1f2f3
run_in chr ip xfrm state add src 203.0.113.5 dst 203.0.113.9 proto esp spi 0xc8a1b2c3 \
	reqid 1 mode tunnel replay-window 0 flag af-unspec \
	aead 'rfc4106(gcm(aes))' $gcm4a 128 limit time-soft 3236 limit time-hard 3600
run_in chr ip xfrm state add src 203.0.113.9 dst 203.0.113.5 proto esp spi 0xc5d4e3f2 \
	reqid 1 mode tunnel replay-window 32 flag af-unspec \
	aead 'rfc4106(gcm(aes))' $gcm4b 128 limit time-soft 3236 limit time-hard 3600
run_in chr ip xfrm policy add src 10.3.0.0/16 dst 10.4.0.0/16 dir out priority 375423 \
	tmpl src 203.0.113.5 dst 203.0.113.9 proto esp reqid 1 mode tunnel
for d in in fwd; do
	run_in chr ip xfrm policy add src 10.4.0.0/16 dst 10.3.0.0/16 dir $d priority 375423 \
		tmpl src 203.0.113.9 dst 203.0.113.5 proto esp reqid 1 mode tunnel
done
# a second child: IPv6, AES-256-GCM, reqid 2, a mark and an interface id
run_in chr ip xfrm state add src 2001:db8::5 dst 2001:db8::9 proto esp spi 0xc1000002 \
	reqid 2 mode tunnel replay-window 0 mark 0x2a mask 0xff if_id 7 \
	aead 'rfc4106(gcm(aes))' $gcm6a 128
run_in chr ip xfrm state add src 2001:db8::9 dst 2001:db8::5 proto esp spi 0xc1000003 \
	reqid 2 mode tunnel replay-window 32 mark 0x2a mask 0xff if_id 7 \
	aead 'rfc4106(gcm(aes))' $gcm6b 128
run_in chr ip xfrm policy add src 2001:db8:3::/64 dst 2001:db8:4::/64 dir out priority 366975 \
	mark 0x2a mask 0xff if_id 7 \
	tmpl src 2001:db8::5 dst 2001:db8::9 proto esp reqid 2 mode tunnel
run_in chr ip xfrm policy add src 2001:db8:4::/64 dst 2001:db8:3::/64 dir in priority 366975 \
	mark 0x2a mask 0xff if_id 7 \
	tmpl src 2001:db8::9 dst 2001:db8::5 proto esp reqid 2 mode tunnel
run_in chr $REC dump sa "$O/charon-sa-dump.bin"
run_in chr $REC dump policy "$O/charon-policy-dump.bin"

# ---- template-less policies by hand (ours are in ours-policy-dump.bin) ----
step "template-less policies"
newns shn
run_in shn ip xfrm policy add src 10.5.0.0/24 dst 10.6.0.0/24 dir out priority 1065792 action block
run_in shn ip xfrm policy add src 10.5.0.0/24 dst 10.6.0.0/24 proto tcp dport 22 dir out \
	priority 500 action allow
run_in shn ip xfrm policy add src fd00:5::/64 dst fd00:6::/64 dir in priority 1065792 action allow
run_in shn $REC dump policy "$O/shunt-policy-dump.bin"

# ---- events: add, update, delete (reqid in spigrpd's band) ----
step "events: NEWSA NEWPOLICY UPDPOLICY, then DELPOLICY DELSA"
newns ev
listen_start ev events-new.bin 3
run_in ev ip xfrm state add src 192.168.7.1 dst 192.168.7.2 proto esp spi 0x187a2001 \
	reqid 0x53400007 mode transport replay-window 32 flag esn \
	enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
	auth-trunc 'hmac(sha256)' 0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f 128
run_in ev ip xfrm policy add src 10.7.1.0/24 dst 10.7.2.0/24 dir out priority 1065792 \
	tmpl src 192.168.7.1 dst 192.168.7.2 proto esp reqid 0x53400007 mode tunnel
run_in ev ip xfrm policy update src 10.7.1.0/24 dst 10.7.2.0/24 dir out priority 1065793 \
	tmpl src 192.168.7.1 dst 192.168.7.2 proto esp reqid 0x53400007 mode tunnel
listen_wait
listen_start ev events-del.bin 2
run_in ev ip xfrm policy delete src 10.7.1.0/24 dst 10.7.2.0/24 dir out
run_in ev ip xfrm state delete src 192.168.7.1 dst 192.168.7.2 proto esp spi 0x187a2001
listen_wait

# ---- expiry: soft then hard, of a state and of a policy ----
# The kernel checks the hard limit first: a timer that runs late (a busy
# host) skips the soft expiry.  So each recording is tried up to 5 times,
# each in a fresh namespace, until the soft one came too.
expire_sa() {
	run_in "$1" ip xfrm state add src 192.168.8.1 dst 192.168.8.2 proto esp spi 0x187a3001 \
		reqid 0x53400008 mode transport replay-window 32 \
		enc 'cbc(aes)' 0x303132333435363738393a3b3c3d3e3f \
		auth-trunc 'hmac(sha256)' 0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f 128 \
		limit time-soft 1 limit time-hard 2
}
expire_policy() {
	run_in "$1" ip xfrm policy add src 10.8.1.0/24 dst 10.8.2.0/24 dir out priority 1065792 \
		tmpl src 192.168.8.1 dst 192.168.8.2 proto esp reqid 0x53400008 mode tunnel \
		limit time-soft 1 limit time-hard 2
}
# expiry FILE MAKER: MAKER NS adds the object; FILE gets its NEW event and
# the soft and hard expiry (3 messages).
expiry() {
	_try=1
	while :; do
		_ns=${2#expire_}$_try
		newns "$_ns"
		listen_start "$_ns" "$1" 3 8
		"$2" "$_ns"
		wait "$_lpid" && return 0
		info "$1: attempt $_try: the soft expiry was skipped (a late timer)"
		[ $_try -lt 5 ] || fail "$1: no soft expiry in 5 attempts"
		_try=$((_try + 1))
	done
}
step "NEWSA, EXPIRE soft (1 s) and hard (2 s)"
expiry expire-sa.bin expire_sa
step "NEWPOLICY, POLEXPIRE soft (1 s) and hard (2 s)"
expiry expire-policy.bin expire_policy

# ---- flushes (only in this throw-away namespace) ----
step "FLUSHSA (esp, then any) and FLUSHPOLICY"
newns fl
run_in fl ip xfrm state add src 192.168.9.1 dst 192.168.9.2 proto esp spi 0x187a4001 \
	reqid 0x53400009 mode transport enc 'cbc(aes)' 0x505152535455565758595a5b5c5d5e5f \
	auth-trunc 'hmac(sha256)' 0x606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f 128
run_in fl ip xfrm state add src 192.168.9.1 dst 192.168.9.2 proto ah spi 0x187a4002 \
	reqid 0x53400009 mode transport \
	auth-trunc 'hmac(sha1)' 0x808182838485868788898a8b8c8d8e8f90919293 96
run_in fl ip xfrm policy add src 10.9.1.0/24 dst 10.9.2.0/24 dir out priority 1065792 \
	tmpl src 192.168.9.1 dst 192.168.9.2 proto esp reqid 0x53400009 mode tunnel
listen_start fl flush.bin 3
run_in fl ip xfrm state flush proto esp
run_in fl ip xfrm state flush
run_in fl ip xfrm policy flush
listen_wait

# ---- an error reply, and truncated messages (cut here, not by the kernel) ----
step "NLMSG_ERROR for a missing SA; truncated copies"
run_in lsw $REC getsa-missing "$O/error-getsa-esrch.bin"
$REC cut "$O/charon-sa-dump.bin" "$O/truncated-attr.bin" 0 -10 ||
	fail "cut truncated-attr.bin"
$REC cut "$O/ours-policy-dump.bin" "$O/truncated-hdr.bin" 0 12 ||
	fail "cut truncated-hdr.bin"

step "what was recorded"
$REC show "$O"/*.bin
exit 0
