# KLIPS-era manual keying through libreswan's `ipsec` script, for
# tests/uml/t-22 and t-23 (sourced after lib.sh, POSIX sh).
#
# run.sh prepared, on the host, /run/uml-out/klips: inst/ (`make install
# DESTDIR=...` of the build: $libexecdir/ipsec/{spi,spigrp,eroute,look}) and
# libreswan/ (Debian's libreswan package unpacked with dpkg-deb -x, never
# installed).  Each side runs spigrpd with a config holding no SA
# (datapath = kernel, said-format = x: the SAIDs as KLIPS wrote them), and
# a shell script of `ipsec ...` commands as KLIPS users wrote them, with
# `ipsec` on PATH being libreswan's script and IPSEC_EXECDIR our install.
#
# The link: left 192.168.2.100 (10.0.1.0/24) <-> right 192.168.2.110
# (10.0.2.0/24); tun + esp each way, SPI 0x1001 left -> right, 0x1002
# right -> left.

KLIPS_PREP=$UMLT_OUT/klips
# ESP transform of each direction, as issue 8 asks: 3DES with HMAC-SHA1-96
# one way, with HMAC-MD5-96 the other
KLIPS_ALG_LR=3des-sha1-96
KLIPS_ALG_RL=3des-md5-96
# 3DES keys (24 bytes), written with KLIPS's '_' separators
KLIPS_ENC_LR=0x0123456789abcdef_1032547698badcfe_0246813579bdf1e3
KLIPS_ENC_RL=0xfedcba9876543210_efcdab8967452301_f1e3d5c7b9a08264
# authentication keys: 20 bytes for SHA-1, 16 for MD5
klips_authkey() {
	case $1 in
	*md5*) echo 0x4043434545464649_4a4a4c4c4f4f5151 ;;
	*) echo 0x5053535555565659_5a5a5c5c5f5f6161_62626464 ;;
	esac
}

# klips_tools: the wrapper as `ipsec` on $T/bin, IPSEC_EXECDIR our
# install's libexec/ipsec; fails the case with run.sh's reason otherwise.
klips_tools() {
	[ ! -s "$KLIPS_PREP/why" ] || fail "run.sh could not prepare the KLIPS tools: $(cat "$KLIPS_PREP/why")"
	KLIPS_WRAPPER=$KLIPS_PREP/libreswan/usr/sbin/ipsec
	[ -x "$KLIPS_WRAPPER" ] || fail "libreswan's ipsec script is not at $KLIPS_WRAPPER"
	IPSEC_EXECDIR=$(find "$KLIPS_PREP/inst" -type d -path '*/libexec/ipsec' | head -n 1)
	[ -n "$IPSEC_EXECDIR" ] && [ -x "$IPSEC_EXECDIR/spigrp" ] ||
		fail "make install put no \$libexecdir/ipsec/spigrp under $KLIPS_PREP/inst"
	export IPSEC_EXECDIR
	mkdir -p "$T/bin"
	ln -sf "$KLIPS_WRAPPER" "$T/bin/ipsec"
	info "ipsec: $("$T/bin/ipsec" --version) ($KLIPS_WRAPPER), IPSEC_EXECDIR=$IPSEC_EXECDIR"
}

# klips_conf SIDE: a config without SAs, kernel placement, KLIPS SAIDs
klips_conf() {
	_d=$(side_dir "$1")
	mkdir -p "$_d/state"
	printf '[daemon]\nmount = %s/net\ncontrol = %s/ctl\nstate-dir = %s/state\ndatapath = kernel\nsaid-format = x\n' \
		"$_d" "$_d" "$_d" > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
}

# ipsec_on SIDE ARG...: `ipsec ARG...` in SIDE's namespace, the client
# talking to SIDE's daemon (SPIGRPD_CONTROL)
ipsec_on() {
	_s=$1
	shift
	SPIGRPD_CONTROL=$(side_dir "$_s")/ctl PATH="$T/bin:$PATH" ns "$_s" ipsec "$@"
}

# klips_script ME PEER MYNET PEERNET OUTSPI INSPI OUTALG INALG: the manual
# keying script of one host, as KLIPS users wrote it (FreeS/WAN's
# doc/manual keying examples: clear, the SAs, group them, route into them)
klips_script() {
	cat <<EOF
#!/bin/sh
# manual keying, $1 <-> $2 ($3 <-> $4)
set -e
ipsec spi --clear
ipsec eroute --clear
ipsec spi --af inet --edst $2 --spi $5 --proto tun --src $1 --dst $2 --ip4
ipsec spi --af inet --edst $2 --spi $5 --proto esp --src $1 --esp $7 \\
	--enckey $(klips_enckey "$5") --authkey $(klips_authkey "$7")
ipsec spi --af inet --edst $1 --spi $6 --proto tun --src $2 --dst $1 --ip4
ipsec spi --af inet --edst $1 --spi $6 --proto esp --src $2 --esp $8 \\
	--enckey $(klips_enckey "$6") --authkey $(klips_authkey "$8")
ipsec spigrp inet $2 $5 tun inet $2 $5 esp
ipsec spigrp inet $1 $6 tun inet $1 $6 esp
ipsec eroute --add --eraf inet --src $3 --dst $4 --said tun$5@$2
EOF
}
klips_enckey() {
	[ "$1" = 0x1001 ] && echo "$KLIPS_ENC_LR" || echo "$KLIPS_ENC_RL"
}

# klips_up SIDE: write SIDE's script to $T/SIDE.klips and run it there
# through the wrapper; its output in $T/SIDE.klips.out
klips_up() {
	if [ "$1" = left ]; then
		klips_script 192.168.2.100 192.168.2.110 10.0.1.0/24 10.0.2.0/24 0x1001 0x1002 \
			"$KLIPS_ALG_LR" "$KLIPS_ALG_RL" > "$T/$1.klips"
	else
		klips_script 192.168.2.110 192.168.2.100 10.0.2.0/24 10.0.1.0/24 0x1002 0x1001 \
			"$KLIPS_ALG_RL" "$KLIPS_ALG_LR" > "$T/$1.klips"
	fi
	SPIGRPD_CONTROL=$(side_dir "$1")/ctl PATH="$T/bin:$PATH" ns "$1" sh "$T/$1.klips" \
		> "$T/$1.klips.out" 2>&1 ||
		{ cat "$T/$1.klips.out"; fail "$1: the KLIPS script failed: $(tail -n 1 "$T/$1.klips.out")"; }
}

# klips_me SIDE / klips_peer SIDE: the outer addresses
klips_me() {
	[ "$1" = left ] && echo 192.168.2.100 || echo 192.168.2.110
}
klips_peer() {
	[ "$1" = left ] && echo 192.168.2.110 || echo 192.168.2.100
}

# klips_groups SIDE: the ipsec_spigrp SIDE's view must show (said-format x):
# its outbound group, then its inbound one (creation order), then the
# foreign state (a tunnel-mode ESP state: the mirror shows it as tun + esp)
klips_groups() {
	_me=$(klips_me "$1") _peer=$(klips_peer "$1")
	if [ "$1" = left ]; then _o=0x1001 _i=0x1002; else _o=0x1002 _i=0x1001; fi
	printf '%s \n' "tun$_o@$_peer esp$_o@$_peer" "tun$_i@$_me esp$_i@$_me"
	klips_foreign_line "$1"
}
klips_foreign_line() {
	printf 'tun0x7e570001@%s esp0x7e570001@%s \n' "$(klips_me "$1")" "$(klips_me "$1")"
}

# klips_view_wait SIDE: until SIDE's ipsec_spigrp is klips_groups (10 s)
klips_view_wait() {
	klips_groups "$1" > "$T/$1.groups.want"
	_i=0
	# (through cat: cmp trusts the sizes of regular files, the view's are not the text's)
	until cat "$(view_of "$1")" > "$T/$1.groups" && cmp -s "$T/$1.groups.want" "$T/$1.groups"; do
		_i=$((_i + 1))
		if [ $_i -ge 100 ]; then
			info "$1 ipsec_spigrp:"; cat "$(view_of "$1")"
			info "expected:"; cat "$T/$1.groups.want"
			fail "$1: ipsec_spigrp does not show the two runtime groups"
		fi
		sleep 0.1
	done
}

# foreign_add SIDE: a state of nobody's (SPI 0x7e570001, reqid 77: outside
# our band) in SIDE's kernel; foreign_get SIDE prints it (ip xfrm state get)
foreign_add() {
	ns "$1" ip xfrm state add src 192.0.2.1 dst "$(klips_me "$1")" proto esp \
		spi 0x7e570001 reqid 77 mode tunnel \
		enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
		auth-trunc 'hmac(sha256)' 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 128 ||
		fail "$1: cannot add the foreign state"
	foreign_get "$1" > "$T/$1.foreign" || fail "$1: the foreign state is not there"
}
foreign_get() {
	ns "$1" ip xfrm state get src 192.0.2.1 dst "$(klips_me "$1")" proto esp spi 0x7e570001
}
foreign_intact() {
	foreign_get "$1" > "$T/$1.foreign.now" 2>&1 && cmp -s "$T/$1.foreign" "$T/$1.foreign.now" ||
		fail "$1: the foreign state changed ($2): $(tr '\n' ' ' < "$T/$1.foreign.now" | cut -c1-200)"
}

# klips_link_up: both daemons, the foreign states, both scripts, the views
klips_link_up() {
	klips_tools
	topo_up
	for _s in left right; do
		foreign_add "$_s"
		klips_conf "$_s"
		daemon_start "$_s"
	done
	for _s in left right; do
		daemon_wait "$_s" 1
		klips_foreign_line "$_s" | cmp -s - "$(view_of "$_s")" ||
			fail "$_s: the view does not show the foreign state: $(cat "$(view_of "$_s")")"
	done
	for _s in left right; do
		klips_up "$_s"
		klips_view_wait "$_s"
	done
}

# klips_side_vars SIDE: ME PEER MYNET PEERNET OUT IN (SPIs) OUTALG INALG of SIDE
klips_side_vars() {
	ME=$(klips_me "$1") PEER=$(klips_peer "$1")
	if [ "$1" = left ]; then
		MYNET=10.0.1.0/24 PEERNET=10.0.2.0/24 MYIP=10.0.1.1 PEERIP=10.0.2.1
		OUT=0x1001 IN=0x1002 OUTALG=$KLIPS_ALG_LR INALG=$KLIPS_ALG_RL
	else
		MYNET=10.0.2.0/24 PEERNET=10.0.1.0/24 MYIP=10.0.2.1 PEERIP=10.0.1.1
		OUT=0x1002 IN=0x1001 OUTALG=$KLIPS_ALG_RL INALG=$KLIPS_ALG_LR
	fi
}

# klips_hmac ALG: the kernel's name of ALG's authentication
klips_hmac() {
	case $1 in
	*md5*) echo 'hmac(md5)' ;;
	*) echo 'hmac(sha1)' ;;
	esac
}

# klips_kernel_ok SIDE: SIDE's kernel holds exactly two states of ours,
# tunnel-mode ESP with 3DES and the direction's HMAC truncated to 96 bits,
# and three policies: out MYNET -> PEERNET (the SPI pinned), in and fwd
# PEERNET -> MYNET, each with one ESP tunnel template between the hosts
klips_kernel_ok() {
	_k=$1
	klips_side_vars "$_k"
	xstates "$_k" | ours > "$T/$_k.ours.states"
	xpolicies "$_k" | ours > "$T/$_k.ours.policies"
	_n=$(wc -l < "$T/$_k.ours.states")
	[ "$_n" -eq 2 ] || { cat "$T/$_k.ours.states"; fail "$_k: $_n states of ours in the kernel, expected 2"; }
	klips_state_ok "$_k" "$ME" "$PEER" "$OUT" "$OUTALG"
	klips_state_ok "$_k" "$PEER" "$ME" "$IN" "$INALG"
	_n=$(wc -l < "$T/$_k.ours.policies")
	[ "$_n" -eq 3 ] || { cat "$T/$_k.ours.policies"; fail "$_k: $_n policies of ours, expected 3"; }
	grep -E "^src $MYNET dst $PEERNET( uid 0)? ; dir out " "$T/$_k.ours.policies" |
		grep -qF "tmpl src $ME dst $PEER ; proto esp spi $(printf '0x%08x' "$OUT")(" ||
		{ cat "$T/$_k.ours.policies"; fail "$_k: no out policy $MYNET -> $PEERNET into esp $OUT"; }
	for _dir in in fwd; do
		grep -E "^src $PEERNET dst $MYNET( uid 0)? ; dir $_dir " "$T/$_k.ours.policies" |
			grep -qF "tmpl src $PEER dst $ME ; proto esp spi 0x00000000(0) reqid" ||
			{ cat "$T/$_k.ours.policies"; fail "$_k: no $_dir policy $PEERNET -> $MYNET from $PEER"; }
	done
}

# klips_state_ok SIDE SRC DST SPI ALG
klips_state_ok() {
	grep -F "src $2 dst $3 ; proto esp spi $(printf '0x%08x' "$4")(" "$T/$1.ours.states" |
		grep -F " mode tunnel ; " | grep -F "enc cbc(des3_ede) 0x" |
		grep -Eq "auth-trunc $(klips_hmac "$5" | sed 's/[()]/\\&/g') 0x[0-9a-f]+ \([0-9]+ bits\) 96 ;" ||
		{ cat "$T/$1.ours.states"; fail "$1: no tunnel-mode ESP state $4 $2 -> $3 with 3DES and $(klips_hmac "$5") 96"; }
}
