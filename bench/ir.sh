#!/bin/bash
# bench/ir.sh: instructions per request of a server, counted by callgrind.
#
# The figure the speed work trusts: callgrind counts the instructions the
# server process executes (all threads, user space), which does not drift
# with the machine's load the way CPU time does.  The server runs under
# valgrind --tool=callgrind; for each row the counters are zeroed
# (callgrind_control -z), the load runs, the counters are dumped (-d) and
# the total is divided by the requests completed.  Connection set-up for
# the row's 50 clients is included (the same for every server).
#
#   bench/ir.sh duetd [DUETD [PLUGIN_DIR]]   # default: ./duetd, plugins/.libs
#   bench/ir.sh redis                       # redis-server on the RESP rows
#   bench/ir.sh nginx                       # nginx on the HTTP rows
#
# Environment: IR_ROWS (a space-separated subset of the row names below),
# IR_N (20000 RESP requests per row), IR_PORT (24838), IR_WORKERS (1),
# IR_AUTH (1: duetd with a user and a token, the client logged in).
# Prints "row instructions/request", one per line.
set -euo pipefail

what=${1:-duetd}
DUETD=${2:-./duetd}
PLUGIN_DIR=${3:-plugins/.libs}
N=${IR_N:-20000}
PORT=${IR_PORT:-24838}
WORKERS=${IR_WORKERS:-1}
RESP_ROWS="ping_mbulk-P1 set-P1 get-P1 incr-P1 echo1234-P1 ping_mbulk-P16 set-P16 get-P16 incr-P16 echo1234-P16"
HTTP_ROWS="http-hi http-1234"
T=$(mktemp -d /tmp/ir.XXXXXX)
PID=

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

BODY=$(head -c 1234 /dev/zero | tr '\0' x)
TOKEN=bench-token-0123456789
AUTHARGS=()

start() {
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" \
	    --dump-line=no "$@" >"$T/server.log" 2>&1 &
	PID=$!
	for _ in $(seq 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.2
	done
	cat "$T/server.log" >&2
	echo "ir.sh: the server did not start" >&2
	exit 1
}

# measure ROW REQUESTS CMD...: zero, run CMD, dump; REQUESTS is a number
# or "wrk" (read from wrk's output).
measure() {
	local row=$1 n=$2 out total
	shift 2
	rm -f "$T"/cg.out.*
	callgrind_control -z "$PID" >/dev/null 2>&1
	out=$("$@" 2>&1)
	callgrind_control -d "$PID" >/dev/null 2>&1
	[ "$n" = wrk ] && n=$(echo "$out" | awk '/requests in/ {print $1}')
	total=$(awk '/^totals:/ {print $2}' "$T"/cg.out.*)
	echo "$row $((total / n))"
}

resp_row() {
	local row=$1 test=${1%-P*} p=${1##*-P} n=$N args
	[ "$p" = 1 ] && n=$((N / 4))
	case $test in
	echo1234) args=(ECHO "$BODY") ;;
	*) args=(-t "$test") ;;
	esac
	redis-benchmark -p "$PORT" -c 50 -n 1000 -P "$p" -q "${AUTHARGS[@]}" \
	    "${args[@]}" >/dev/null 2>&1
	measure "$row" "$n" redis-benchmark -p "$PORT" -c 50 -n "$n" -P "$p" \
	    -q "${AUTHARGS[@]}" "${args[@]}"
}

http_row() {
	local path=/echo/hi hdr=()
	[ "$what" = nginx ] && path=/hi
	if [ "$1" = http-1234 ]; then
		path=/echo/$BODY
		[ "$what" = nginx ] && path=/body
	fi
	[ "${IR_AUTH:-0}" = 1 ] && hdr=(-H "Authorization: Bearer $TOKEN")
	measure "$1" wrk wrk -t1 -c50 -d3s "${hdr[@]}" \
	    "http://127.0.0.1:$PORT$path"
}

case $what in
duetd)
	hash=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
	{
		printf 'listen:\n  - 127.0.0.1:%s\nworkers: %s\n' "$PORT" "$WORKERS"
		printf 'plugin_dir: %s\nlog:\n  level: warn\n' "$(realpath "$PLUGIN_DIR")"
		if [ "${IR_AUTH:-0}" = 1 ]; then
			printf 'auth:\n  users:\n    - name: bench\n      token_sha256: %s\n' "$hash"
			AUTHARGS=(--user bench -a "$TOKEN")
		fi
	} >"$T/duetd.yaml"
	start "$DUETD" -c "$T/duetd.yaml"
	rows=${IR_ROWS:-$RESP_ROWS $HTTP_ROWS}
	;;
redis)
	start redis-server --port "$PORT" --save '' --appendonly no
	rows=${IR_ROWS:-$RESP_ROWS}
	;;
nginx)
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1;
error_log $T/nginx/error.log; pid $T/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off; keepalive_requests 1000000000;
	client_body_temp_path $T/nginx; proxy_temp_path $T/nginx;
	fastcgi_temp_path $T/nginx; uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;
	server {
		listen 127.0.0.1:$PORT;
		location = /hi { return 200 "hi"; }
		location = /body { return 200 "$BODY"; }
	}
}
EOF
	start nginx -p "$T/nginx" -c "$T/nginx/nginx.conf"
	rows=${IR_ROWS:-$HTTP_ROWS}
	;;
*)
	echo "usage: bench/ir.sh duetd|redis|nginx [DUETD [PLUGIN_DIR]]" >&2
	exit 2
	;;
esac

for r in $rows; do
	case $r in
	http-*) http_row "$r" ;;
	*) resp_row "$r" ;;
	esac
done
