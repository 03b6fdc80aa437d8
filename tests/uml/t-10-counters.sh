#!/bin/sh
# Counters across SIGHUP (issue 5, part 2: an unchanged group keeps its
# runtime objects): after pings through seed4 and seed6, a SIGHUP with the
# same file leaves every SA's counters as they were (the groups were not
# touched: a reinstalled state would count from 0), in `spigrp --status
# --json` and `--status`; a SIGHUP that changes seed4's ESP key restarts
# seed4's counters only.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right
CTL=$(side_dir left)/ctl

# counters FILE: "GROUP SAID BYTES PACKETS" per SA of left's groups
counters() {
	"$SPIGRP" --control "$CTL" --status --json > "$T/status.json" ||
		fail "spigrp --status --json failed"
	"$PY" -c 'import json, sys
for g in json.load(open(sys.argv[1]))["groups"]:
    for sa in g["sas"]:
        print(g["name"], sa["said"], sa.get("bytes", "-"), sa.get("packets", "-"))' \
		"$T/status.json" > "$1" || fail "cannot read the JSON status"
}
# packets GROUP SAID FILE
packets() {
	awk -v g="$1" -v s="$2" '$1 == g && $2 == s { print $4 }' "$3"
}
# hup_and_wait SIDE...: SIGHUP, then wait for each daemon's "reloaded"
hup_and_wait() {
	for _s in "$@"; do
		_n=$(grep -c 'reloaded ' "$T/$_s.log")
		echo "$_n" > "$T/$_s.reloads"
		kill -HUP "$(daemon_pid "$_s")"
	done
	for _s in "$@"; do
		_i=0
		until [ "$(grep -c 'reloaded ' "$T/$_s.log")" -gt "$(cat "$T/$_s.reloads")" ]; do
			_i=$((_i + 1))
			[ $_i -lt 100 ] || { cat "$T/$_s.log"; fail "$_s did not reload in 10 s"; }
			sleep 0.1
		done
	done
}

step "traffic through seed4 and seed6"
ns left ping -c 3 -i 0.3 -W 2 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null ||
	fail "no traffic through seed4"
ns left ping -6 -c 3 -i 0.3 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null ||
	fail "no traffic through seed6"
counters "$T/before"
cat "$T/before"
p4=$(packets seed4 esp.187a101b@192.168.2.110 "$T/before")
p6=$(packets seed6 esp:187a101b@3049:1::2 "$T/before")
[ "${p4:-0}" -ge 3 ] && [ "${p6:-0}" -ge 3 ] ||
	fail "the pings were not counted (seed4 ESP: ${p4:-none}, seed6 ESP: ${p6:-none} packets)"
"$SPIGRP" --control "$CTL" --status > "$T/status.before" || fail "spigrp --status failed"

step "SIGHUP, same file: every counter stays"
hup_and_wait left
counters "$T/after"
cat "$T/after"
cmp -s "$T/before" "$T/after" ||
	fail "counters changed across a SIGHUP that changed nothing: $(diff "$T/before" "$T/after" | grep '^[<>]' | head -n 2 | tr '\n' ' ')"
"$SPIGRP" --control "$CTL" --status > "$T/status.after" || fail "spigrp --status failed"
cmp -s "$T/status.before" "$T/status.after" || fail "spigrp --status changed across the SIGHUP"
grep -q "esp.187a101b@192.168.2.110: bytes [1-9][0-9]* packets $p4 " "$T/status.after" ||
	fail "spigrp --status does not show seed4's ESP counters"

step "SIGHUP with seed4's ESP key changed: seed4 starts again, seed6 keeps its counters"
seed_key_changed "$T/changed.conf"
for s in left right; do
	mkconf $s "$T/changed.conf"
done
hup_and_wait left right
counters "$T/changed"
cat "$T/changed"
[ "$(packets seed4 esp.187a101b@192.168.2.110 "$T/changed")" = 0 ] ||
	fail "seed4 was reinstalled, but its ESP counters did not restart"
[ "$(packets seed6 esp:187a101b@3049:1::2 "$T/changed")" = "$p6" ] ||
	fail "seed6 did not change, but its ESP counters did"
ns left ping -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null ||
	fail "no traffic through seed4 with its new key"
counters "$T/last"
[ "$(packets seed4 esp.187a101b@192.168.2.110 "$T/last")" -ge 2 ] ||
	fail "seed4's new ESP state does not count"
exit 0
