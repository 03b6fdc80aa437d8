#!/bin/sh
# The view on a kernel that holds the seed's groups: on both ends
# `ipsec_spigrp` is, byte for byte, the seed's two lines then the reverse
# lines (contrib/seed.conf order), read with cat, with 1-byte reads, and
# through `spigrp --control`.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right

seed_view > "$T/want"
for side in left right; do
	v=$(view_of $side)
	step "$side: $v"
	cat "$v" > "$T/$side.cat" || fail "$side: cat $v failed"
	od -c "$T/$side.cat"
	cmp "$T/want" "$T/$side.cat" ||
		fail "$side: view differs from the seed's lines: $(diff "$T/want" "$T/$side.cat" | head -n 3 | tr '\n' ' ')"
	dd if="$v" bs=1 of="$T/$side.dd" 2>/dev/null || fail "$side: dd bs=1 $v failed"
	cmp "$T/want" "$T/$side.dd" || fail "$side: view read 1 byte at a time differs"
	"$SPIGRP" --control "$(side_dir $side)/ctl" > "$T/$side.spigrp" 2>&1 ||
		fail "$side: spigrp --control failed: $(head -n 1 "$T/$side.spigrp")"
	cmp "$T/want" "$T/$side.spigrp" ||
		fail "$side: spigrp output differs from the view: $(head -n 1 "$T/$side.spigrp")"
	ver=$(cat "$(side_dir $side)/net/ipsec_version") || fail "$side: no ipsec_version"
	info "ipsec_version: $ver"
done
exit 0
