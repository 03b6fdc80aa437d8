# t-03-reload: 50 readers (cat, dd bs=1, dd bs=5) during 100 SIGHUPs that
# alternate configs A and B: every read is one full rendering, never a mix,
# and the kernel ends with A's policies.  Then a broken config on SIGHUP:
# the errors logged as FILE:LINE, the running config (B) stays.

shunt_a | write_conf "$CONF"
need_start "spigrpd starts on config A for the reloads"
policies_a=$(npolicies)
shunt_b | write_conf "$CONF_B"
sum_a=$(md5sum < "$VIEW_A")
sum_b=$(md5sum < "$VIEW_B")
stopfile=$W/readers.stop
mkdir -p "$W/readers"
reader_pids=
for r in $(seq 50); do
	(
		# Each reader in its own way; every read is hashed, and every hash
		# must be one of the two full renderings.
		out=$W/readers/$r
		: > "$out"
		while [ ! -e "$stopfile" ]; do
			case $((r % 3)) in
			0) s=$(cat "$V" | md5sum) ;;
			1) s=$(dd if="$V" bs=1 2>/dev/null | md5sum) ;;
			2) s=$(dd if="$V" bs=5 2>/dev/null | md5sum) ;;
			esac
			echo "$s" >> "$out"
		done
	) &
	reader_pids="$reader_pids $!"
done
hups=0
for i in $(seq 100); do
	if [ $((i % 2)) = 1 ]; then cp -p "$CONF_B" "$CONF.new"; else cp -p "$CONF_A" "$CONF.new"; fi
	mv -f "$CONF.new" "$CONF"
	kill -HUP "$daemon_pid" 2>/dev/null && hups=$((hups + 1))
	sleep 0.05
done
sleep 1
touch "$stopfile"
for p in $reader_pids; do
	wait "$p" 2>/dev/null
done
reader_pids=
total=$(cat "$W"/readers/* | wc -l)
n_a=$(cat "$W"/readers/* | grep -c -F -x -e "$sum_a")
n_b=$(cat "$W"/readers/* | grep -c -F -x -e "$sum_b")
info "$hups SIGHUPs, $total reads: $n_a of rendering A, $n_b of rendering B"
check "100 SIGHUPs sent while 50 readers read" test "$hups" = 100
check "every one of $total reads is one full rendering, never a mix" \
	test "$total" -gt 0 -a "$((n_a + n_b))" = "$total"
check "both renderings were seen by the readers" test "$n_a" -gt 0 -a "$n_b" -gt 0
check "the daemon survived the SIGHUPs" kill -0 "$daemon_pid"
check "after the last SIGHUP (config A) the view is rendering A" wait_view "$VIEW_A"
check "and the kernel holds exactly A's policies again" \
	test "$policies_a" -gt 0 -a "$(npolicies)" = "$policies_a"

# ---- a broken config on SIGHUP keeps the running one ----
cp -p "$CONF_B" "$CONF.new" && mv -f "$CONF.new" "$CONF"
kill -HUP "$daemon_pid"
check "SIGHUP with config B: the view becomes rendering B" wait_view "$VIEW_B"
{
	shunt_b
	cat <<'EOF'

[group broken]
said = esp.99@192.168.2.110 ah.zz@192.168.2.110
src-ts = 10.9.5.0/24
dst-ts = 10.9.6.0/24
no-such-key = 1
EOF
} | write_conf "$CONF"
lines_before=$(wc -l < "$LOG")
kill -HUP "$daemon_pid"
check "SIGHUP with a broken config: the errors are logged" \
	wait_log 'reload: .* has errors; the running config stays'
check "... each error as FILE:LINE" \
	sh -c "tail -n +$((lines_before + 1)) '$LOG' | grep -Eq '$CONF:[0-9]+: '"
sleep 0.5
check "... the old view stays (rendering B)" view_is "$VIEW_B"
check "... and the daemon still runs" kill -0 "$daemon_pid"

end_daemon t-03-reload
