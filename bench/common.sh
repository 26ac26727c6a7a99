# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by bench/compare.sh and bench/ir.sh: what the timed rows and the
# instruction counts must share so that they measure the same requests.

# shellcheck disable=SC2034 # used by the scripts that source this
# The 1234-byte argument of the ECHO rows and the /echo/<1234 B> path.
BODY=$(head -c 1234 /dev/zero | tr '\0' x)
# The value of k in the GET /get/k (duetd) vs GET /GET/k (webdis) row.
GETK_VALUE=bench-value

# make_certs DIR: a CA and a server certificate for 127.0.0.1 (ECDSA
# P-256) in DIR (ca.crt, server.crt, server.key), shared by every
# server's TLS port.
make_certs() {
	mkdir -p "$1"
	(
		cd "$1"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -subj "/CN=bench CA" -days 2 -keyout ca.key \
		    -out ca.crt
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=localhost" -keyout server.key -out server.csr
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile san.ext -out server.crt
	) >"$1/certs.log" 2>&1 || {
		cat "$1/certs.log" >&2
		echo "openssl could not make the certificates" >&2
		return 1
	}
}

# webdis_config FILE HTTP_PORT REDIS_PORT: one HTTP thread (comparable
# with duetd's one worker), webdis's default pool of 2 Redis connections
# per thread, no daemon, no log.
webdis_config() {
	cat >"$1" <<EOF
{
	"redis_host": "127.0.0.1",
	"redis_port": $3,
	"redis_auth": null,
	"http_host": "127.0.0.1",
	"http_port": $2,
	"threads": 1,
	"pool_size": 2,
	"daemonize": false,
	"database": 0,
	"verbosity": 0,
	"logfile": "/dev/null"
}
EOF
}

# count_lua FILE: a wrk script that stops wrk after $WRK_N responses
# (a fixed request count, as redis-benchmark -n; wrk itself only has -d)
# and prints "N responses"; any status other than 200 fails it.
count_lua() {
	cat >"$1" <<'EOF'
local want = tonumber(os.getenv("WRK_N") or "1000")
local done = 0
function response(status, headers, body)
	if status ~= 200 then
		io.stderr:write("HTTP status " .. status .. "\n")
		os.exit(1)
	end
	done = done + 1
	if done == want then
		io.stdout:write(done .. " responses\n")
		io.stdout:flush()
		os.exit(0)
	end
end
EOF
}

# The pub/sub rows (bench/pubsub_client.c): subscribers per row, PUBLISH
# commands in flight, payload bytes, the channel.
PUBSUB_SUBS=${BENCH_PUBSUB_SUBS:-50}
PUBSUB_WINDOW=${BENCH_PUBSUB_WINDOW:-16}
PUBSUB_SIZE=${BENCH_PUBSUB_SIZE:-16}
PUBSUB_CHANNEL=bench

# build_pubsub_client DIR: compiles bench/pubsub_client.c (libc only) to
# DIR/pubsub_client.
build_pubsub_client() {
	local src
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pubsub_client.c
	"${CC:-cc}" -O2 -Wall -Wextra -o "$1/pubsub_client" "$src" ||
	    {
		echo "could not build $src" >&2
		return 1
	}
}
