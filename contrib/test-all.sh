#!/bin/bash
# contrib/test-all.sh: install, build and run every test tier of spigrpd,
# as root on Debian 12.  .ci/run calls it.
#
# Tiers, in order (the first failure stops the run):
#   deps        the Debian packages (contrib/deps.sh)
#   build       autoreconf, configure, make (contrib/build.sh)
#   unit        make check
#   sanitizers  make check again, from the dist tarball, built with
#               --enable-sanitizers (ASan + UBSan)
#   fuzz        make fuzz: each libFuzzer harness (tests/fuzz/, clang,
#               ASan + UBSan) for SPIGRPD_FUZZ_SECONDS (default 60) seconds
#   distcheck   make distcheck
#   systemd     make install to a scratch DESTDIR, then
#               systemd-analyze verify on the installed unit
#   netns       tests/netns/run.sh (this machine's kernel, network namespaces)
#   uml         tests/uml/run.sh (user-mode-linux: ESP, AH, IPComp)
#
# Every tier's output goes to the terminal and to LOGDIR/TIER.log; at the
# end (or at the first failure) a summary names each tier's result and its
# counts.  Outside CI a privileged tier that cannot run here (exit 77) is
# reported as skipped; with CI=true a skip is a failure.
#
# Environment: SPIGRPD_TIERS (space-separated subset of the tiers above, in
# any order; they still run in the order above), SPIGRPD_LOGDIR,
# SPIGRPD_FUZZ_SECONDS.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

export DEBIAN_FRONTEND=noninteractive
all_tiers="deps build unit sanitizers fuzz distcheck systemd netns uml"
want=${SPIGRPD_TIERS:-$all_tiers}
jobs=$(nproc 2>/dev/null || echo 2)
in_ci=false
[ "${CI:-}" = true ] && in_ci=true

if [ "$(id -u)" -ne 0 ]; then
	echo "test-all: run this as root (packages, network namespaces, FUSE, UML)" >&2
	exit 1
fi

logdir=${SPIGRPD_LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-test-all.XXXXXX")}
mkdir -p "$logdir"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/spigrpd-scratch.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

declare -a summary=()
npass=0
nfail=0
nskip=0

print_summary() {
	local line
	echo
	echo "==================== test-all summary ===================="
	for line in "${summary[@]}"; do
		echo "$line"
	done
	echo "logs: $logdir"
	echo "tiers: $npass passed, $nfail failed, $nskip skipped"
}

# tier_counts LOG: the counts a tier's log ends with, as one short line.
tier_counts() {
	local log=$1 c
	# automake's test driver (make check, make distcheck): "# PASS:  5"
	c=$(grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR): ' "$log" |
		tail -n 7 | sed 's/^# //; s/  */ /g' | paste -sd ' ' - || true)
	if [ -z "$c" ]; then
		# our shell harnesses: "N passed, N failed", maybe after "word: "
		c=$(grep -E '^([a-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
	fi
	echo "$c"
}

# automake test-suite counts: in CI every skip is a failure, and a run
# that ran nothing is one too.
check_automake_counts() {
	local log=$1 total skip
	total=$(grep -E '^# TOTAL: ' "$log" | tail -n 1 | awk '{print $3}')
	skip=$(grep -E '^# SKIP: ' "$log" | tail -n 1 | awk '{print $3}')
	if [ -z "$total" ] || [ "$total" -eq 0 ]; then
		echo "test-all: no test ran (no '# TOTAL' line, or zero)"
		return 1
	fi
	if $in_ci && [ "${skip:-0}" -ne 0 ]; then
		echo "test-all: $skip test(s) skipped, and in CI a skip is a failure"
		return 1
	fi
	return 0
}

# run_tier NAME: run tier_NAME with its output on the terminal and in
# LOGDIR/NAME.log; record the result; stop everything on failure.
run_tier() {
	local name=$1 log="$logdir/$1.log" start rc
	case " $want " in
	*" $name "*) ;;
	*) return 0 ;;
	esac
	echo
	echo "==================== tier $name ===================="
	start=$(date +%s)
	set +e
	( set -e; "tier_$name" "$log" ) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	local secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		npass=$((npass + 1))
		summary+=("$(printf '%-11s passed   %5ss  %s' "$name" "$secs" "$(tier_counts "$log")")")
		return 0
	fi
	if [ "$rc" -eq 77 ] && ! $in_ci; then
		nskip=$((nskip + 1))
		summary+=("$(printf '%-11s SKIPPED  %5ss  (cannot run here; see %s)' "$name" "$secs" "$log")")
		return 0
	fi
	nfail=$((nfail + 1))
	summary+=("$(printf '%-11s FAILED   %5ss  exit %s  %s' "$name" "$secs" "$rc" "$(tier_counts "$log")")")
	echo
	echo "test-all: tier '$name' FAILED (exit $rc); full log: $log"
	echo "test-all: not running the tiers after it"
	print_summary
	exit 1
}

tier_deps() {
	"$top/contrib/deps.sh"
}

tier_build() {
	"$top/contrib/build.sh"
}

# make_check NAME [TARGET]: run make TARGET (default check) in the current
# directory and hold it to the automake counts; on failure show the logs
# of the failing tests.
make_check() {
	local out=$scratch/$1.out target=${2:-check}
	if ! make -j"$jobs" "$target" 2>&1 | tee "$out"; then
		show_failed_tests
		return 1
	fi
	check_automake_counts "$out"
}

show_failed_tests() {
	local trs
	find . -name '*.trs' -path '*tests/unit/*' 2>/dev/null | while IFS= read -r trs; do
		if grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
			echo "---- ${trs%.trs}.log (last 60 lines) ----"
			tail -n 60 "${trs%.trs}.log"
		fi
	done
}

tier_unit() {
	make_check unit
}

tier_sanitizers() {
	local version tarball src build
	make dist-gzip
	version=$(sed -n 's/^VERSION = //p' Makefile)
	tarball=spigrpd-$version.tar.gz
	tar -C "$scratch" -xzf "$tarball"
	src=$scratch/${tarball%.tar.gz}
	build=$scratch/build-sanitizers
	mkdir -p "$build"
	cd "$build"
	"$src/configure" --enable-sanitizers
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	make_check sanitizers
}

# Built in the tree that tier_build configured (after deps, so configure
# found clang); the harnesses are clang-built apart from the gcc objects.
tier_fuzz() {
	make -j"$jobs" fuzz-build
	make fuzz FUZZ_SECONDS="${SPIGRPD_FUZZ_SECONDS:-60}"
}

tier_distcheck() {
	make_check distcheck distcheck
}

tier_systemd() {
	local dest=$scratch/destdir unit exec_path man1 installed
	rm -rf "$dest"
	make install DESTDIR="$dest"
	unit=$(find "$dest" -name spigrpd.service -type f | head -n 1)
	[ -n "$unit" ] || { echo "systemd: make install put no spigrpd.service under $dest"; return 1; }
	exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
	[ -n "$exec_path" ] || { echo "systemd: $unit has no ExecStart"; return 1; }
	[ -x "$dest$exec_path" ] ||
		{ echo "systemd: ExecStart=$exec_path, but make install put no such program"; return 1; }
	installed=$(find "$dest" -path '*/ipsec/spigrp' | head -n 1)
	[ -n "$installed" ] ||
		{ echo "systemd: no \$libexecdir/ipsec/spigrp for libreswan's ipsec wrapper"; return 1; }
	# the userspace datapath: raw and AF_PACKET sockets, /dev/net/tun
	grep -Eq '^RestrictAddressFamilies=.*\bAF_PACKET\b' "$unit" ||
		{ echo "systemd: $unit does not allow AF_PACKET (the datapath's IPv6 socket)"; return 1; }
	if ! grep -Eq '^CapabilityBoundingSet=.*\bCAP_NET_RAW\b' "$unit" ||
		! grep -Eq '^AmbientCapabilities=.*\bCAP_NET_RAW\b' "$unit"; then
		echo "systemd: $unit does not give CAP_NET_RAW (the datapath's raw sockets)"
		return 1
	fi
	if grep -Eq '^(DevicePolicy|PrivateDevices)=' "$unit"; then
		grep -q '^DeviceAllow=/dev/net/tun' "$unit" ||
			{ echo "systemd: $unit restricts devices without DeviceAllow=/dev/net/tun"; return 1; }
	fi
	man1=$(find "$dest" -name spigrpd.8 | head -n 1)
	[ -n "$man1" ] || { echo "systemd: make install put no spigrpd.8"; return 1; }
	# ipsec_klipsdebug(5), named by ipsec_version(5), is that page
	if ! MANPATH=$(dirname "$(dirname "$man1")") man -P cat 5 ipsec_klipsdebug 2>/dev/null |
		grep -q 'ipsec_klipsdebug'; then
		echo "systemd: man 5 ipsec_klipsdebug does not show ipsec_version(5)"
		return 1
	fi
	# verify needs the program and the Documentation= pages: point the unit
	# at the DESTDIR copy, and man at the DESTDIR man pages.
	mkdir -p "$scratch/unit"
	sed "s|=$exec_path |=$dest$exec_path |" "$unit" > "$scratch/unit/spigrpd.service"
	echo "systemd: systemd-analyze verify $unit (ExecStart under $dest)"
	local out rc=0
	out=$(MANPATH=$(dirname "$(dirname "$man1")") \
		systemd-analyze verify "$scratch/unit/spigrpd.service" 2>&1) || rc=$?
	[ -z "$out" ] || echo "$out"
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		echo "systemd: systemd-analyze verify is not clean (exit $rc)"
		return 1
	fi
	"$dest$exec_path" --version
	echo "1 passed, 0 failed"
}

# A privileged harness: exit 0 pass, 77 cannot run here, else fail.
run_harness() {
	local script=$1
	if [ ! -f "$script" ]; then
		echo "test-all: $script does not exist"
		return 1
	fi
	if [ -x "$script" ]; then
		"$script" "$top"
	else
		sh "$script" "$top"
	fi
}

tier_netns() {
	# the drivers some cases run (tests/tools/: nftdrive, dpdrive)
	make -C "$top" -s netns-tools || return 1
	run_harness "$top/tests/netns/run.sh"
}

tier_uml() {
	run_harness "$top/tests/uml/run.sh"
}

echo "test-all: source $top, logs in $logdir, CI=$in_ci"
for t in $all_tiers; do
	run_tier "$t"
done
print_summary
[ "$nfail" -eq 0 ]
