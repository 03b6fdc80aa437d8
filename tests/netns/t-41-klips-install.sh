# t-41-klips-install: the KLIPS commands as `make install DESTDIR=` puts
# them: spigrp, spi, eroute and look in $libexecdir/ipsec/ (links to the
# one spigrp binary, picked by name), run by those names against the
# daemon (SPIGRPD_CONTROL): the reads print the view's files and look's
# join; a KLIPS script's objects made with the binaries, keys read from
# standard input; nobody gets a clear refusal for every change form and
# changes nothing, but reads what root reads; words that cannot travel
# and a missing socket are refused by the client; the objects taken away
# with the binaries again; `make uninstall` removes the links.
# Through libreswan's own `ipsec` script too when IPSEC_SCRIPT names one
# (the UML tier runs it for real; see spigrp(8) for its IPSEC_EXECDIR).

K41E=0x0123456789abcdef0123456789abcdef0123456789abcdef
K41A=0x0123456789abcdef0123456789abcdef01234567
R41=192.168.2.100
L41=192.168.2.110
INST41=$W/inst41
make -C "$builddir" install DESTDIR="$INST41" > "$W/install41.log" 2>&1
X41=$(find "$INST41" -type d -name ipsec -path '*/libexec/*' | head -n 1)
B41=$(find "$INST41" -type f -name spigrp -path '*/bin/*' | head -n 1)
check "make install DESTDIR= puts spigrp, spi, eroute and look in libexec/ipsec, links to bin/spigrp" \
	eval 'test -n "$X41" -a -n "$B41" && for c in spigrp spi eroute look; do
		test -x "$X41/$c" -a "$X41/$c" -ef "$B41" || exit 1; done'

# k41 CMD ARG...: the installed CMD as root, on our socket; k41_as USER
# CMD ARG...: as USER.  Output in $W/k41.out and $W/k41.err, status in rc41.
k41() {
	SPIGRPD_CONTROL=$CTL "$X41/$@" > "$W/k41.out" 2> "$W/k41.err"
	rc41=$?
}
k41_as() {
	local u=$1
	shift
	runuser -u "$u" -- env SPIGRPD_CONTROL="$CTL" "$X41/$@" > "$W/k41.out" 2> "$W/k41.err"
	rc41=$?
}
# k41_ok: exit 0, nothing on stderr.
k41_ok() {
	test "$rc41" = 0 -a ! -s "$W/k41.err"
}
# k41_same FILE: stdout equals FILE's content, byte for byte.
k41_same() {
	cat "$1" | cmp -s - "$W/k41.out"
}
# k41_refused: exit 1, the permission refusal on stderr, nothing on stdout.
k41_refused() {
	test "$rc41" = 1 -a ! -s "$W/k41.out" &&
		grep -q "^$X41/[a-z]*: spigrpd: permission denied: \"[a-z]*\" needs root or the control group" \
			"$W/k41.err"
}

write_conf "$CONF" </dev/null
sed -i 's/^datapath = kernel$/datapath = auto/' "$CONF"
if [ -n "$X41" ] && need_start "spigrpd starts on a config without SAs"; then
	k41 spigrp
	check "spigrp (no arguments) prints ipsec_spigrp: empty" eval 'k41_ok && test ! -s "$W/k41.out"'
	printf '%s\n%s\n' "$K41E" "$K41A" > "$W/keys41"
	k41 spi --af inet --edst $R41 --spi 0x1001 --proto esp --src $L41 --esp 3des-sha1-96 \
		--enckey - --authkey - < "$W/keys41"
	check "spi --esp with --enckey - --authkey - (keys on standard input): exit 0" \
		eval 'k41_ok || sed "s/^/# /" "$W/k41.err"'
	check "... the daemon got the keys in hex (state-dir/runtime), no \"-\"" \
		eval 'grep -q -- "--enckey $K41E --authkey $K41A" "$STATE/runtime" &&
			! grep -q -- "key -" "$STATE/runtime"'
	k41 spi --af inet --edst $R41 --spi 0x1001 --proto tun --src $L41 --dst $R41 --ip4
	check "spi --ip4 (the tun SA): exit 0" k41_ok
	k41 spigrp inet $R41 0x1001 tun inet $R41 0x1001 esp
	check "spigrp in the quadruple form: exit 0" k41_ok
	k41 eroute --add --eraf inet --src 10.0.2.1/32 --dst 10.0.1.1/32 --said tun0x1001@$R41
	check "eroute --add: exit 0" k41_ok
	check "the group is installed (userspace datapath)" \
		wait_states "tun.1001@$R41=installed"

	k41 spigrp
	check "spigrp prints ipsec_spigrp, byte for byte" eval 'k41_ok && k41_same "$V"'
	check "... which holds the group" grep -qx "tun.1001@$R41 esp.1001@$R41 " "$W/k41.out"
	k41 spi
	check "spi (no arguments) prints ipsec_spi, byte for byte" \
		eval 'k41_ok && k41_same "$MNT/ipsec_spi" && grep -q "^esp.1001@$R41 " "$W/k41.out"'
	k41 eroute
	check "eroute (no arguments) prints ipsec_eroute, byte for byte" \
		eval 'k41_ok && k41_same "$MNT/ipsec_eroute" && grep -q "10.0.2.1/32" "$W/k41.out"'
	k41 look
	cp "$W/k41.out" "$W/look41.root"
	check "look: a first line with the host name and the date" \
		eval 'k41_ok && head -n 1 "$W/k41.out" |
			grep -Eq "^$(hostname) [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Za-z0-9+-]+ [0-9]{4}$"'
	check "... the eroute joined with its whole group line, two spaces before the count" \
		grep -qx "$(printf '%-18s -> %-18s => %s (0)' 10.0.2.1/32 10.0.1.1/32 \
			"tun.1001@$R41 esp.1001@$R41 ")" "$W/k41.out"
	check "... the ipsec_spi lines, sorted, then ROUTING TABLES" \
		eval 'sort "$MNT/ipsec_spi" > "$W/spi41.sorted" &&
			sed -n "3,\$p" "$W/k41.out" | head -n "$(wc -l < "$W/spi41.sorted")" | cmp -s - "$W/spi41.sorted" &&
			grep -qx "ROUTING TABLES" "$W/k41.out"'
	"$B41" --control "$CTL" spi > "$W/k41.sub" 2>&1
	check "spigrp --control PATH spi (no libreswan) prints the same as spi" \
		eval 'cat "$MNT/ipsec_spi" | cmp -s - "$W/k41.sub"'
	SPIGRPD_CONTROL=$CTL "$B41" look | sed 1d > "$W/k41.sub" 2>&1
	check "spigrp look prints the same as look (but the date line)" \
		eval 'sed 1d "$W/look41.root" | cmp -s - "$W/k41.sub"'

	cp "$STATE/runtime" "$W/runtime41"
	for form in "spi --clear" \
		"spi --said esp.1001@$R41 --del" \
		"spi --af inet --edst $R41 --spi 0x1002 --proto esp --src $L41 --esp 3des-sha1-96 --enckey $K41E --authkey $K41A" \
		"spigrp --said esp.1001@$R41" \
		"eroute --del --src 10.0.2.1/32 --dst 10.0.1.1/32" \
		"eroute --clear"; do
		# shellcheck disable=SC2086
		k41_as nobody $form
		check "nobody: $form: exit 1, a clear refusal" k41_refused
	done
	check "... and nothing changed (state-dir/runtime, the view)" \
		eval 'cmp -s "$STATE/runtime" "$W/runtime41" && grep -qx "tun.1001@$R41 esp.1001@$R41 " "$V"'
	reads41=0
	for c in spi spigrp eroute; do
		k41_as nobody "$c"
		k41_ok && case $c in
		spi) k41_same "$MNT/ipsec_spi" ;;
		spigrp) k41_same "$V" ;;
		eroute) k41_same "$MNT/ipsec_eroute" ;;
		esac && reads41=$((reads41 + 1))
	done
	k41_as nobody look
	k41_ok && sed 1d "$W/look41.root" | cmp -s - <(sed 1d "$W/k41.out") && reads41=$((reads41 + 1))
	check "nobody reads spi, spigrp, eroute and look as root does (4 of 4: $reads41)" test "$reads41" = 4

	k41 spi --label "my label" --clear
	check "a word with a blank is refused before it is sent (exit 1, by position)" \
		eval 'test "$rc41" = 1 && grep -qx "$X41/spi: argument 2 is empty or holds a blank or a control character: it cannot be sent to spigrpd" "$W/k41.err"'
	check "... nothing changed" cmp -s "$STATE/runtime" "$W/runtime41"
	k41 spi --bogus
	check "a syntax error is KLIPS's, answered by the client (exit 1)" \
		eval 'test "$rc41" = 1 && grep -q "^$X41/spi: unrecognized option .--bogus." "$W/k41.err"'
	SPIGRPD_CONTROL=$W/none41 "$X41/eroute" > "$W/k41.out" 2> "$W/k41.err"
	rc41=$?
	check "no daemon at SPIGRPD_CONTROL: exit 1, the path named" \
		eval 'test "$rc41" = 1 && grep -q "cannot reach spigrpd at $W/none41" "$W/k41.err"'

	# libreswan's script from its .deb (never installed), unless given
	if [ -z "${IPSEC_SCRIPT:-}" ] && deb41=$("$srcdir/contrib/libreswan-deb.sh" 2>/dev/null) &&
		dpkg-deb -x "$deb41" "$W/libreswan41" 2>/dev/null; then
		IPSEC_SCRIPT=$W/libreswan41/usr/sbin/ipsec
	fi
	if [ -n "${IPSEC_SCRIPT:-}" ] && [ -x "$IPSEC_SCRIPT" ]; then
		IPSEC_EXECDIR=$X41 SPIGRPD_CONTROL=$CTL "$IPSEC_SCRIPT" spi > "$W/k41.out" 2>&1
		check "libreswan's ipsec spi (IPSEC_EXECDIR) prints ipsec_spi" k41_same "$MNT/ipsec_spi"
		IPSEC_EXECDIR=$X41 SPIGRPD_CONTROL=$CTL "$IPSEC_SCRIPT" look > "$W/k41.out" 2>&1
		check "libreswan's ipsec look prints our look" \
			eval 'sed 1d "$W/look41.root" | cmp -s - <(sed 1d "$W/k41.out")'
	else
		# (in CI the .deb is there: contrib/deps.sh fetched it)
		if [ "${CI:-}" = true ]; then
			not_ok "libreswan's ipsec script (IPSEC_SCRIPT, contrib/libreswan-deb.sh)"
		else
			info "no libreswan ipsec script (IPSEC_SCRIPT, contrib/libreswan-deb.sh): not run here"
		fi
	fi

	k41 eroute --del --src 10.0.2.1/32 --dst 10.0.1.1/32
	check "eroute --del: exit 0, the eroute gone" \
		eval 'k41_ok && ! grep -q "10.0.2.1/32" "$MNT/ipsec_eroute"'
	k41 spigrp --said tun0x1001@$R41
	check "spigrp with one SA ungroups: exit 0" \
		eval 'k41_ok && ! grep -q "tun.1001@$R41 esp" "$V"'
	k41 spi --clear
	check "spi --clear: exit 0, the view empty" eval 'k41_ok && test -z "$(cat "$V")"'
	k41 spi --clear
	check "a second spi --clear is fine too" k41_ok
fi
end_daemon
make -C "$builddir" uninstall DESTDIR="$INST41" >> "$W/install41.log" 2>&1
check "make uninstall removes the four links" \
	eval 'for c in spigrp spi eroute look; do test ! -e "$X41/$c" || exit 1; done'
