#!/bin/sh
# Static keys never reuse a sequence number (DESIGN.md decision 7): the
# left end's outbound kernel SAs of seed4 and seed6 keep going up, as the
# right end's kernel (the receiver, never restarted) sees them, across
#  - a clean restart of left (SIGTERM: the exact last numbers are recorded,
#    the new states start right above them),
#  - kill -9 (the states stay and are adopted; the kernel keeps counting),
#  - kill -9 and the kernel's states lost (as after a reboot: the new
#    states start above the last record plus the margin, 2^28),
# and the receiver counts no replay, no replay-window and no integrity
# failure, and its sequence numbers only grow.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right
SEQFILE=$(side_dir left)/state/seq
MARGIN=268435456

# seqs SIDE: "SPI DST SEQ FAILURES" per ESP/AH state of ours on SIDE: SEQ is
# the 64-bit output (oseq-hi:oseq) or input (seq-hi:seq) counter as
# `ip -s xfrm state` prints it, FAILURES "replay+window+integrity"
seqs() {
	xstates "$1" | ours | "$PY" -c '
import re, sys
for line in sys.stdin:
    m = re.search(r"^src \S+ dst (\S+) ; proto (esp|ah) spi (0x[0-9a-f]+)", line)
    e = re.search(r"seq-hi (0x[0-9a-f]+), seq (0x[0-9a-f]+), oseq-hi (0x[0-9a-f]+), oseq (0x[0-9a-f]+)", line)
    st = re.search(r"stats: ; replay-window (\d+) replay (\d+) failed (\d+)", line)
    if not m or not e or not st:
        continue
    sh, s, oh, o = (int(x, 16) for x in e.groups())
    print(m.group(3), m.group(1), oh << 32 | o, sh << 32 | s,
          "+".join(st.groups()))
'
}
# out_seq SPI [DST]: left's output counter of the SA (left is the sender;
# DST default 192.168.2.110)
out_seq() {
	seqs left | awk -v s="$1" -v d="${2:-192.168.2.110}" '$1 == s && $2 == d { print $3; exit }'
}
# in_seq SPI [DST]: right's input counter of the SA (right is the receiver)
in_seq() {
	seqs right | awk -v s="$1" -v d="${2:-192.168.2.110}" '$1 == s && $2 == d { print $4; exit }'
}
# no_failures: right's states counted no replay/window/integrity failure
no_failures() {
	seqs right > "$T/right.seqs"
	[ -s "$T/right.seqs" ] || fail "no ESP/AH states on right"
	awk '$5 != "0+0+0" { bad = 1; print "# " $0 } END { exit bad }' "$T/right.seqs"
}
traffic() {
	ns left ping -c "$1" -i 0.2 -W 2 -I 10.0.1.1 10.0.2.1 > /dev/null ||
		fail "no traffic through seed4 ($2)"
	ns left ping -6 -c "$1" -i 0.2 -W 2 -I fd00:1::1 fd00:2::1 > /dev/null ||
		fail "no traffic through seed6 ($2)"
}
# record SPI DST: the seq file's record of the SAID (decimal)
record() {
	"$PY" - "$1" "$2" "$SEQFILE" <<'EOF'
import sys
spi, dst, path = int(sys.argv[1], 16), sys.argv[2], sys.argv[3]
for line in open(path):
    if line.startswith("#") or not line.strip():
        continue
    said, upto = line.split()
    head, _, addr = said.partition("@")
    if addr == dst and int(head[4:], 16) == spi:
        print(int(upto, 16))
EOF
}
ESP4=0x187a101b
AH4=0x187a101a

step "traffic through seed4 and seed6"
traffic 5 "first"
seqs left > "$T/s0"
cat "$T/s0"
s0=$(out_seq $ESP4)
[ -n "$s0" ] && [ "$s0" -ge 5 ] || fail "left's esp $ESP4 sent $s0 packets, want at least 5"
[ "$(in_seq $ESP4)" = "$s0" ] || fail "right received up to $(in_seq $ESP4), left sent $s0"
no_failures || fail "right counted failures before any restart"
ls -l "$SEQFILE"
[ "$(stat -c %a "$SEQFILE")" = 600 ] || fail "$SEQFILE is not mode 0600"

step "SIGTERM, start again: the exact last numbers recorded, nothing skipped"
daemon_stop left TERM || fail "left did not stop on SIGTERM"
cat "$SEQFILE"
[ "$(record $ESP4 192.168.2.110)" = "$s0" ] ||
	fail "the record of esp $ESP4 is $(record $ESP4 192.168.2.110), the last number sent $s0"
daemon_start left
daemon_wait left 4
[ "$(out_seq $ESP4)" = "$s0" ] || fail "the new state's counter is $(out_seq $ESP4), want $s0"
traffic 3 "after SIGTERM"
s1=$(out_seq $ESP4)
r1=$(in_seq $ESP4)
info "esp $ESP4: sent up to $s0, after the restart $s1; right received up to $r1"
[ "$s1" -gt "$s0" ] && [ "$r1" = "$s1" ] || fail "sequence numbers after SIGTERM: sent $s1, received $r1, before $s0"
no_failures || fail "right counted failures after the SIGTERM restart"

step "kill -9, traffic while the daemon is down, start again (adopted)"
daemon_stop left KILL
traffic 3 "daemon killed"
s2=$(out_seq $ESP4)
: > "$T/left.log"
daemon_start left
daemon_wait left 4
grep -q 'adopted' "$T/left.log" || fail "left did not adopt its states after kill -9"
[ "$(out_seq $ESP4)" = "$s2" ] || fail "adopted state's counter $(out_seq $ESP4), want $s2"
rec=$(record $ESP4 192.168.2.110)
[ -n "$rec" ] && [ "$rec" -ge $((s2 + MARGIN)) ] ||
	fail "at start the record should be what the kernel sent plus the margin: $rec < $s2 + $MARGIN"
traffic 3 "after kill -9"
s3=$(out_seq $ESP4)
[ "$s3" -gt "$s2" ] && [ "$(in_seq $ESP4)" = "$s3" ] || fail "after kill -9: sent $s3, received $(in_seq $ESP4), before $s2"
no_failures || fail "right counted failures after kill -9"

step "kill -9 and the kernel's states gone (as after a reboot): above the record"
daemon_stop left KILL
ns left ip xfrm state flush
ns left ip xfrm policy flush
rec=$(record $ESP4 192.168.2.110)
: > "$T/left.log"
daemon_start left
daemon_wait left 4
s4=$(out_seq $ESP4)
info "record $rec; the new state starts after $s4"
[ "$s4" -ge "$rec" ] || fail "the new state starts at $((s4 + 1)), not above the record $rec"
traffic 3 "after the states were lost"
s5=$(out_seq $ESP4)
r5=$(in_seq $ESP4)
info "esp $ESP4: sent up to $s5 (before: $s3), right received up to $r5"
[ "$s5" -gt "$s3" ] && [ "$r5" = "$s5" ] || fail "after the loss: sent $s5, received $r5, before $s3"
for sa in "$AH4 192.168.2.110" "$ESP4 3049:1::2" "$AH4 3049:1::2"; do
	# shellcheck disable=SC2086 # two words
	[ "$(out_seq $sa)" -ge "$MARGIN" ] || fail "left's $sa restarted below the margin: $(out_seq $sa)"
	# shellcheck disable=SC2086
	[ "$(out_seq $sa)" = "$(in_seq $sa)" ] || fail "right's $sa received $(in_seq $sa), left sent $(out_seq $sa)"
done
no_failures || fail "right counted failures after the jump"
cat "$T/right.seqs"
grep -E 'XfrmIn(StateSeqError|NoStates|StateProtoError)' /proc/net/xfrm_stat 2>/dev/null || true
exit 0
