#!/bin/sh
# depsync package, after removal: let systemd forget the unit files. The
# depsync user, /etc/depsync and the state are kept: a reinstall finds them.
set -e
root="${DPKG_ROOT:-}"
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
exit 0
