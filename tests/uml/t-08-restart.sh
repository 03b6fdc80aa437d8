#!/bin/sh
# kill -9, then start again: the objects left in the kernel are adopted
# (the same policies, by their kernel index, and the same states, by their
# add time), nothing is duplicated, the stale view mount is replaced and
# traffic flows.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right

# identity of every object of ours: states by SAID and add time, policies
# by selector, direction and kernel index
idents() {
	{
		xstates left | ours | sed -n 's/^\(src [^ ]* dst [^ ]*\) ; proto \([a-z0-9]*\) spi \([0-9a-fx]*\)(.* ; add \([-0-9: ]*\) use.*/state \1 \2 \3 added \4/p'
		xpolicies left | ours | sed -n 's/^\(src [^ ]* dst [^ ]*\) .* ; dir \([a-z]*\) action [a-z]* index \([0-9]*\) .*/policy \1 \2 index \3/p'
	} | sort
}
counts() {
	echo "$(xstates left | ours | wc -l) states, $(xpolicies left | ours | wc -l) policies, $(xstates left | grep -c -E ' ; proto (4|41) spi ') kernel tunnel states"
}
idents > "$T/before"
c0=$(counts)
info "running: $c0"
cat "$T/before"
[ "$(wc -l < "$T/before")" -eq 18 ] || fail "expected 12 states + 6 policies of ours, got $(wc -l < "$T/before") identities"

step "kill -9"
daemon_stop left KILL
c1=$(counts)
info "after kill -9: $c1"
[ "$c1" = "$c0" ] || fail "kill -9 changed the kernel objects ($c0 -> $c1)"
sleep 1.5 # a replaced state would show another add time

step "start again"
: > "$T/left.log"
daemon_start left
daemon_wait left 4
sleep 1
cat "$T/left.log"
c2=$(counts)
info "after the restart: $c2"
[ "$c2" = "$c0" ] || fail "objects after the restart: $c2, before: $c0 (duplicated or lost)"
idents > "$T/after"
cmp "$T/before" "$T/after" ||
	fail "objects were replaced, not adopted: $(diff "$T/before" "$T/after" | grep '^[<>]' | head -n 2 | tr '\n' ' ')"
seed_view | cmp - "$(view_of left)" || fail "the view after the restart is not the seed's"

ns left ping -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I 10.0.1.1 10.0.2.1 > /dev/null ||
	fail "no traffic after the restart (v4)"
ns left ping -6 -c 2 -i 0.3 -W 2 -s 1000 -p 00 -I fd00:1::1 fd00:2::1 > /dev/null ||
	fail "no traffic after the restart (v6)"
exit 0
