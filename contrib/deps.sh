#!/bin/sh
# contrib/deps.sh: install the Debian 12 packages that spigrpd needs to
# build and to run every test tier (clang-14 and its libFuzzer runtime,
# libclang-rt-14-dev, are the fuzz tier's).  The one list, used by
# contrib/demo.sh, contrib/test-all.sh and so .ci/run.
#
#   contrib/deps.sh          install what is missing (as root)
#   contrib/deps.sh --list   print the list, one package a line
#
# apt-get runs only when a package is missing, so a prepared machine needs
# no network.  SPIGRPD_DEPS_FORCE=1 runs it anyway.
set -eu

packages="
	build-essential autoconf automake libtool pkg-config
	libnl-3-dev libnl-route-3-dev
	libssl-dev zlib1g-dev libfuse3-dev fuse3 check
	libnftables-dev nftables
	clang-14 libclang-rt-14-dev
	user-mode-linux kmod iproute2
	tshark python3-scapy socat iputils-ping iperf3
	procps psmisc util-linux
	systemd man-db
	strongswan-charon strongswan-swanctl libcharon-extra-plugins
"

if [ "${1:-}" = --list ]; then
	for p in $packages; do
		echo "$p"
	done
	exit 0
elif [ $# -ne 0 ]; then
	echo "usage: $0 [--list]" >&2
	exit 2
fi

missing=
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ] && [ "${SPIGRPD_DEPS_FORCE:-0}" != 1 ]; then
	echo "deps: all $(echo "$packages" | wc -w) packages are installed"
	"$(dirname "$0")/libreswan-deb.sh" > /dev/null ||
		echo "deps: warning: no libreswan .deb for tests/uml's KLIPS cases" >&2
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run this as root to install them" >&2
	exit 1
fi

# tshark (wireshark-common) asks a question unless told not to.  Recommended
# packages come too: that is the set the tiers were tested with.
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
echo "deps: installing:${missing:- (forced)}"
apt-get update
# shellcheck disable=SC2086 # the list is meant to split
apt-get install -y $packages
# libreswan's ipsec script for tests/uml's KLIPS cases: downloaded, never
# installed (it conflicts with strongSwan's packages)
"$(dirname "$0")/libreswan-deb.sh" > /dev/null
