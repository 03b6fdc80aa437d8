# strongSwan helpers for tests/uml (sourced after lib.sh, POSIX sh).
#
# One charon per side ("left", "right" of lib.sh's topology), with the
# kernel's XFRM (kernel-netlink; no kernel-libipsec), in its own mount
# namespace: `ip netns exec SIDE` gives it the side's network and a private
# mount namespace, where $T/charon.SIDE/run is bind-mounted on /run
# (charon's pid file /run/charon.pid is compiled in) with the side's spigrpd
# directory (side_dir: control socket, view) bind-mounted at /run/spigrpd
# inside it first, as spigrpd(8) describes, so the updown hook finds the
# daemon at the default /run/spigrpd/ctl.  The hook and spigrp are copied
# to $T/bin: the guest's /run/uml-* paths are hidden in charon's namespace.

CHARON=/usr/lib/ipsec/charon
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 hmac kdf gmp curve25519 pem pkcs1 x509 pubkey kernel-netlink socket-default vici updown"

charon_dir() {
	echo "$T/charon.$1"
}

# charon_tools: the updown hook and spigrp where charon's namespace sees them
charon_tools() {
	mkdir -p "$T/bin"
	cp "$SRC/contrib/strongswan/spigrp-updown" "$SPIGRP" "$T/bin/" ||
		fail "cannot copy the updown hook and spigrp"
	HOOK="$T/bin/spigrp-updown --spigrp $T/bin/spigrp"
}

# charon_conf SIDE: strongswan.conf (logging to charon.log, vici socket
# $dir/charon.vici, visible from both namespaces)
charon_conf() {
	_d=$(charon_dir "$1")
	mkdir -p "$_d/run/spigrpd" "$_d/swanctl"
	cat > "$_d/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = $CHARON_PLUGINS
	install_virtual_ip = no
	retransmit_tries = 3
	plugins {
		vici {
			socket = unix://$_d/charon.vici
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	filelog {
		main {
			path = $_d/charon.log
			time_format = %H:%M:%S
			default = 1
			knl = 2
			flush_line = yes
		}
	}
}
swanctl {
	load = pem pkcs1 x509 pubkey random nonce openssl curve25519
}
CONF
}

# charon_start SIDE: charon in SIDE's network namespace and its own mount
# namespace; waits for its vici socket
charon_start() {
	_d=$(charon_dir "$1")
	charon_conf "$1"
	rm -f "$_d/charon.vici"
	ip netns exec "$1" sh -c "mount --bind '$(side_dir "$1")' '$_d/run/spigrpd' &&
		mount --rbind '$_d/run' /run &&
		exec env STRONGSWAN_CONF='$_d/strongswan.conf' $CHARON" \
		> "$_d/charon.out" 2>&1 < /dev/null &
	echo $! > "$_d/pid"
	_i=0
	until [ -S "$_d/charon.vici" ]; do
		kill -0 "$(cat "$_d/pid")" 2>/dev/null ||
			fail "charon $1 exited: $(cat "$_d/charon.out" "$_d/charon.log" 2>/dev/null | tail -n 3)"
		_i=$((_i + 1))
		[ $_i -lt 150 ] || fail "charon $1: no vici socket after 15 s"
		sleep 0.1
	done
}

# swanctl_on SIDE ARGS...: swanctl against SIDE's charon
swanctl_on() {
	_s=$1
	shift
	SWANCTL_DIR=$(charon_dir "$_s")/swanctl STRONGSWAN_CONF=$(charon_dir "$_s")/strongswan.conf \
		swanctl "$@" --uri "unix://$(charon_dir "$_s")/charon.vici"
}

# charon_load SIDE: load the side's swanctl.conf (written by the case)
charon_load() {
	swanctl_on "$1" --load-all --noprompt --file "$(charon_dir "$1")/swanctl/swanctl.conf" \
		> "$T/$1.load" 2>&1 || { cat "$T/$1.load"; fail "swanctl --load-all on $1"; }
}

# charon_stop SIDE: SIGTERM, wait up to 10 s
charon_stop() {
	_p=$(cat "$(charon_dir "$1")/pid" 2>/dev/null)
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$_p" 2>/dev/null
	rm -f "$(charon_dir "$1")/pid"
}

# Everything foreign in SIDE's XFRM databases, one object a line, from
# `ip xfrm` without -s (no lifetimes in use or counters, which change by
# themselves): ours (reqid band) and the kernel's IPIP / IPv6 helper states
# (reqid 0) left out, and per-socket policies (charon's IKE sockets have
# them, and so do our datapath's sockets, which close with the daemon: the
# dump does not say whose socket; a socket's policies go only with it).
foreign_xfrm() {
	{ ns "$1" ip xfrm state; ns "$1" ip xfrm policy; } | awk '
		function put() {
			if (r == "" || own || helper || r ~ / ; socket (in|out) /) return
			print r
		}
		/^src / { put(); r = $0; own = 0; helper = 0; next }
		{
			sub(/^[ \t]+/, ""); sub(/[ \t]+$/, ""); r = r " ; " $0
			for (i = 1; i < NF; i++)
				if ($i == "reqid") {
					q = $(i + 1); sub(/\(.*/, "", q); q += 0
					if (q >= 1396703232 && q <= 1397751807) own = 1
					if (q == 0 && $1 == "proto" && ($2 == "4" || $2 == "41")) helper = 1
				}
		}
		END { put() }' | sort
}
