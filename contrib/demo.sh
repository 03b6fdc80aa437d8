#!/bin/sh
# contrib/demo.sh: from a fresh Debian 12 machine (as root) to the seed's
# SA groups in a real kernel and their ipsec_spigrp view.
#
# Installs the packages (contrib/deps.sh), builds spigrpd in this tree
# (contrib/build.sh), then boots the user-mode-linux kernel of the test
# tier (this machine's own kernel may lack ESP, AH and IPComp) and runs the
# demo there: two network namespaces joined by a veth pair, spigrpd in each
# with contrib/seed.conf, and the view of each printed from inside UML.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run this as root (it installs packages and boots a UML kernel)" >&2
	exit 1
fi

"$top/contrib/deps.sh"
"$top/contrib/build.sh"
echo "demo: booting user-mode-linux; the view is printed from inside it"
exec "$top/tests/uml/run.sh" "$top" demo
