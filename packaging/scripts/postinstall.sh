#!/bin/sh
# depsync package, after install or upgrade (dpkg: configure; rpm: $1 = 1
# on install, 2 on upgrade). Creates the depsync system user and gives it
# /etc/depsync (read) and /var/lib/depsync (its home). The service is not
# started: the config must be filled in first (see /etc/depsync/depsync.yaml).
# DPKG_ROOT is set when dpkg installs into another root without chroot.
set -e
root="${DPKG_ROOT:-}"
action="${1:-}"
previous="${2:-}"

field() { # field FILE NAME COLUMN: a column of NAME's line in passwd/group
	awk -F: -v n="$2" -v c="$3" '$1 == n { print $c; exit }' "$root$1"
}

if [ -z "$(field /etc/passwd depsync 1)" ]; then
	set -- --system --user-group --home-dir /var/lib/depsync --no-create-home \
		--shell /usr/sbin/nologin --comment "depsync daemon" depsync
	if [ -n "$root" ]; then
		useradd --prefix "$root" "$@"
	else
		useradd "$@"
	fi
fi
uid="$(field /etc/passwd depsync 3)"
gid="$(field /etc/group depsync 3)"
mkdir -p "$root/var/lib/depsync"
chown "$uid:$gid" "$root/var/lib/depsync"
chmod 0750 "$root/var/lib/depsync"
chown "0:$gid" "$root/etc/depsync"
chmod 0750 "$root/etc/depsync"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	case "$action" in
	# An upgrade restarts the instances that run, on the new binary.
	configure) [ -z "$previous" ] || systemctl try-restart depsync.service 'depsync@*.service' || true ;;
	2) systemctl try-restart depsync.service 'depsync@*.service' || true ;;
	esac
fi
exit 0
