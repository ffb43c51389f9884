#!/usr/bin/env bash
# Installs what depsync's tests and demo need: the svn client and server
# tools and a private Apache httpd with mod_dav_svn, and for the packaging
# tests promtool, lintian, rpm, rpmlint and systemd-analyze. Installs only
# what is missing, so it is quick when everything is there.
set -euo pipefail

missing=()
for bin in svn svnadmin svnserve; do
  command -v "$bin" >/dev/null 2>&1 || { missing+=(subversion); break; }
done
if ! command -v apache2 >/dev/null 2>&1 && [ ! -x /usr/sbin/apache2 ]; then
  missing+=(apache2)
fi
if ! command -v htpasswd >/dev/null 2>&1; then
  missing+=(apache2-utils)
fi
if [ ! -e /usr/lib/apache2/modules/mod_dav_svn.so ]; then
  missing+=(libapache2-mod-svn)
fi
for bin in curl rsync lsyncd; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
# Packaging (internal/pkgbuild): tool, then the Debian package that has it.
for pair in promtool:prometheus lintian:lintian rpm:rpm rpmlint:rpmlint systemd-analyze:systemd useradd:passwd; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Only promtool is wanted from prometheus: keep its daemon from starting
  # (policy-rc.d, as in container images), unless a policy is already set.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "deps: missing ${missing[*]}" >&2
echo "deps: install them, e.g. on Debian/Ubuntu: sudo apt-get install -y ${missing[*]}" >&2
echo "deps: (tests that need them skip unless DEPSYNC_REQUIRE_INTEGRATION=1)" >&2
exit 0
