#!/bin/sh
# depsync package, before removal (dpkg: remove; rpm: $1 = 0) or upgrade:
# on removal, stop and disable the service and every depsync@ instance.
# /etc/depsync and the state (state_dir, /var/lib/depsync) stay.
set -e
root="${DPKG_ROOT:-}"
case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl stop depsync.service 'depsync@*.service' || true
	systemctl --no-reload disable depsync.service || true
fi
exit 0
