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
# tests/integration/test_page.c drives the page at / in a headless
# Chromium over its DevTools pipe (--remote-debugging-pipe).
PKGS="$PKGS chromium"
# tests/link_node.sh runs the example link node, doc/examples/link_node.py,
# which packs its arguments and results with msgpack.
PKGS="$PKGS python3-msgpack"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
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
fi

# tests/integration/test_pubsub.c drives redis-py's RESP3 push handler,
# which Debian 12's python3-redis (4.3.4) does not have: the test uses
# Debian 13's python3-redis (pure Python, Architecture: all), pinned by
# its SHA-256 and unpacked beside the other test clients, never installed
# over the system's.
REDISPY_DIR=/var/cache/duetd-test/redis-py-6.1.0
REDISPY_DEB=python3-redis_6.1.0-2_all.deb
REDISPY_SHA=85b4ab406ee9dc03a0474cf6b9c0b178d0124a9196e2d8ad7fc4c3a988e924e4
if [ ! -f "$REDISPY_DIR/usr/lib/python3/dist-packages/redis/__init__.py" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		# Only test_pubsub needs it; it fails saying so.
		echo "test_pubsub needs redis-py 6 in $REDISPY_DIR; as root, run tools/deps.sh" >&2
		exit 0
	fi
	tmp=$(mktemp -d)
	curl -fsS --retry 3 -o "$tmp/$REDISPY_DEB" \
	    "http://deb.debian.org/debian/pool/main/p/python-redis/$REDISPY_DEB"
	echo "$REDISPY_SHA  $tmp/$REDISPY_DEB" | sha256sum -c --quiet
	mkdir -p "$REDISPY_DIR"
	dpkg-deb -x "$tmp/$REDISPY_DEB" "$REDISPY_DIR"
	rm -rf "$tmp"
fi
