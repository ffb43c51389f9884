#!/bin/sh
# One-time start of a write-through replica (apache-depsync-svn-replica.conf),
# run on the master's host as Apache's user, once the replica's repository
# exists with the master's UUID and its hooks (see the replica's site):
#
#   sudo -u www-data sh svnsync-init.sh SYNC_URL MASTER_REPO SYNC_CONFIG_DIR [REPLICA_CA] < sync-password
#
#   SYNC_URL         the replica's repository through /svn-sync, e.g.
#                    https://svn-replica.example.com/svn-sync/depsync
#   MASTER_REPO      the master's repository on this host, e.g. /srv/svn/depsync
#   SYNC_CONFIG_DIR  where svnsync keeps the sync user's credentials (made
#                    0700): the SYNC_CONFIG_DIR of hooks/master-post-commit
#   REPLICA_CA       CA certificates of the replica's certificate, when the
#                    system's do not verify it
#
# The sync user's (depsync-sync) password comes on stdin, never on the
# command line. It refuses a replica whose UUID is not the master's (nodes
# that move between the two must see one repository), then initialises the
# replica and copies the existing history. For a long history, copy the
# repository to the replica with svnadmin hotcopy first and add
# --allow-non-empty to svnsync initialize. Then install
# hooks/master-post-commit as the master's hooks/post-commit.
# depsync's tests run this very file.
set -eu
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 SYNC_URL MASTER_REPO SYNC_CONFIG_DIR [REPLICA_CA] < sync-password" >&2
  exit 2
fi
SYNC_URL=$1
MASTER_REPO=$2
CONF=$3
CA=${4:-}
SYNC_USER=depsync-sync

umask 077
mkdir -p "$CONF"
# svn keeps the password in this directory only, in plain text for Apache's
# user alone, and in no keyring.
printf '[auth]\npassword-stores =\n' >"$CONF/config"
printf '[global]\nstore-plaintext-passwords = yes\n' >"$CONF/servers"
if [ -n "$CA" ]; then
  printf 'ssl-authority-files = %s\n' "$CA" >>"$CONF/servers"
fi

# Asking the replica its UUID also keeps the password for svnsync.
replica_uuid=$(svn info --non-interactive --config-dir "$CONF" --username "$SYNC_USER" --password-from-stdin \
  --show-item repos-uuid "$SYNC_URL")
master_uuid=$(svnlook uuid "$MASTER_REPO")
if [ "$replica_uuid" != "$master_uuid" ]; then
  echo "the replica's repository has UUID $replica_uuid, the master's $master_uuid:" >&2
  echo "  svnadmin setuuid <replica repository> $master_uuid   (on the replica's host)" >&2
  exit 1
fi

svnsync initialize --non-interactive --config-dir "$CONF" "$SYNC_URL" "file://$MASTER_REPO"
svnsync synchronize --non-interactive --config-dir "$CONF" "$SYNC_URL"
