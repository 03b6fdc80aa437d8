# t-93-ctl-escape.sh: sourced by tests/netns/run.sh (its helpers and
# variables: check, ok, not_ok, start_daemon, stop_daemon, write_conf,
# shunt_a, $W, $CONF, $CTL, $LOG, $PY).
#
# A refused command name reaches the log and the client escaped: C1
# controls (U+009B, CSI, as UTF-8 "\xc2\x9b"), bidi overrides (U+202E) and
# raw bytes above 0x7f never go out as they came, and a long name is cut.
# The log lines that any client can cause are rate-limited: 100 bad
# requests from user nobody give at most 10 lines a minute.  (The daemon
# used to log and answer such names raw, one line per request.)

# ctl_hex USER HEX: send the bytes HEX (the request, newline included) as
# USER; the answer, raw, on stdout.
ctl_hex() {
	runuser -u "$1" -- "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
s.shutdown(socket.SHUT_WR)
sys.stdout.buffer.write(b"".join(iter(lambda: s.recv(65536), b"")))
' "$CTL" "$2"
}
# raw_in FILE: FILE holds a C1 control in UTF-8, a bidi override, or a
# raw CSI byte.
raw_in() {
	LC_ALL=C grep -q -e $'\xc2\x9b' -e $'\xe2\x80\xae' -e $'\x9b' "$1"
}

shunt_a | write_conf "$CONF"
if start_daemon; then
	ok "spigrpd starts again for the escaping checks"
else
	not_ok "spigrpd starts again for the escaping checks"
fi
evil=c29b33316de280ae6576696c0a # "\xc2\x9b" "31m" U+202E "evil\n"
ctl_hex nobody "$evil" > "$W/evil.out"
check "nobody's command name with a C1 control and a bidi override comes back escaped (errno=22)" \
	test "$(cat "$W/evil.out")" = 'unknown command "\xc2\x9b31m\u{202e}evil" (try help)
errno=22'
ctl_hex root "$evil" > "$W/evil-root.out"
check "... root's too" cmp -s "$W/evil.out" "$W/evil-root.out"
check "... and it is logged escaped" \
	grep -qF 'unknown command "\xc2\x9b31m\u{202e}evil"' "$LOG"
check "... with no raw C1, bidi or CSI byte in the log" eval '! raw_in "$LOG"'
long=$("$PY" -c 'print("9b" + "41" * 300 + "0a")')
ctl_hex nobody "$long" > "$W/long.out"
check "a 301-byte unknown name is cut at 48 bytes in the answer, escaped" \
	test "$(cat "$W/long.out")" = "unknown command \"\\x9b$(printf 'A%.0s' $(seq 47))...\" (try help)
errno=22"
before=$(grep -c 'ctl: refused' "$LOG")
runuser -u nobody -- "$PY" -c '
import socket, sys
for i in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(b"\xe2\x80\xaenope%d\n" % i)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
' "$CTL"
after=$(grep -c 'ctl: refused' "$LOG")
check "100 bad requests by nobody: at most 10 refusal lines logged this minute ($before before, $after after)" \
	test "$after" -le 10
check "... none of them raw" eval '! raw_in "$LOG"'
check "... and the daemon still answers (view, errno=0)" \
	test "$(ctl_req view nobody | tail -n 1)" = "errno=0"
check "help lists the commands from the one table, reload as privileged" \
	eval 'ctl_req help nobody | grep -q "^reload .*(root or control-group)$"'
check "SIGTERM stops the daemon" stop_daemon TERM
