#!/bin/sh
# contrib/libreswan-deb.sh: print the path of Debian's libreswan package
# (.deb), downloading it with `apt-get download` into a cache directory when
# it is not there yet.  The package is never installed (it conflicts with
# the strongSwan packages of contrib/deps.sh): tests/uml's KLIPS cases unpack
# it (dpkg-deb -x) for its `ipsec` script, libreswan's own wrapper, and
# point that at an install of this tree (tests/uml/NOTES.md).
#
# Environment: SPIGRPD_DEB_CACHE, the cache directory (default
# /var/cache/spigrpd, or ${XDG_CACHE_HOME:-~/.cache}/spigrpd when that
# cannot be written).  Exit status 0 with the path on stdout, else 1.
set -eu

cache=${SPIGRPD_DEB_CACHE:-/var/cache/spigrpd}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	[ -z "${SPIGRPD_DEB_CACHE:-}" ] || { echo "libreswan-deb: cannot write $cache" >&2; exit 1; }
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/spigrpd
	mkdir -p "$cache"
fi

found() {
	ls "$cache"/libreswan_*.deb 2>/dev/null | tail -n 1
}

deb=$(found)
if [ -z "$deb" ]; then
	echo "libreswan-deb: apt-get download libreswan into $cache" >&2
	# a download as root into a directory _apt cannot write warns and
	# then downloads unsandboxed: say so up front instead
	sandbox=
	[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086 # empty or one option
	(cd "$cache" && apt-get -q $sandbox download libreswan >&2) || {
		echo "libreswan-deb: apt-get download libreswan failed (no network, or no" \
			"package lists: apt-get update)" >&2
		exit 1
	}
	deb=$(found)
	[ -n "$deb" ] || { echo "libreswan-deb: apt-get left no libreswan_*.deb in $cache" >&2; exit 1; }
fi
if [ "$(dpkg-deb -f "$deb" Package 2>/dev/null)" != libreswan ]; then
	echo "libreswan-deb: $deb is not a libreswan package: removed" >&2
	rm -f "$deb"
	exit 1
fi
echo "$deb"
