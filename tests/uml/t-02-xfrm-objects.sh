#!/bin/sh
# spigrpd on both ends with contrib/seed.conf: the kernel objects, read
# back as `ip -s xfrm state` / `ip -s xfrm policy` text, are what the
# config means (spec/xfrm-notes.md §1.3): per SA the algorithm, key and ICV
# bits, mode, reqid in our band (one per group), flags (af-unspec on the
# tunnel COMP, align4 on IPv4 AH, esn: the default for static keys),
# infinite lifetimes, replay window 32, an empty selector; per group out (sender)
# or in + fwd (receiver) policies, priority in our band, templates COMP
# (tunnel, the outer addresses) -> ESP -> AH with the group's reqid, COMP
# "level use" on in/fwd only.
. "$UMLT_SRC/tests/uml/lib.sh"

topo_up
daemons_up left right

errs=$T/errors
: > "$errs"
err() {
	echo "$*" | tee -a "$errs"
}

for side in left right; do
	step "$side: states"
	xstates $side > "$T/$side.states"
	cat "$T/$side.states"
	nours=$(ours < "$T/$side.states" | wc -l)
	[ "$nours" -eq 12 ] || err "$side: $nours states in our reqid band, expected 12"
	: > "$T/$side.reqids"
	seed_sas | while read -r grp src dst proto spi enc auth; do
		what="$side: $proto $spi@$dst"
		recs=$(grep -F "src $src dst $dst ; proto $proto spi $spi(" "$T/$side.states")
		n=$(printf '%s' "$recs" | grep -c .)
		if [ "$n" -ne 1 ]; then
			err "$what: $n states, expected 1"
			continue
		fi
		r=$recs
		reqid=$(echo "$r" | sed -n 's/.* reqid [0-9]*(\(0x[0-9a-f]*\)).*/\1/p')
		case $reqid in
		0x534?????) echo "$grp $reqid" >> "$T/$side.reqids" ;;
		*) err "$what: reqid '$reqid' not in the band 0x534xxxxx" ;;
		esac
		flags=" $(echo "$r" | sed -n 's/.* flag \([a-z0-9 -]*\) (0x.*/\1/p') "
		has() { case "$r" in *"$1"*) return 0 ;; esac; return 1; }
		flag() { case "$flags" in *" $1 "*) return 0 ;; esac; return 1; }
		for l in 'limit: soft (INF)(bytes), hard (INF)(bytes)' \
			'limit: soft (INF)(packets), hard (INF)(packets)' \
			'expire add: soft 0(sec), hard 0(sec)' \
			'expire use: soft 0(sec), hard 0(sec)'; do
			has " ; $l" || err "$what: lifetime not '$l'"
		done
		# an empty selector: not printed (family 0) or 0/0 of the outer family
		if has ' ; sel '; then
			has ' ; sel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0 ; ' ||
				has ' ; sel src ::/0 dst ::/0 uid 0 ; ' ||
				err "$what: selector not empty (behind or at a tunnel it must be)"
		fi
		case $proto in
		comp)
			has ' mode tunnel ' || err "$what: not tunnel mode"
			has ' ; comp deflate' || err "$what: no 'comp deflate'"
			flag af-unspec || err "$what: no af-unspec flag (flags:$flags)"
			;;
		esp)
			has ' mode transport ' || err "$what: not transport mode"
			has " ; enc cbc(aes) $enc (128 bits)" ||
				err "$what: enc not cbc(aes) with the configured 128-bit key"
			has " ; auth-trunc hmac(sha256) $auth (256 bits) 128" ||
				err "$what: auth not hmac(sha256) truncated to 128 bits with the configured key"
			;;
		ah)
			has ' mode transport ' || err "$what: not transport mode"
			has " ; auth-trunc hmac(sha1) $auth (160 bits) 96" ||
				err "$what: auth not hmac(sha1) truncated to 96 bits with the configured key"
			case $dst in
			*:*) flag align4 && err "$what: align4 on IPv6 AH" ;;
			*) flag align4 || err "$what: no align4 flag on IPv4 AH (flags:$flags)" ;;
			esac
			;;
		esac
		case $proto in
		esp|ah)
			flag esn || err "$what: no esn flag (the default for static keys; flags:$flags)"
			# ESN: the window is in the ESN context; legacy: in the header
			has 'replay_window 32, ' || has ' ; replay-window 32 seq' ||
				err "$what: replay window not 32"
			;;
		esac
	done
	# one reqid per group, a different one for each group
	ng=$(sort -u "$T/$side.reqids" | awk '{print $1}' | sort | uniq -d | wc -l)
	[ "$ng" -eq 0 ] || err "$side: a group's states have different reqids: $(sort -u "$T/$side.reqids" | tr '\n' ' ')"
	nr=$(sort -u "$T/$side.reqids" | awk '{print $2}' | sort | uniq -d | wc -l)
	[ "$nr" -eq 0 ] || err "$side: two groups share a reqid: $(sort -u "$T/$side.reqids" | tr '\n' ' ')"

	step "$side: policies"
	xpolicies $side > "$T/$side.policies"
	cat "$T/$side.policies"
	nours=$(ours < "$T/$side.policies" | wc -l)
	[ "$nours" -eq 6 ] || err "$side: $nours policies in our reqid band, expected 6"
	seed_groups | while read -r grp snd rcv sts dts osrc odst; do
		reqid=$(awk -v g="$grp" '$1 == g { print $2; exit }' "$T/$side.reqids")
		if [ "$side" = "$snd" ]; then dirs=out; else dirs="in fwd"; fi
		for dir in $dirs; do
			what="$side: $grp policy $dir $sts -> $dts"
			r=$(grep -E "^src $sts dst $dts .* ; dir $dir action allow " "$T/$side.policies")
			n=$(printf '%s' "$r" | grep -c .)
			if [ "$n" -ne 1 ]; then
				err "$what: $n policies, expected 1"
				continue
			fi
			prio=$(echo "$r" | sed -n 's/.* priority \([0-9]*\) .*/\1/p')
			[ "${prio:-0}" -ge 1000000 ] && [ "$prio" -le 1999999 ] ||
				err "$what: priority '$prio' outside our band 1000000..1999999"
			for l in 'limit: soft (INF)(bytes), hard (INF)(bytes)' \
				'limit: soft (INF)(packets), hard (INF)(packets)'; do
				case "$r" in *" ; $l"*) ;; *) err "$what: lifetime not '$l'" ;; esac
			done
			# the templates in order: proto mode level reqid [outer addrs]
			got=$(echo "$r" | awk -F' ; ' '{
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^tmpl src /) { split($i, a, " "); addr = a[3] ">" a[5] }
					if ($i ~ /^proto /) {
						split($i, b, " ")
						match($i, /\(0x[0-9a-f]+\)/)
						rq = substr($i, RSTART + 1, RLENGTH - 2)
						split($(i + 1), l, " ")
						m = $i; sub(/.* mode /, "", m)
						t = b[2] " " m " " l[2] " " rq
						if (m == "tunnel") t = t " " addr
						out = out (out == "" ? "" : " / ") t
						if ($(i + 2) != "enc-mask ffffffff auth-mask ffffffff comp-mask ffffffff")
							out = out " (masks: " $(i + 2) ")"
					}
				}
				print out }')
			if [ "$dir" = out ]; then lvl=required; else lvl=use; fi
			want="comp tunnel $lvl $reqid $osrc>$odst / esp transport required $reqid / ah transport required $reqid"
			[ "$got" = "$want" ] ||
				err "$what: templates '$got', expected '$want'"
		done
	done
done

[ -s "$errs" ] && fail "$(wc -l < "$errs") mismatches, first: $(head -n 1 "$errs")"
exit 0
