#!/bin/sh
# PID 1 of the user-mode-linux guest booted by tests/uml/run.sh.
#
# The guest's root file system is the host's own root (hostfs), so every
# write lands in the host's files: everything a test writes goes to tmpfs,
# except the results directory the host made for us (bind-mounted to
# /run/uml-out before the tmpfs mounts hide its path).
#
# Environment (from the kernel command line): UMLT_SRC (source tree),
# UMLT_BUILD (build tree), UMLT_OUT (results dir), UMLT_CASE_TIMEOUT
# (seconds per case), UMLT_ONLY (optional: space-free comma list of case
# names to run), UMLT_SUITE (directory of the cases below the source tree,
# default tests/uml), UMLT_PREFIX (their file name prefix, default t-).
# Writes UMLT_OUT/results ("ok NAME" / "not ok NAME: why"),
# UMLT_OUT/NAME.log per case and UMLT_OUT/done at the end, then powers off.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

halt_now() {
	sync
	echo o > /proc/sysrq-trigger
	sleep 60
}

say() {
	echo "uml-guest: $*"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run || { say "cannot mount /run"; halt_now; }

# Pin the host paths we need before tmpfs hides them (the build tree may be
# under /tmp, e.g. with make distcheck).
mkdir -p /run/uml-src /run/uml-build /run/uml-out
mount --bind "$UMLT_SRC" /run/uml-src &&
	mount --bind "$UMLT_BUILD" /run/uml-build &&
	mount --bind "$UMLT_OUT" /run/uml-out ||
	{ say "cannot bind the source, build or results dir"; halt_now; }

for d in /tmp /var/tmp /root /var/lib /var/log /var/cache; do
	[ -d "$d" ] && mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp
mkdir -p /run/netns /run/lock /tmp/home
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null

OUT=/run/uml-out
RESULTS=$OUT/results
: > "$RESULTS"

# Kernel modules: Debian keeps UML's modules in /usr/lib/uml/modules/VER,
# which the host's /lib/modules may not even have a directory for.  Build a
# module root in tmpfs and point both our modprobe and the kernel's
# request_module() helper at it.
KVER=$(uname -r)
MODROOT=/run/modroot
mkdir -p "$MODROOT/lib/modules/$KVER"
mount --bind "/usr/lib/uml/modules/$KVER" "$MODROOT/lib/modules/$KVER" ||
	{ say "no modules for $KVER"; echo "not ok boot: no UML modules for $KVER" >> "$RESULTS"; halt_now; }
cat > /run/modprobe <<EOF
#!/bin/sh
exec /usr/sbin/modprobe -d $MODROOT "\$@"
EOF
chmod 755 /run/modprobe
echo /run/modprobe > /proc/sys/kernel/modprobe

MODS="ipv6 fuse tun veth dummy xfrm_user xfrm_algo esp4 ah4 ipcomp xfrm4_tunnel
esp6 ah6 ipcomp6 xfrm6_tunnel tunnel4 tunnel6 authenc gcm seqiv echainiv
chacha20poly1305 cbc aes_generic hmac sha1_generic sha256_generic
sha512_generic des3_ede_generic deflate"
modfail=
for m in $MODS; do
	if ! /run/modprobe "$m" 2>/tmp/modprobe.err; then
		# built in is fine
		grep -q "/$m.ko" "/usr/lib/uml/modules/$KVER/modules.builtin" ||
			modfail="$modfail $m($(head -c 200 /tmp/modprobe.err))"
	fi
done
[ -n "$modfail" ] && say "modprobe failed:$modfail"
[ -e /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; }
[ -e /dev/fuse ] || mknod /dev/fuse c 10 229

ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null

export HOME=/tmp/home
export PYTHONDONTWRITEBYTECODE=1
export UMLT_SRC=/run/uml-src UMLT_BUILD=/run/uml-build UMLT_OUT=$OUT
export UMLT_MODFAIL="$modfail"
: "${UMLT_CASE_TIMEOUT:=240}"
export UMLT_CASE_TIMEOUT

SUITE=${UMLT_SUITE:-tests/uml}
PREFIX=${UMLT_PREFIX:-t-}
say "kernel $KVER, $(nproc) cpu, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo), cases $SUITE/$PREFIX*.sh"

# Kill what a case left behind, remove its network namespaces and mounts.
cleanup_case() {
	pg=$1
	kill -TERM "-$pg" 2>/dev/null
	sleep 0.3
	kill -KILL "-$pg" 2>/dev/null
	# FUSE and other mounts a case made under /run or /tmp
	awk '$2 ~ "^/(run|tmp)/umlt" { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		ip netns pids "$ns" 2>/dev/null | while read -r p; do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf /tmp/umlt.* /run/umlt.*
}

npass=0
nfail=0
for t in "$UMLT_SRC/$SUITE/$PREFIX"*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	name=${name#"$PREFIX"}
	if [ -n "$UMLT_ONLY" ]; then
		# "07-stop" or just "stop"
		case ",$UMLT_ONLY," in
		*",$name,"* | *",${name#[0-9][0-9]-},"*) ;;
		*) continue ;;
		esac
	fi
	log=$OUT/$name.log
	reasonf=/run/umlt-reason.$name
	rm -f "$reasonf"
	say "case $name"
	start=$(date +%s)
	# timeout makes itself a process group leader: its pid is the
	# group of everything the case starts.
	UMLT_CASE=$name UMLT_REASON=$reasonf \
		timeout -k 10 "$UMLT_CASE_TIMEOUT" /bin/sh "$t" > "$log" 2>&1 &
	pg=$!
	wait "$pg"
	rc=$?
	cleanup_case "$pg"
	took=$(( $(date +%s) - start ))
	reason=
	[ -s "$reasonf" ] && reason=$(head -n 1 "$reasonf")
	if [ "$rc" -eq 0 ]; then
		echo "ok $name (${took}s)" >> "$RESULTS"
		npass=$((npass + 1))
	else
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] &&
			reason="timed out after ${UMLT_CASE_TIMEOUT}s${reason:+ ($reason)}"
		[ -n "$reason" ] || reason="exit status $rc"
		echo "not ok $name: $reason" >> "$RESULTS"
		nfail=$((nfail + 1))
	fi
	rm -f "$reasonf"
	sync
done

say "$npass passed, $nfail failed"
echo "$npass $nfail" > "$OUT/done"
halt_now
