#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages duetd needs to build and test, if any
# are missing.  As root it runs apt-get; otherwise it prints the command.
set -eu

PKGS="autoconf automake libtool pkg-config make gcc
libevent-dev libmsgpack-dev libyaml-dev libyajl-dev libssl-dev
libsystemd-dev check libsubunit-dev libhiredis-dev redis-tools curl
apache2-utils wrk groff-base procps haproxy python3-redis"
# tests/integration/test_describe.c checks /openapi.json's structure.
PKGS="$PKGS python3"
# The TLS tests make their CA and certificates with the openssl CLI and
# drive handshakes with openssl s_client.
PKGS="$PKGS openssl"
# tests/integration/test_pubsub.c records Redis 7.0's pub/sub bytes from a
# real redis-server on a loopback port and compares duetd's with them.
PKGS="$PKGS redis-server"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "duetd needs these Debian packages; as root, run:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
