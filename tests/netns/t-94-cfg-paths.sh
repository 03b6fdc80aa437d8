# t-94-cfg-paths.sh: the files the daemon reads, at start and at reload
# (sourced by run.sh after its own cases; uses its helpers and $W, $CONF,
# $LOG, $MNT, $CTL, $STATE, $NS).
#
# - A view mounted over the directory of the config file (or of the secrets
#   file) would hide it from every reload: refused at start, naming
#   FILE:LINE, and nothing is mounted.
# - Whatever it holds, a config file that others may write, or that is not
#   root's, is refused at reload; the running config stays, and the next
#   reload of a proper file is applied.
# - A reload of a file with a 1 MB value logs lines of bounded length.

# start_refused NAME CONF MOUNT PATTERN: spigrpd -f on CONF exits 1 at once
# and logs PATTERN (an extended regex); nothing is left mounted at MOUNT.
start_refused() {
	local name=$1 conf=$2 mnt=$3 pattern=$4 rc
	timeout 10 nsenter --net="/run/netns/$NS" "$SPIGRPD" -f -c "$conf" > "$W/$name.log" 2>&1
	rc=$?
	sed "s/^/# $name: /" "$W/$name.log" | cut -c1-200
	check "$name: refused at start (exit $rc), the log names the reason" \
		eval 'test "$rc" = 1 && grep -Eq "$pattern" "$W/$name.log"'
	if grep -q " $mnt " /proc/mounts; then
		not_ok "$name: a view was left mounted at $mnt"
		umount -l "$mnt"
	fi
}

# ---- the view over the config's or the secrets file's directory ----
mkdir -p "$W/hide-cfg" "$W/hide-keys-keys"
{
	printf '[daemon]\ndatapath = kernel\nmount = %s\ncontrol = %s\nstate-dir = %s\n' \
		"$W/hide-cfg" "$CTL" "$STATE"
	shunt_a
} > "$W/hide-cfg/spigrpd.conf" && chmod 600 "$W/hide-cfg/spigrpd.conf"
start_refused hide-cfg "$W/hide-cfg/spigrpd.conf" "$W/hide-cfg" \
	"spigrpd\.conf:3: mount \"$W/hide-cfg\" would hide the config file $W/hide-cfg/spigrpd\.conf"
: > "$W/hide-keys-keys/s.secrets" && chmod 600 "$W/hide-keys-keys/s.secrets"
{
	printf '[daemon]\ndatapath = kernel\nmount = %s\ncontrol = %s\nstate-dir = %s\nsecrets = %s\n' \
		"$W/hide-keys-keys" "$CTL" "$STATE" "$W/hide-keys-keys/s.secrets"
	shunt_a
} > "$W/hide-keys.conf" && chmod 600 "$W/hide-keys.conf"
start_refused hide-keys "$W/hide-keys.conf" "$W/hide-keys-keys" \
	"hide-keys\.conf:3: mount \"$W/hide-keys-keys\" would hide the secrets file $W/hide-keys-keys/s\.secrets"

# ---- reload: who may write the config ----
shunt_a | write_conf "$CONF"
if start_daemon && wait_view "$VIEW_A"; then
	ok "spigrpd runs on two shunt groups (for the reload cases)"
else
	not_ok "spigrpd runs on two shunt groups (for the reload cases)"
fi
# hup_refused WHAT PATTERN: SIGHUP; the log gets PATTERN and the view stays A.
hup_refused() {
	local what=$1 pattern=$2
	kill -HUP "$daemon_pid"
	check "$what: the reload is refused with the reason" wait_log "$pattern"
	check "$what: ... and the running config stays" \
		eval 'sleep 0.3; running && view_is "$VIEW_A"'
}
shunt_b | write_conf "$CONF"
chmod 666 "$CONF"
hup_refused "config made writable by everyone (no keys in it)" \
	"spigrpd\.conf: is writable by group or others \(mode 0666\); chmod go-w it"
chmod 600 "$CONF"
chown nobody "$CONF"
hup_refused "config given to user nobody" \
	"spigrpd\.conf: is owned by uid $(id -u nobody), not by root; chown root it"
chown root "$CONF"
kill -HUP "$daemon_pid"
check "a reload of the file made root's again is applied (its third group shows)" wait_view "$VIEW_B"

# ---- reload: a 1 MB value gives a short log line ----
{
	shunt_b
	printf 'proto = '
	head -c 1000000 /dev/zero | tr '\0' 'x'
	printf '\n'
} | write_conf "$CONF"
kill -HUP "$daemon_pid"
check "a reload of a file with a 1 MB value: refused, the value quoted cut" \
	wait_log 'bad proto "x{64}\.\.\.": expected'
check "... and no log line is longer than 4 KiB (longest: $(awk '{ if (length > m) m = length } END { print m + 0 }' "$LOG"))" \
	eval 'test "$(awk "length > 4096" "$LOG" | wc -l)" = 0'
check "SIGTERM stops the daemon" stop_daemon TERM
