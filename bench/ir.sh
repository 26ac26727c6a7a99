#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/ir.sh: instructions per request of a server, counted by callgrind.
#
# The figure the speed work trusts: callgrind counts the instructions the
# server process executes (all threads, user space), which does not drift
# with the machine's load the way CPU time does.  The server runs under
# valgrind --tool=callgrind; each row is measured twice, with a small and
# a large fixed request count: the counters are zeroed (callgrind_control
# -z), the load runs, the counters are dumped (-d), and
#     (total(large) - total(small)) / (large - small)
# is the cost of one more request, without the row's 50 connection
# set-ups and tear-downs (IR_SETUP=include: total(large) / large, the
# method of the numbers measured before 2026-12-03, set-up included).
# Deterministic: one run per row is enough.
#
#   bench/ir.sh duetd [DUETD [PLUGIN_DIR]]   # default: ./duetd, plugins/.libs
#   bench/ir.sh redis                       # redis-server
#   bench/ir.sh nginx                       # nginx
#   bench/ir.sh webdis                      # webdis + its redis-server
#   bench/ir.sh link [DUETD [PLUGIN_DIR]]   # a hub and a node (math.so)
#
# Rows (IR_ROWS: row names or groups, space-separated):
#   resp:  ping_mbulk-P1 set-P1 get-P1 incr-P1 echo1234-P1 and the same
#          with -P16 (redis-benchmark -c 50; duetd, redis)
#   http:  http-hi http-1234 (wrk -c 50, keep-alive; duetd GET /echo/hi
#          and /echo/<1234 B>, nginx return 200 /hi and /body)
#   getk:  http-getk (duetd GET /get/k, kv plugin; webdis GET /GET/k,
#          webdis and redis-server both counted)
#   tls:   tls-set-P1 tls-get-P1 tls-set-P16 tls-get-P16 (redis-benchmark
#          --tls; duetd, redis), https-hi (wrk over https, keep-alive;
#          duetd, nginx), https-hs (the same with "Connection: close":
#          a full TLS 1.3 handshake per request; 5 connections)
#   (no group) pubsub (bench/pubsub_client.c: 1 publisher, PUBLISH with 16
#          in flight, 50 RESP2 subscribers; duetd, redis) and pubsub-sse
#          (the same publisher, 50 GET /events/ch streams; duetd): the
#          figure is per *delivered* message (IR_PUBSUB_N messages, 50
#          deliveries each, minus a tenth of that)
#   link:  (the server "link") link-add-P1 link-add-P16 (fs.add 1 2 on a
#          hub, which calls the node's math add through the link; hub
#          and node counted) and add-P1 add-P16 (add 1 2 on the node
#          itself; the node counted), redis-benchmark -c 50, both daemons
#          with a user "bench" and the client logged in as it
#   all:   every row the server has.
# Default rows: duetd resp http, redis resp, nginx http, webdis getk,
# link link.
#
# Environment: IR_N (20000 requests per -P16 row; -P1 rows N/4), IR_HTTP_N
# (5000 per HTTP row), IR_HS_N (200 handshakes), IR_PUBSUB_N (2000
# messages per pub/sub row), IR_PUBSUB_CLIENT (bench/pubsub_client,
# compiled here if unset), IR_PORT (24838; the TLS
# port is IR_PORT+1, webdis's redis-server and the link's node IR_PORT+2),
# IR_WORKERS (1),
# IR_AUTH (1: duetd with a user and a token, the client logged in),
# IR_TLS_DIR (ca.crt, server.crt, server.key; made here if unset),
# IR_SRV_CPU / IR_GEN_CPU (taskset CPU lists for server and load),
# IR_SETUP (subtract or include, see above), IR_COUNTER (callgrind, or
# perf: the server runs natively and "perf stat -e instructions:u -p"
# counts, where the CPU's counters are available; the counts differ from
# callgrind's, so compare only figures of one counter).
# Prints "row instructions/request", one per line.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/common.sh
. "$BENCH_DIR/common.sh"

what=${1:-duetd}
DUETD=${2:-./duetd}
PLUGIN_DIR=${3:-plugins/.libs}
N=${IR_N:-20000}
HTTP_N=${IR_HTTP_N:-5000}
HS_N=${IR_HS_N:-200}
PUBSUB_N=${IR_PUBSUB_N:-2000}
PORT=${IR_PORT:-24838}
TLS_PORT=${IR_TLS_PORT:-$((PORT + 1))}
PORT2=$((PORT + 2))
WORKERS=${IR_WORKERS:-1}
SETUP=${IR_SETUP:-subtract}
COUNTER=${IR_COUNTER:-callgrind}
RESP_ROWS="ping_mbulk-P1 set-P1 get-P1 incr-P1 echo1234-P1 ping_mbulk-P16 set-P16 get-P16 incr-P16 echo1234-P16"
HTTP_ROWS="http-hi http-1234"
TLS_RESP_ROWS="tls-set-P1 tls-get-P1 tls-set-P16 tls-get-P16"
HTTPS_ROWS="https-hi https-hs"
PUBSUB_ROWS="pubsub pubsub-sse"
LINK_ROWS="link-add-P1 link-add-P16 add-P1 add-P16"
T=$(mktemp -d /tmp/ir.XXXXXX)
PIDS=()
NAMES=()
# The servers whose instructions a row counts (default: all of PIDS).
COUNT_PIDS=()
# Client connections to the servers' ports that stay open between loads
# (the link's, on the hub's port; settle does not wait for it).
KEEP_CONNS=0
SRV=()
GEN=()
[ -n "${IR_SRV_CPU:-}" ] && SRV=(taskset -c "$IR_SRV_CPU")
[ -n "${IR_GEN_CPU:-}" ] && GEN=(taskset -c "$IR_GEN_CPU")

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

die() {
	echo "ir.sh: $*" >&2
	exit 1
}

TOKEN=bench-token-0123456789
AUTHARGS=()
TLSARGS=()

# start NAME PORT CMD...: CMD under callgrind (its counts in
# $T/cg-NAME.*), or natively for perf.
start() {
	local name=$1 port=$2 pid
	shift 2
	if [ "$COUNTER" = perf ]; then
		"${SRV[@]}" "$@" >"$T/$name.log" 2>&1 &
	else
		"${SRV[@]}" valgrind --tool=callgrind \
		    --callgrind-out-file="$T/cg-$name.out" --dump-line=no \
		    "$@" >"$T/$name.log" 2>&1 &
	fi
	pid=$!
	PIDS+=("$pid")
	NAMES+=("$name")
	for _ in $(seq 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	cat "$T/$name.log" >&2
	die "$name did not start"
}

# total CMD...: zeroes every server's counters, runs CMD (its output in
# $T/load.out), dumps them; prints the sum of the servers' totals.  A
# load that fails is tried once more, counters zeroed again.
total() {
	local i try
	[ "$COUNTER" = perf ] && {
		total_perf "$@"
		return
	}
	for try in 1 2; do
		rm -f "$T"/cg-*.out.*
		for i in $(counted); do
			callgrind_control -z "$i" >/dev/null 2>&1
		done
		load_once "$try" "$@" && break
		[ "$try" = 2 ] && die "the load failed twice"
	done
	settle
	for i in $(counted); do
		callgrind_control -d "$i" >/dev/null 2>&1
	done
	awk '/^totals:/ { s += $2 } END { printf "%.0f\n", s }' \
	    "$T"/cg-*.out.*
}

# counted: the pids of the servers the row counts (COUNT_PIDS, or all).
counted() {
	if [ ${#COUNT_PIDS[@]} -gt 0 ]; then
		echo "${COUNT_PIDS[@]}"
	else
		echo "${PIDS[@]}"
	fi
}

# settle: waits (at most 10 s) until the server has closed every client
# connection (none established or in CLOSE-WAIT on its ports): under
# callgrind the closes of 50 TLS connections take it a while, and counted
# in one run but not the next they moved https-hi by 10 % and more.
settle() {
	local f="( sport = :$PORT or sport = :$TLS_PORT )"
	[ "$what" = link ] && f="( sport = :$PORT or sport = :$PORT2 )"
	for _ in $(seq 100); do
		[ "$(ss -Htn state established state close-wait "$f" |
		    wc -l)" -le "$KEEP_CONNS" ] && break
		sleep 0.1
	done
	sleep 0.1
}

# total_perf CMD...: total with perf stat attached to the servers.
total_perf() {
	local perf
	perf stat -e instructions:u -x, -o "$T/perf.out" \
	    -p "$(counted | tr ' ' ,)" &
	perf=$!
	sleep 0.5
	load_once 1 "$@" || die "the load failed"
	settle
	kill -INT "$perf"
	wait "$perf" || true
	awk -F, '/instructions/ && $1 ~ /^[0-9]+$/ { s += $1; n++ }
	    END { if (n) printf "%.0f\n", s }' "$T/perf.out" | grep . ||
	    die "perf stat counted no instructions: $(cat "$T/perf.out")"
}

# load_once TRY CMD...: runs CMD (pinned with IR_GEN_CPU), output in
# $T/load.out, under a time limit (redis-benchmark retries forever a port
# that does not answer as it expects).
load_once() {
	local try=$1
	shift
	timeout "${IR_TIMEOUT:-300}" "${GEN[@]}" "$@" >"$T/load.out" 2>&1 &&
	    return 0
	echo "ir.sh: try $try of the load failed: ${*:1:8}" >&2
	tail -3 "$T/load.out" >&2
	return 1
}

# cost ROW SMALL LARGE CMD...: CMD has the placeholder @N@ for the
# request count; prints "ROW instructions/request".
cost() {
	local row=$1 small=$2 large=$3 a=0 b na nb
	shift 3
	b=$(total "${@//@N@/$large}")
	nb=$(count "$large")
	if [ "$SETUP" = include ]; then
		echo "$row $((b / nb))"
		return 0
	fi
	a=$(total "${@//@N@/$small}")
	na=$(count "$small")
	[ "$nb" -gt "$na" ] || die "$row: $large requests are not more than $small"
	echo "$row $(((b - a) / (nb - na)))"
}

# count N: the requests the last load completed (wrk: its own count;
# pubsub_client: the messages delivered).
count() {
	local n
	n=$(awk '/ responses$/ { print $1 }
	    $1 == "published" { print $4 }' "$T/load.out")
	echo "${n:-$1}"
}

resp_row() {
	local row=${1#tls-} test p n args
	test=${row%-P*}
	p=${row##*-P}
	n=$N
	[ "$p" = 1 ] && n=$((N / 4))
	local port=$PORT
	case $test in
	echo1234) args=(ECHO "$BODY") ;;
	link-add) args=(fs.add 1 2) COUNT_PIDS=("${PIDS[@]}") ;;
	add) args=(add 1 2) port=$PORT2 COUNT_PIDS=("$NODE_PID") ;;
	*) args=(-t "$test") ;;
	esac
	case $1 in tls-*) port=$TLS_PORT ;; esac
	local cmd=(redis-benchmark -h 127.0.0.1 -p "$port" -P "$p" -q)
	case $1 in tls-*) cmd+=("${TLSARGS[@]}") ;; esac
	cmd+=("${AUTHARGS[@]}")
	# warm-up (first allocations, the key space) on one connection: a
	# TLS handshake under callgrind takes about 0.1 s
	load_once warm-up "${cmd[@]}" -c 1 -n $((p * 100)) "${args[@]}" ||
	    die "the warm-up failed"
	cost "$1" $((50 * p * 2)) "$n" "${cmd[@]}" -c 50 -n @N@ "${args[@]}"
}

http_row() {
	local row=$1 scheme=http port=$PORT path n=$HTTP_N hdr=() c=50
	case $row in
	https-*) scheme=https port=$TLS_PORT ;;
	esac
	case $what:$row in
	nginx:*-1234) path=/body ;;
	nginx:*) path=/hi ;;
	webdis:*) path=/GET/k ;;
	*:http-getk) path=/get/k ;;
	*:*-1234) path=/echo/$BODY ;;
	*) path=/echo/hi ;;
	esac
	if [ "$row" = https-hs ]; then
		# 5 connections: wrk stops with every connection in the middle
		# of a handshake (2 M instructions each), which with 50 made
		# the count vary by 30 % from run to run (and wrk -c1 with
		# "Connection: close" has spun forever against a callgrind-slow
		# server).
		hdr=(-H "Connection: close")
		n=$HS_N
		c=5
	fi
	[ "${IR_AUTH:-0}" = 1 ] && hdr+=(-H "Authorization: Bearer $TOKEN")
	local cmd=(env WRK_N=@N@ wrk -t1 -d600s -s "$T/count.lua" "${hdr[@]}")
	local url=$scheme://127.0.0.1:$port$path
	load_once warm-up "${cmd[@]//@N@/20}" -c$((c == 50 ? 1 : c)) "$url" ||
	    die "the warm-up failed"
	cost "$row" $((n < 400 ? 50 : 100)) "$n" "${cmd[@]}" -c"$c" "$url"
}

# pubsub_row ROW: bench/pubsub_client, RESP2 subscribers (pubsub) or
# SSE streams (pubsub-sse); per delivered message.
pubsub_row() {
	local mode=resp cmd
	[ "$1" = pubsub-sse ] && mode=sse
	cmd=("$PUBSUB_CLIENT" -p "$PORT" -w "$PUBSUB_WINDOW" -s "$PUBSUB_SIZE"
	    -C "$PUBSUB_CHANNEL" -m "$mode")
	load_once warm-up "${cmd[@]}" -c 1 -n 100 || die "the warm-up failed"
	cost "$1" $((PUBSUB_N / 10)) "$PUBSUB_N" "${cmd[@]}" \
	    -c "$PUBSUB_SUBS" -n @N@
}

# rows_of DEFAULT ALLOWED: the rows of IR_ROWS (groups expanded) that
# this server has.
rows_of() {
	local r out=""
	for r in ${IR_ROWS:-$1}; do
		case $r in
		resp) out="$out $RESP_ROWS" ;;
		http) out="$out $HTTP_ROWS" ;;
		getk) out="$out http-getk" ;;
		link) out="$out $LINK_ROWS" ;;
		tls) out="$out $TLS_RESP_ROWS $HTTPS_ROWS" ;;
		all) out="$out $2" ;;
		*) out="$out $r" ;;
		esac
	done
	for r in $out; do
		case " $2 " in
		*" $r "*) echo "$r" ;;
		*) [ -n "${IR_ROWS:-}" ] || die "no row $r for $what" ;;
		esac
	done
}

tls_needed() {
	case " $rows " in *" tls-"* | *" https-"*) return 0 ;; esac
	return 1
}

tls_setup() {
	local d=${IR_TLS_DIR:-$T/tls}
	[ -n "${IR_TLS_DIR:-}" ] || make_certs "$d"
	CERT=$d/server.crt KEY=$d/server.key CA=$d/ca.crt
	TLSARGS=(--tls --cacert "$CA")
}

duetd_start() {
	local hash
	hash=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
	tls_needed && tls_setup
	{
		printf 'listen:\n  - 127.0.0.1:%s\n' "$PORT"
		tls_needed && printf '  - address: 127.0.0.1:%s\n    tls: {cert: %s, key: %s}\n' \
		    "$TLS_PORT" "$CERT" "$KEY"
		printf 'workers: %s\n' "$WORKERS"
		printf 'plugin_dir: %s\nlog:\n  level: warn\n' "$(realpath "$PLUGIN_DIR")"
		if [ "${IR_AUTH:-0}" = 1 ]; then
			printf 'auth:\n  users:\n    - name: bench\n      token_sha256: %s\n' "$hash"
			AUTHARGS=(--user bench -a "$TOKEN")
		fi
	} >"$T/duetd.yaml"
	start duetd "$PORT" "$DUETD" -c "$T/duetd.yaml"
	redis-cli -p "$PORT" "${AUTHARGS[@]}" set k "$GETK_VALUE" 2>/dev/null |
	    grep -qx OK || die "duetd does not answer SET"
}

redis_start() {
	local port=$1 tls=()
	if tls_needed; then
		tls_setup
		tls=(--tls-port "$TLS_PORT" --tls-cert-file "$CERT"
		    --tls-key-file "$KEY" --tls-ca-cert-file "$CA"
		    --tls-auth-clients no)
	fi
	start "redis-$port" "$port" redis-server --port "$port" \
	    --bind 127.0.0.1 --save '' --appendonly no --dir "$T" "${tls[@]}"
	redis-cli -p "$port" set k "$GETK_VALUE" | grep -qx OK ||
	    die "redis-server does not answer SET"
}

# link_start: a hub on PORT (users bench and node, the latter link: true,
# link_as: fs; no plugins) and a node on PORT2 (math's add exported as
# fs.add, the same bench user), both under the counter; waits for the
# node's "link hub up" log line and checks fs.add and add.
link_start() {
	local bh lh
	[ -f "$PLUGIN_DIR/math.so" ] || die "no math.so in $PLUGIN_DIR"
	mkdir -p "$T/hub-plugins" "$T/node-plugins"
	cp "$PLUGIN_DIR/math.so" "$T/node-plugins/"
	printf %s "$TOKEN-link" >"$T/link.token"
	bh=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
	lh=$(printf %s "$TOKEN-link" | sha256sum | cut -d' ' -f1)
	printf '%s\n' "listen:" "  - 127.0.0.1:$PORT" "workers: $WORKERS" \
	    "plugin_dir: $T/hub-plugins" "auth:" "  users:" \
	    "    - name: bench" "      token_sha256: $bh" \
	    "    - name: node" "      token_sha256: $lh" "      link: true" \
	    "      link_as: fs" "log:" "  level: warn" >"$T/hub.yaml"
	printf '%s\n' "listen:" "  - 127.0.0.1:$PORT2" "workers: $WORKERS" \
	    "plugin_dir: $T/node-plugins" "auth:" "  users:" \
	    "    - name: bench" "      token_sha256: $bh" "links:" \
	    "  - name: hub" "    connect: 127.0.0.1:$PORT" "    user: node" \
	    "    token_file: $T/link.token" "    as: fs" \
	    "    export: [\"add\"]" "log:" "  level: info" >"$T/node.yaml"
	AUTHARGS=(--user bench -a "$TOKEN")
	start hub "$PORT" "$DUETD" -c "$T/hub.yaml"
	start node "$PORT2" "$DUETD" -c "$T/node.yaml"
	NODE_PID=${PIDS[1]}
	KEEP_CONNS=1
	for _ in $(seq 600); do # 2 min: two daemons start under callgrind
		grep -q 'link hub up' "$T/node.log" && break
		sleep 0.2
	done
	grep -q 'link hub up' "$T/node.log" || {
		tail -n 5 "$T/hub.log" "$T/node.log" >&2
		die "the node's link to the hub did not come up"
	}
	redis-cli -p "$PORT" "${AUTHARGS[@]}" fs.add 1 2 2>/dev/null |
	    grep -qx 3 || die "fs.add 1 2 on the hub does not answer 3"
	redis-cli -p "$PORT2" "${AUTHARGS[@]}" add 1 2 2>/dev/null |
	    grep -qx 3 || die "add 1 2 on the node does not answer 3"
}

nginx_start() {
	local ssl=""
	mkdir -p "$T/nginx"
	if tls_needed; then
		tls_setup
		ssl="server {
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $CERT; ssl_certificate_key $KEY;
		ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on;
		location = /hi { return 200 \"hi\"; }
	}"
	fi
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
	$ssl
}
EOF
	start nginx "$PORT" nginx -p "$T/nginx" -e "$T/nginx/error.log" \
	    -c "$T/nginx/nginx.conf"
}

count_lua "$T/count.lua"
case $what in
duetd)
	rows=$(rows_of "$RESP_ROWS $HTTP_ROWS" \
	    "$RESP_ROWS $HTTP_ROWS http-getk $TLS_RESP_ROWS $HTTPS_ROWS $PUBSUB_ROWS" |
	    tr '\n' ' ')
	duetd_start
	;;
redis)
	rows=$(rows_of "$RESP_ROWS" "$RESP_ROWS $TLS_RESP_ROWS pubsub" |
	    tr '\n' ' ')
	redis_start "$PORT"
	;;
nginx)
	rows=$(rows_of "$HTTP_ROWS" "$HTTP_ROWS $HTTPS_ROWS" | tr '\n' ' ')
	nginx_start
	;;
webdis)
	rows=$(rows_of http-getk http-getk)
	redis_start "$PORT2"
	webdis_config "$T/webdis.json" "$PORT" "$PORT2"
	start webdis "$PORT" webdis "$T/webdis.json"
	;;
link)
	rows=$(rows_of "$LINK_ROWS" "$LINK_ROWS" | tr '\n' ' ')
	link_start
	;;
*)
	echo "usage: bench/ir.sh duetd|redis|nginx|webdis|link [DUETD [PLUGIN_DIR]]" >&2
	exit 2
	;;
esac

case " $rows " in
*" pubsub"*)
	PUBSUB_CLIENT=${IR_PUBSUB_CLIENT:-}
	if [ -z "$PUBSUB_CLIENT" ]; then
		build_pubsub_client "$T" || die "no bench/pubsub_client"
		PUBSUB_CLIENT=$T/pubsub_client
	fi
	;;
esac
for r in $rows; do
	case $r in
	http-* | https-*) http_row "$r" ;;
	pubsub*) pubsub_row "$r" ;;
	*) resp_row "$r" ;;
	esac
done
