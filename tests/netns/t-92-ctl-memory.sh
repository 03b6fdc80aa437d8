# t-92-ctl-memory.sh: sourced by tests/netns/run.sh (its helpers and
# variables: check, ok, not_ok, info, start_daemon, stop_daemon,
# write_conf, $W, $CONF, $CTL, $LOG, $SPIGRP, $PY, $daemon_pid).
#
# The control socket's memory stays bounded whatever clients do.  A config
# of 20,000 SAs (no end local: every group skipped, but each one a block of
# the status; status-json is several MB) and user nobody opening 64
# connections that ask for status-json and then read 64 KiB every half
# second (so that each answer is kept for its full 10 s).  The daemon used
# to build and keep one copy per connection (+400 MB) and keep the memory
# afterwards.  Now: identical answers are shared, the bytes buffered are
# capped (32 MiB), freed memory is handed back; a normal client is
# answered during the attack.  Then the same with the 64 requests spread
# over 8 s, so that sharing does not help (status answers are shared for
# at most 1 s) and the cap is what bounds the memory.

# mem_conf: 20,000 ESP SAs to 192.0.2.1, a group each.
mem_conf() {
	"$PY" -c '
for i in range(20000):
    print("[sa esp.%x@192.0.2.1]\nsrc = 192.0.2.2\nenc = aes128\nenckey = 0x%032x\n"
          "auth = sha256\nauthkey = 0x%064x\n\n[group m%d]\nsaid = esp.%x@192.0.2.1\n"
          "src-ts = 10.%d.%d.0/24\ndst-ts = 10.255.0.0/24\n"
          % (0x1000 + i, i + 1, i + 1, i, 0x1000 + i, i // 256, i % 256))
'
}
# rss_kb: the daemon's resident memory, kB.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null || echo 0
}
# mem_attack CONNS BURSTS GAP HOLD: as nobody, CONNS connections asking
# status-json, in BURSTS bursts GAP seconds apart; every connection reads
# 64 KiB every 0.5 s (progress enough for the daemon to keep the answer
# for its full 10 s) until HOLD seconds after the first burst.  Prints
# "sent" once all requests are out, "done" at the end.
mem_attack() {
	runuser -u nobody -- "$PY" -c '
import socket, sys, time
path, n, bursts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
gap, hold = float(sys.argv[4]), float(sys.argv[5])
socks, start, sent = [], time.time(), 0
while time.time() < start + hold:
    if sent < bursts and time.time() >= start + sent * gap:
        for _ in range(n // bursts):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(path)
            s.sendall(b"status-json\n")
            s.setblocking(False)
            socks.append(s)
        sent += 1
        if sent == bursts:
            print("sent", flush=True)
    for s in socks:
        try:
            s.recv(65536)
        except OSError:
            pass
    time.sleep(0.5)
print("done", flush=True)
' "$CTL" "$@"
}
# mem_phase NAME CONNS BURSTS GAP HOLD: run the attack, a normal client
# during it, and measure; sets mem_peak (kB above base), mem_after (kB
# above base once the attack is over), mem_normal (the normal client's
# exit status) and mem_normal_s (its seconds).
mem_phase() {
	local name=$1 apid spid t0 t1
	shift
	mem_attack "$@" > "$W/attack-$name.out" 2>&1 &
	apid=$!
	# the peak, sampled every 0.2 s while the attack runs
	echo 0 > "$W/peak-$name"
	(
		peak=0
		while kill -0 "$apid" 2>/dev/null; do
			r=$(( $(rss_kb) - mem_base ))
			[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" > "$W/peak-$name"
			sleep 0.2
		done
	) &
	spid=$!
	reader_pids="$reader_pids $apid $spid"
	timeout 20 sh -c 'until grep -q sent "$0"; do sleep 0.1; done' "$W/attack-$name.out"
	sleep 0.3
	t0=$(date +%s%N)
	timeout 20 runuser -u nobody -- "$W/spigrp-92" --control "$CTL" --status \
		> "$W/normal-$name.out" 2>&1
	mem_normal=$?
	t1=$(date +%s%N)
	mem_normal_s=$(( (t1 - t0) / 1000000000 ))
	grep -q '^group m19999$' "$W/normal-$name.out" || mem_normal=99
	wait "$apid" "$spid" 2>/dev/null
	mem_peak=$(cat "$W/peak-$name")
	info "attack $name: $(tr '\n' ' ' < "$W/attack-$name.out")"
	sleep 2 # the daemon drops the closed connections
	mem_after=$(( $(rss_kb) - mem_base ))
}

mem_conf | write_conf "$CONF"
install -m 755 "$SPIGRP" "$W/spigrp-92" # where nobody can run it
if start_daemon; then
	ok "spigrpd starts on 20,000 SAs for the memory checks"
	# the base: after the start's address events were handled (a new
	# model of 20,000 groups, the old one freed) and one status-json was
	# answered (memory handed back as its answer went)
	sleep 1.5
	json_kb=$(( $("$SPIGRP" --control "$CTL" --json | wc -c) / 1024 ))
	sleep 0.5
	mem_base=$(rss_kb)
	# the bound: the cap (32 MiB), two answers being built or shared past
	# their guesses, and 16 MiB for the allocator
	mem_bound=$(( 32768 + 2 * json_kb + 16384 ))
	info "status-json is $json_kb kB; daemon RSS $mem_base kB before the attack"

	mem_phase burst 64 1 0 8
	info "64 at once: peak +$mem_peak kB, after +$mem_after kB; normal client: exit $mem_normal in ${mem_normal_s}s"
	check "64 status-json requests by nobody at once: RSS +$mem_peak kB, at most +$mem_bound kB" \
		test "$mem_peak" -le "$mem_bound"
	check "... a normal client (nobody's spigrp --status) is answered during it (exit $mem_normal, ${mem_normal_s}s)" \
		test "$mem_normal" = 0
	check "... and the memory is given back afterwards (+$mem_after kB, at most +16384 kB)" \
		test "$mem_after" -le 16384

	mem_phase spread 64 8 1.1 12
	info "64 over 8 s: peak +$mem_peak kB, after +$mem_after kB; normal client: exit $mem_normal in ${mem_normal_s}s"
	check "64 status-json requests by nobody over 8 s (no sharing): RSS +$mem_peak kB, at most +$mem_bound kB" \
		test "$mem_peak" -le "$mem_bound"
	check "... a normal client is answered during it (exit $mem_normal, ${mem_normal_s}s)" \
		test "$mem_normal" = 0
	check "... and the memory is given back afterwards (+$mem_after kB, at most +16384 kB)" \
		test "$mem_after" -le 16384
	check "SIGTERM stops the daemon" stop_daemon TERM
else
	not_ok "spigrpd starts on 20,000 SAs for the memory checks"
	sed 's/^/# log: /' "$LOG" | tail -n 20
fi
