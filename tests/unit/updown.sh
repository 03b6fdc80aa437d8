#!/bin/sh
# updown.sh: contrib/strongswan/spigrp-updown against a fake spigrp that
# records its arguments: the verbs that set and remove a label, the ones
# left alone, names mended to spigrp's rules, libreswan's bundle reqids,
# --control/SPIGRP_CONTROL, --then, and a daemon that refuses (the hook
# still succeeds).  No privileges; run by `make check`; by hand:
# top_srcdir=. tests/unit/updown.sh
set -u

hook=${top_srcdir:-.}/contrib/strongswan/spigrp-updown
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
log=$tmp/calls
fails=0

cat > "$tmp/spigrp" <<FAKE
#!/bin/sh
echo "\$*" >> "$log"
[ -z "\${FAKE_FAIL:-}" ] || { echo "spigrp: spigrpd refused: \$FAKE_FAIL" >&2; exit 1; }
FAKE
chmod 755 "$tmp/spigrp"

# check WHAT WANT VAR=VALUE... -- ARGS: run the hook with the environment
# and arguments; the recorded calls (one per line, joined by " | ") must
# be WANT; the hook must exit 0
check() {
	what=$1 want=$2
	shift 2
	: > "$log"
	env -i PATH=/usr/bin:/bin "$@" > "$tmp/out" 2>&1
	rc=$?
	got=$(paste -sd'|' "$log" | sed 's/|/ | /g')
	if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $rc, calls \"$got\", expected \"$want\""
		sed 's/^/  /' "$tmp/out"
		fails=$((fails + 1))
	else
		echo "ok: $what"
	fi
}

S="--spigrp $tmp/spigrp"
check "up-client sets" "--set-label net-net --reqid 1" \
	PLUTO_VERB=up-client PLUTO_CONNECTION=net-net PLUTO_REQID=1 sh "$hook" $S
check "up-host-v6 sets" "--set-label h6 --reqid 7" \
	PLUTO_VERB=up-host-v6 PLUTO_CONNECTION=h6 PLUTO_REQID=7 sh "$hook" $S
check "down-client removes" "--del-label --reqid 1" \
	PLUTO_VERB=down-client PLUTO_CONNECTION=net-net PLUTO_REQID=1 sh "$hook" $S
check "down-host removes" "--del-label --reqid 2" \
	PLUTO_VERB=down-host PLUTO_CONNECTION=x PLUTO_REQID=2 sh "$hook" $S
for v in prepare-host prepare-client route-client unroute-client ""; do
	check "verb \"$v\" left alone" "" \
		PLUTO_VERB=$v PLUTO_CONNECTION=x PLUTO_REQID=2 sh "$hook" $S
done
check "no reqid: nothing" "" PLUTO_VERB=up-client PLUTO_CONNECTION=x sh "$hook" $S
check "no name: nothing set" "" PLUTO_VERB=up-client PLUTO_REQID=3 sh "$hook" $S
check "name mended" "--set-label _a_b_c_d____x --reqid 3" \
	PLUTO_VERB=up-client "PLUTO_CONNECTION=-a b\"c'd\\\`éx" PLUTO_REQID=3 sh "$hook" $S
check "name cut to 63 bytes" \
	"--set-label 0123456789012345678901234567890123456789012345678901234567890ab --reqid 3" \
	PLUTO_VERB=up-client PLUTO_CONNECTION=0123456789012345678901234567890123456789012345678901234567890abcdef \
	PLUTO_REQID=3 sh "$hook" $S
check "libreswan bundle" \
	"--set-label west-east --reqid 16388 | --set-label west-east --reqid 16389 | --set-label west-east --reqid 16390" \
	PLUTO_VERB=up-client PLUTO_CONNECTION=west-east PLUTO_SA_REQID=16389 sh "$hook" $S
check "libreswan manual reqid" "--del-label --reqid 100" \
	PLUTO_VERB=down-client PLUTO_CONNECTION=m PLUTO_SA_REQID=100 sh "$hook" $S
check "--control" "--control /x/ctl --set-label a --reqid 4" \
	PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" --control /x/ctl $S
check "SPIGRP_CONTROL" "--control /y/ctl --set-label a --reqid 4" \
	SPIGRP_CONTROL=/y/ctl PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" $S
check "SPIGRPD_CONTROL first" "--control /z/ctl --set-label a --reqid 4" \
	SPIGRPD_CONTROL=/z/ctl SPIGRP_CONTROL=/y/ctl PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" $S
check "refused: still 0" "--set-label a --reqid 4" \
	FAKE_FAIL=EPERM PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" $S
grep -q "spigrp --set-label a --reqid 4 failed: spigrp: spigrpd refused: EPERM" "$tmp/out" ||
	{ echo "FAIL: the refusal is not reported: $(cat "$tmp/out")"; fails=$((fails + 1)); }
check "--then runs the next hook" "--set-label a --reqid 4 | then up-client a" \
	PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" $S \
	--then sh -c "echo then \$PLUTO_VERB \$PLUTO_CONNECTION >> $log"
env -i PLUTO_VERB=up-client PLUTO_CONNECTION=a PLUTO_REQID=4 sh "$hook" $S --then false
[ $? -eq 1 ] || { echo "FAIL: --then false: the next hook's status is not the exit status"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
exit 0
