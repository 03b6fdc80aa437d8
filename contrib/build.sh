#!/bin/sh
# contrib/build.sh: build spigrpd in its source tree (configure once, then
# make), as contrib/demo.sh and contrib/test-all.sh need it.
#
#   contrib/build.sh [CONFIGURE-ARGS...]
#
# Runs autoreconf and configure only when the tree has no Makefile yet
# (configure arguments apply then); make re-runs them itself when
# configure.ac or Makefile.am change.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Without arguments, configure as the README's "Build" does, for the paths
# the README and the man pages name: /usr/sbin/spigrpd, /etc/spigrpd.conf,
# /var/lib/spigrpd, /run/spigrpd.
[ $# -gt 0 ] || set -- --prefix=/usr --sysconfdir=/etc --localstatedir=/var --runstatedir=/run

if [ ! -f Makefile ]; then
	if [ ! -x configure ]; then
		echo "build: autoreconf -fi"
		autoreconf -fi
	fi
	echo "build: ./configure $*"
	./configure "$@"
fi
jobs=$(nproc 2>/dev/null || echo 2)
echo "build: make -j$jobs"
make -j"$jobs"
