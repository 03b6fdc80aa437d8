# t-02-view-reads: shunt groups (%pass/%drop, policies only) give the view
# content: read byte for byte with cat, dd bs=1, dd from an offset, head -c,
# as user nobody and through spigrp; spigrp --status and --json; who may
# ask what over the control socket.

shunt_a | write_conf "$CONF"
check_start "spigrpd starts on a config of %pass/%drop groups"
check "the shunt groups are in the kernel as policies" test "$(npolicies)" -gt 0
check "cat reads the view byte for byte" view_is "$VIEW_A"
if ! view_is "$VIEW_A"; then
	info "expected: $(od -c < "$VIEW_A" | head -3 | tr '\n' ' ')"
	info "got:      $(od -c < "$V" | head -3 | tr '\n' ' ')"
fi
check "dd bs=1 reads the same bytes" \
	cmp -s <(dd if="$V" bs=1 2>/dev/null) "$VIEW_A"
check "dd bs=3 skip=2 reads from an offset" \
	cmp -s <(dd if="$V" bs=3 skip=2 2>/dev/null) <(dd if="$VIEW_A" bs=3 skip=2 2>/dev/null)
size_a=$(wc -c < "$VIEW_A")
check "head -c $size_a reads all of it" cmp -s <(head -c "$size_a" "$V") "$VIEW_A"
check "head -c 4 reads the first 4 bytes" cmp -s <(head -c 4 "$V") <(head -c 4 "$VIEW_A")
check "user nobody reads the same bytes (allow_other, 0444)" \
	cmp -s <(runuser -u nobody -- cat "$V") "$VIEW_A"
check "spigrp prints the view, byte for byte" cmp -s <("$SPIGRP" --control "$CTL") "$VIEW_A"
# (a copy: the build tree may sit where nobody cannot reach it)
install -m 755 "$SPIGRP" "$W/spigrp"
check "spigrp run by nobody prints the view too" \
	cmp -s <(runuser -u nobody -- "$W/spigrp" --control "$CTL") "$VIEW_A"
st=$("$SPIGRP" --control "$CTL" --status 2>&1)
rc=$?
check "spigrp --status names every group (exit $rc)" \
	test "$rc" = 0 -a -n "$(echo "$st" | grep pass4)" -a -n "$(echo "$st" | grep drop6)"
check "spigrp --status --json: both groups installed" \
	test "$(json_states)" = "pass4=installed drop6=installed"
ans=$(ctl_req reload nobody 2>&1)
check "unprivileged 'reload' over the control socket is refused (errno=1)" \
	test "$(echo "$ans" | tail -n 1)" = "errno=1"
check "root may 'reload' over the control socket (errno=0)" \
	test "$(ctl_req reload | tail -n 1)" = "errno=0"
check "unprivileged 'view' over the control socket works" \
	test "$(ctl_req view nobody 2>&1 | tail -n 1)" = "errno=0"
end_daemon t-02-view-reads
