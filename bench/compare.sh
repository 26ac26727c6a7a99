#!/bin/bash
# SPDX-License-Identifier: MIT
# Side-by-side benchmark: duetd against redis-server (RESP), nginx (HTTP)
# and webdis (HTTP to Redis) on the same machine, with the same load
# generators; CPU time and, counted by callgrind (bench/ir.sh), instructions
# per request.  Run as root from the
# repository root on Debian 12 with at least 2 CPUs:
#
#     bench/compare.sh
#
# It installs the Debian packages it needs, builds duetd with -O2 from a
# copy of the source tree, starts duetd, redis-server and nginx on loopback
# ports pinned to CPU 0, drives them from CPU 1 (redis-benchmark, wrk, a
# small idle-connection client), then counts instructions per request of
# each server under callgrind, prints one Markdown table and writes it to
# bench/RESULTS.md.  Every process it starts is stopped on exit.  See
# bench/README.md for the method and the environment knobs.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
P_DUET=${BENCH_PORT_DUETD:-23838}
P_DUET2=${BENCH_PORT_DUETD2:-23839}
P_REDIS=${BENCH_PORT_REDIS:-26379}
P_NGINX=${BENCH_PORT_NGINX:-28080}
P_DUET_TLS=${BENCH_PORT_DUETD_TLS:-23843}
P_REDIS_TLS=${BENCH_PORT_REDIS_TLS:-26380}
P_NGINX_TLS=${BENCH_PORT_NGINX_TLS:-28443}
P_WEBDIS=${BENCH_PORT_WEBDIS:-27379}
P_IR=${BENCH_PORT_IR:-24838} # bench/ir.sh: this port, +1 (TLS), +2
P_HUB=${BENCH_PORT_HUB:-23840} # the link rows: hub, node, memory's hub
P_NODE=${BENCH_PORT_NODE:-23841}
P_HUB_MEM=${BENCH_PORT_HUB_MEM:-23842}
# Row groups (mem resp http webdis tls workers pubsub sse link) and phases
# (timed instr),
# space- or comma-separated; no group named = all groups, no phase = both.
ROWS=${BENCH_ROWS:-all}
RUNS=${BENCH_RUNS:-3}      # runs per row; the median is reported
SECS=${BENCH_SECS:-3.5}    # target length of one redis-benchmark run
WRK_SECS=${BENCH_WRK_SECS:-5}
CPU_KIND=${BENCH_CPU:-all} # the CPU time counted: all, user or system
case $CPU_KIND in all | user | system) ;; *)
	echo "compare.sh: BENCH_CPU is all, user or system" >&2
	exit 2
	;;
esac
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
LINK_NODES=${BENCH_LINK_NODES:-1000} # nodes registered for link memory
MAX_OTHER=${BENCH_MAX_OTHER:-100} # other load (%) above which a run is
RETRIES=${BENCH_RETRIES:-2}       # made again, at most this many times
SRV_CPU=0
GEN_CPU=1
HZ=$(getconf CLK_TCK)

PIDS=""
T=""

log() {
	printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

cleanup() {
	local p
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "$T" ] && rm -rf "$T"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- packages -------------------------------------------------------------

install_packages() {
	local p missing="" nginx_pkg=nginx-light
	[ "$(id -u)" -eq 0 ] || die "run as root (packages, ulimit -n)"
	sh "$ROOT/tools/deps.sh"
	if dpkg-query -W -f='${Status}' nginx 2>/dev/null |
	    grep -q 'install ok installed'; then
		nginx_pkg=nginx
	fi
	for p in redis-server redis-tools $nginx_pkg wrk util-linux procps \
	    python3 iproute2 git valgrind webdis; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	# Debian starts the packaged webdis (port 7379) where an init runs;
	# the benchmark starts its own.
	case $missing in
	*webdis*) service webdis stop >/dev/null 2>&1 || true ;;
	esac
}

# --- build ----------------------------------------------------------------

# The development tree is configured in place, which forbids a VPATH build
# from it, so the build always works on a copy: every tracked file plus
# untracked, not ignored ones (the working tree as it is, uncommitted edits
# included; on a fresh clone that is HEAD).  BENCH_REF=HEAD builds the
# last commit instead (git archive).  DUETD and PLUGIN_DIR skip the build.
build_duetd() {
	local src="$T/src" ref=${BENCH_REF:-}
	if [ -n "${DUETD:-}" ]; then
		[ -x "$DUETD" ] || die "DUETD=$DUETD is not executable"
		[ -f "${PLUGIN_DIR:-}/kv.so" ] || die "PLUGIN_DIR has no kv.so"
		! want link || [ -f "$PLUGIN_DIR/math.so" ] ||
		    die "PLUGIN_DIR has no math.so (the link rows' add)"
		return 0
	fi
	git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 ||
	    die "$ROOT is not a git checkout (or set DUETD and PLUGIN_DIR)"
	mkdir -p "$src"
	if [ -n "$ref" ]; then
		git -C "$ROOT" archive "$ref" | tar -x -C "$src"
	else
		(cd "$ROOT" && git ls-files -z -c -o --exclude-standard |
		    grep -zv -e '^confdefs\.h$' -e '^bench/' |
		    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
		    tar -x -C "$src"
	fi
	log "building duetd (-O2) in $src/build"
	(
		cd "$src"
		autoreconf -fi >"$T/build.log" 2>&1
		mkdir build
		cd build
		../configure CFLAGS='-O2 -g' >>"$T/build.log" 2>&1
		make -j"$(nproc)" duetd plugins/kv.la plugins/math.la \
		    >>"$T/build.log" 2>&1
	) || {
		tail -30 "$T/build.log" >&2
		die "build failed"
	}
	DUETD="$src/build/duetd"
	PLUGIN_DIR="$src/build/plugins/.libs"
	[ -f "$PLUGIN_DIR/kv.so" ] || die "no kv.so in $PLUGIN_DIR"
	[ -f "$PLUGIN_DIR/math.so" ] || die "no math.so in $PLUGIN_DIR"
}

# --- servers --------------------------------------------------------------

wait_tcp() {
	local port=$1 pid=$2
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# start_bg NAME CPUS PORT CMD...: starts CMD pinned to CPUS, in the
# background; sets the variable NAME_PID.
start_bg() {
	local name=$1 cpus=$2 port=$3 pid
	shift 3
	[ -z "$(ss -Hltn "sport = :$port")" ] ||
	    die "port $port is taken (set BENCH_PORT_* to others)"
	taskset -c "$cpus" "$@" >"$T/$name.out" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_tcp "$port" "$pid" || {
		tail -20 "$T/$name.out" >&2
		die "$name did not start"
	}
	printf -v "${name}_PID" '%s' "$pid"
	log "$name running, pid $pid, port $port, CPU $cpus"
}

stop_bg() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# duetd_config PORT WORKERS [TLS_PORT]
duetd_config() {
	local tls=""
	[ -n "${3:-}" ] && tls="
  - address: 127.0.0.1:$3
    tls: {cert: $T/tls/server.crt, key: $T/tls/server.key}"
	cat >"$T/duetd-$2.yaml" <<EOF
listen:
  - 127.0.0.1:$1$tls
workers: $2
plugin_dir: $PLUGIN_DIR
limits:
  max_connections: $((IDLE_CONNS + 1000))
  header_timeout: 120s
  idle_timeout: 600s
log:
  level: warn
EOF
}

nginx_config() {
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $((IDLE_CONNS + 1000));
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events {
	worker_connections $((IDLE_CONNS + 1000));
}
http {
	access_log off;
	default_type text/plain;
	keepalive_requests 100000000;
	keepalive_timeout 600s;
	client_header_timeout 120s;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$P_NGINX;
		location = /hi { return 200 "hi"; }
		location = /body { return 200 "$BODY"; }
	}
	server {
		listen 127.0.0.1:$P_NGINX_TLS ssl;
		ssl_certificate $T/tls/server.crt;
		ssl_certificate_key $T/tls/server.key;
		# Debian 12's nginx 1.22 leaves TLS 1.3 out by default: the
		# same protocol as duetd and Redis, or the rows compare TLS 1.2
		# resumption (no key exchange) with TLS 1.3's.
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_tickets on;
		location = /hi { return 200 "hi"; }
	}
}
EOF
}

start_servers() {
	make_certs "$T/tls" || die "no certificates"
	duetd_config "$P_DUET" 1 "$P_DUET_TLS"
	start_bg DUETD "$SRV_CPU" "$P_DUET" "$DUETD" -c "$T/duetd-1.yaml"
	start_bg REDIS "$SRV_CPU" "$P_REDIS" redis-server --port "$P_REDIS" \
	    --tls-port "$P_REDIS_TLS" --tls-cert-file "$T/tls/server.crt" \
	    --tls-key-file "$T/tls/server.key" \
	    --tls-ca-cert-file "$T/tls/ca.crt" --tls-auth-clients no \
	    --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
	    --maxclients $((IDLE_CONNS + 1000)) --dir "$T" \
	    --logfile "$T/redis.log"
	nginx_config
	nginx -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
	    -t >"$T/nginx-t.out" 2>&1 || {
		cat "$T/nginx-t.out" >&2
		die "nginx configuration refused"
	}
	start_bg NGINX "$SRV_CPU" "$P_NGINX" nginx -p "$T/nginx" \
	    -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf"
}

# Checks that the daemon answers what the benchmark sends, so that error
# replies are not timed as successes.
sanity_check() {
	local port=$1 r
	r=$(redis-cli -p "$port" set key:__rand_int__ abc)
	[ "$r" = OK ] || die "SET on port $port answered: $r"
	r=$(redis-cli -p "$port" get key:__rand_int__)
	[ "$r" = abc ] || die "GET on port $port answered: $r"
	r=$(redis-cli -p "$port" incr counter:bench)
	case $r in [0-9]*) ;; *) die "INCR on port $port answered: $r" ;; esac
	r=$(redis-cli -p "$port" echo "$BODY")
	[ "$r" = "$BODY" ] || die "ECHO on port $port answered wrongly"
}

# --- measurement ----------------------------------------------------------

# user+system clock ticks of processes (all their threads), summed; only
# user or only system time with BENCH_CPU=user or system.
cpu_ticks() {
	local p s=0
	for p in "$@"; do
		s=$((s + $(awk -v k="$CPU_KIND" '{ sub(/^.*\) /, "")
		    print (k == "system" ? 0 : $12) + (k == "user" ? 0 : $13)
		}' "/proc/$p/stat")))
	done
	echo "$s"
}

# cpu_busy: "busy total" clock ticks of the server's and the load
# generator's CPUs (/proc/stat: busy = user nice system irq softirq steal).
cpu_busy() {
	awk -v a="cpu$SRV_CPU" -v b="cpu$GEN_CPU" '$1 == a || $1 == b {
		busy += $2 + $3 + $4 + $7 + $8 + $9
		total += $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9
	} END { print busy, total }' /proc/stat
}

# children_ticks VAR: sets VAR to the user+system clock ticks of this
# shell's waited-for children (the load generators), from the "times"
# builtin (not in a subshell: that has no children of its own).
children_ticks() {
	times >"$T/times"
	printf -v "$1" '%s' "$(awk -v hz="$HZ" 'NR == 2 {
		gsub(/[ms]/, " ")
		print int(($1 * 60 + $2 + $3 * 60 + $4) * hz + 0.5)
	}' "$T/times")"
}

# other_pct BUSY0 BUSY1 SERVER_TICKS GEN_TICKS: the share (%) of the two
# CPUs' time that processes other than the server and the load generator
# took during a run: other work on the machine, which lengthens p99.
other_pct() {
	echo "$1 $2" | awk -v s="$3" -v g="$4" '{
		split($0, f, " ")
		b = f[3] - f[1]; t = f[4] - f[2]
		o = t > 0 ? (b - s - g) * 100 / t : 0
		printf "%.0f\n", o < 0 ? 0 : o
	}'
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && continue
		log "server pid $p is gone; its output:"
		tail -30 "$T"/*.out >&2 || true
		die "a server died under load"
	done
}

# resp_once "PIDS" PORT PIPELINE N ARGS...: one redis-benchmark run; PIDS
# (space-separated) are the server's processes; prints "rps p50_ms p99_ms
# cpu_us_per_request other_pct".
resp_once() {
	local pids=$1 port=$2 pipe=$3 n=$4 t0 t1 g0 g1 c0 c1 line
	shift 4
	# shellcheck disable=SC2086
	t0=$(cpu_ticks $pids)
	children_ticks g0
	c0=$(cpu_busy)
	line=$(timeout 60 taskset -c "$GEN_CPU" redis-benchmark -h 127.0.0.1 \
	    -p "$port" -c 50 -n "$n" -P "$pipe" --csv "$@" 2>/dev/null |
	    tail -1)
	c1=$(cpu_busy)
	children_ticks g1
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	alive $pids
	case $line in
	'"'*'","'[0-9]*) ;;
	*) die "redis-benchmark failed on port $port (-P $pipe ${1:0:20})" ;;
	esac
	echo "$line" | tr -d '"' | awk -F, -v t0="$t0" -v t1="$t1" \
	    -v hz="$HZ" -v n="$n" -v o="$(other_pct "$c0" "$c1" \
	    $((t1 - t0)) $((g1 - g0)))" '{
		printf "%s %s %s %.3f %s\n", $2, $5, $7,
		    (t1 - t0) * 1e6 / hz / n, o
	}'
}

# wrk_once "PIDS" URL [WRK_ARGS...]: one wrk run; same output as
# resp_once.
wrk_once() {
	local pids=$1 url=$2 t0 t1 g0 g1 c0 c1 out
	shift 2
	# shellcheck disable=SC2086
	t0=$(cpu_ticks $pids)
	children_ticks g0
	c0=$(cpu_busy)
	out=$(timeout $((WRK_SECS + 30)) taskset -c "$GEN_CPU" wrk -t1 -c50 \
	    -d"${WRK_SECS}s" --latency "$@" "$url") || die "wrk failed: $url"
	c1=$(cpu_busy)
	children_ticks g1
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	alive $pids
	if echo "$out" | grep -q -e 'Non-2xx' -e 'Socket errors'; then
		echo "$out" >&2
		die "wrk saw errors on $url"
	fi
	echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
	    -v o="$(other_pct "$c0" "$c1" $((t1 - t0)) $((g1 - g0)))" '
	function ms(s) {
		if (s ~ /us$/) return substr(s, 1, length(s) - 2) / 1000
		if (s ~ /ms$/) return substr(s, 1, length(s) - 2) + 0
		if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1000
		return s
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/requests in/ { n = $1 }
	/^Requests\/sec:/ { rps = $2 }
	END {
		printf "%s %.3f %.3f %.3f %s\n", rps, p50, p99,
		    (t1 - t0) * 1e6 / hz / n, o
	}'
}

# summarize: reads RUNS lines of resp_once output; prints "rps_median
# rps_min rps_max p50_median p99_median cpu_median p99_min p99_max
# other_median other_max".
summarize() {
	awk '{ r[NR] = $1; a[NR] = $2; b[NR] = $3; c[NR] = $4; o[NR] = $5 }
	function med(v, n,   i, j, t) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((n + 1) / 2)]
	}
	END {
		n = NR
		m = med(r, n); p = med(b, n); q = med(o, n)
		printf "%s %s %s %s %s %s %s %s %s %s\n", m, r[1], r[n],
		    med(a, n), p, med(c, n), b[1], b[n], q, o[n]
	}'
}

# row ID DUET_SUMMARY PEER_SUMMARY: the timed result of a row of the
# table (render_table has the rows' labels).
row() {
	printf '%s|%s|%s\n' "$1" "$2" "$3" >>"$T/timed"
}

# pair ID: RUNS runs of each of the commands in the arrays DCMD (duetd)
# and PCMD (the peer), alternating, each first in turn (duetd, peer; peer,
# duetd; ...) so that drift and other work hit both alike; records the
# row.
pair() {
	local id=$1 i
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) = 1 ]; then
			quiet_run d "${DCMD[@]}"
			quiet_run r "${PCMD[@]}"
		else
			quiet_run r "${PCMD[@]}"
			quiet_run d "${DCMD[@]}"
		fi
	done
	row "$id" "$(summarize <"$T/d")" "$(summarize <"$T/r")"
	rm -f "$T/d" "$T/r"
}

# quiet_run FILE CMD...: CMD (resp_once or wrk_once), its line appended
# to $T/FILE; a run during which other processes took more than
# MAX_OTHER % of the two CPUs is made again, up to RETRIES times (the
# last try counts whatever its load).
quiet_run() {
	local f=$1 try line
	shift
	for try in $(seq 0 "$RETRIES"); do
		line=$("$@") || exit 1 # die said why
		[ "${line##* }" -le "$MAX_OTHER" ] && break
		[ "$try" -lt "$RETRIES" ] &&
		    log "other load ${line##* } % > $MAX_OTHER %: run again"
	done
	echo "$line" >>"$T/$f"
}

# probe_rps PIDS PORT PIPE ARGS...: requests/s of one short run.
probe_rps() {
	local pids=$1 port=$2 pipe=$3 n=20000
	shift 3
	[ "$pipe" -gt 1 ] && n=200000
	resp_once "$pids" "$port" "$pipe" "$n" "$@" | awk '{ print $1 }'
}

# size_n RPS1 RPS2: requests per run so that the faster server runs about
# SECS seconds and the slower one at most 8 seconds.
size_n() {
	awk -v a="$1" -v b="$2" -v s="$SECS" 'BEGIN {
		hi = a > b ? a : b; lo = a > b ? b : a
		n = hi * s; if (n > lo * 8) n = lo * 8
		n = int(n / 10000 + 0.5) * 10000
		print n < 10000 ? 10000 : n
	}'
}

# resp_row ID PIPE ARGS...: a RESP row on the plain ports, or on the TLS
# ones (redis-benchmark --tls) with RESP_TLS=1.
resp_row() {
	local id=$1 pipe=$2 n a b dp=$P_DUET rp=$P_REDIS
	shift 2
	if [ "${RESP_TLS:-0}" = 1 ]; then
		dp=$P_DUET_TLS
		rp=$P_REDIS_TLS
		set -- --tls --cacert "$T/tls/ca.crt" "$@"
	fi
	a=$(probe_rps "$DUETD_PID" "$dp" "$pipe" "$@")
	b=$(probe_rps "$REDIS_PID" "$rp" "$pipe" "$@")
	n=$(size_n "$a" "$b")
	log "$id: $RUNS x $n requests each"
	DCMD=(resp_once "$DUETD_PID" "$dp" "$pipe" "$n" "$@")
	PCMD=(resp_once "$REDIS_PID" "$rp" "$pipe" "$n" "$@")
	pair "$id"
}

# http_row ID "PEER_PIDS" DUETD_URL PEER_URL [WRK_ARGS...]
http_row() {
	local id=$1 ppids=$2 durl=$3 purl=$4
	shift 4
	log "$id: $RUNS x ${WRK_SECS}s"
	DCMD=(wrk_once "$DUETD_PID" "$durl" "$@")
	PCMD=(wrk_once "$ppids" "$purl" "$@")
	pair "$id"
}

resp_rows() {
	local pipe
	for pipe in 1 16; do
		resp_row "resp-ping_mbulk-$pipe" "$pipe" -t ping_mbulk
		resp_row "resp-set-$pipe" "$pipe" -t set
		resp_row "resp-get-$pipe" "$pipe" -t get
		resp_row "resp-incr-$pipe" "$pipe" -t incr
		resp_row "resp-echo1234-$pipe" "$pipe" ECHO "$BODY"
	done
}

http_rows() {
	http_row http-hi "$NGINX_PID" "http://127.0.0.1:$P_DUET/echo/hi" \
	    "http://127.0.0.1:$P_NGINX/hi"
	http_row http-1234 "$NGINX_PID" "http://127.0.0.1:$P_DUET/echo/$BODY" \
	    "http://127.0.0.1:$P_NGINX/body"
}

# webdis_row: duetd GET /get/k (kv) against webdis GET /GET/k, webdis
# (1 HTTP thread) and the redis-server behind it both on CPU 0 and both
# counted.
webdis_row() {
	local r
	webdis_config "$T/webdis.json" "$P_WEBDIS" "$P_REDIS"
	start_bg WEBDIS "$SRV_CPU" "$P_WEBDIS" webdis "$T/webdis.json"
	redis-cli -p "$P_DUET" set k "$GETK_VALUE" >/dev/null
	redis-cli -p "$P_REDIS" set k "$GETK_VALUE" >/dev/null
	r=$(curl -s "http://127.0.0.1:$P_WEBDIS/GET/k")
	[ "$r" = "{\"GET\":\"$GETK_VALUE\"}" ] || die "webdis answered: $r"
	r=$(curl -s "http://127.0.0.1:$P_DUET/get/k")
	[ "$r" = "\"$GETK_VALUE\"" ] || die "duetd GET /get/k answered: $r"
	http_row webdis "$WEBDIS_PID $REDIS_PID" \
	    "http://127.0.0.1:$P_DUET/get/k" "http://127.0.0.1:$P_WEBDIS/GET/k"
	stop_bg "$WEBDIS_PID"
}

# tls_rows: duetd's TLS listener against redis-server --tls-port
# (redis-benchmark --tls) and nginx ssl (wrk over https, keep-alive), and
# the handshake rate: wrk with "Connection: close", so every request is a
# new connection and a full handshake (wrk resumes no session).
tls_rows() {
	local pipe
	redis-cli --tls --cacert "$T/tls/ca.crt" -p "$P_DUET_TLS" ping |
	    grep -q PONG || die "duetd's TLS port does not answer PING"
	for pipe in 1 16; do
		RESP_TLS=1 resp_row "tls-set-$pipe" "$pipe" -t set
		RESP_TLS=1 resp_row "tls-get-$pipe" "$pipe" -t get
	done
	http_row https-hi "$NGINX_PID" "https://127.0.0.1:$P_DUET_TLS/echo/hi" \
	    "https://127.0.0.1:$P_NGINX_TLS/hi"
	http_row https-hs "$NGINX_PID" "https://127.0.0.1:$P_DUET_TLS/echo/hi" \
	    "https://127.0.0.1:$P_NGINX_TLS/hi" -H "Connection: close"
}

# --- pub/sub ------------------------------------------------------------

# pubsub_once "PIDS" PORT MODE: one run of bench/pubsub_client for SECS
# seconds: 1 publisher (PUBLISH, PUBSUB_WINDOW in flight) and
# PUBSUB_SUBS subscribers over RESP2 (MODE resp) or GET /events/<ch>
# (sse); prints resp_once's fields per delivered message (delivered/s,
# CPU us per delivered message), "-" for the latencies it does not
# measure.
pubsub_once() {
	local pids=$1 port=$2 mode=$3 t0 t1 g0 g1 c0 c1 line
	# shellcheck disable=SC2086
	t0=$(cpu_ticks $pids)
	children_ticks g0
	c0=$(cpu_busy)
	line=$(timeout $((${SECS%.*} + 60)) taskset -c "$GEN_CPU" \
	    "$T/pubsub_client" -p "$port" -c "$PUBSUB_SUBS" \
	    -w "$PUBSUB_WINDOW" -s "$PUBSUB_SIZE" -C "$PUBSUB_CHANNEL" \
	    -m "$mode" -d "$SECS") ||
	    die "pubsub_client -m $mode failed on port $port"
	c1=$(cpu_busy)
	children_ticks g1
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	alive $pids
	echo "$line" | awk -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
	    -v o="$(other_pct "$c0" "$c1" $((t1 - t0)) $((g1 - g0)))" '
	$1 == "published" && $4 > 0 {
		printf "%s - - %.3f %s\n", $8, (t1 - t0) * 1e6 / hz / $4, o
	}' | grep . || die "pubsub_client printed: $line"
}

# pubsub_probe PORT MODE: whether one subscriber gets one message there
# (duetd without pub/sub or without the SSE routes does not); the
# client's complaint on stdout if not.
pubsub_probe() {
	# shellcheck disable=SC2069 # the complaint, not the result line
	timeout 30 "$T/pubsub_client" -p "$1" -c 1 -n 1 -m "$2" \
	    -C "$PUBSUB_CHANNEL" 2>&1 >/dev/null
}

# solo ID: RUNS runs of DCMD (duetd only, a row with no peer).
solo() {
	local i
	for i in $(seq "$RUNS"); do
		quiet_run d "${DCMD[@]}"
	done
	row "$1" "$(summarize <"$T/d")" ""
	rm -f "$T/d"
}

# pubsub_rows: RESP pub/sub against redis-server (row pubsub) and SSE
# subscribers on duetd alone (row sse); a row duetd cannot serve yet is
# left out with a log line.
pubsub_rows() {
	local err
	if want pubsub; then
		if err=$(pubsub_probe "$P_DUET" resp); then
			log "pubsub: $RUNS x ${SECS}s, $PUBSUB_SUBS subscribers"
			DCMD=(pubsub_once "$DUETD_PID" "$P_DUET" resp)
			PCMD=(pubsub_once "$REDIS_PID" "$P_REDIS" resp)
			pair pubsub
		else
			log "pubsub: duetd does not publish, row left out: $err"
		fi
	fi
	if want sse; then
		if err=$(pubsub_probe "$P_DUET" sse); then
			log "sse: $RUNS x ${SECS}s, $PUBSUB_SUBS subscribers"
			DCMD=(pubsub_once "$DUETD_PID" "$P_DUET" sse)
			solo sse
		else
			log "sse: duetd has no SSE stream, row left out: $err"
		fi
	fi
	return 0
}

# --- idle connections -----------------------------------------------------

write_idle_client() {
	cat >"$T/idle.py" <<'EOF'
import signal, socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
rst = struct.pack("ii", 1, 0)  # close with RST: no TIME_WAIT left behind
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, rst)
    s.connect(("127.0.0.1", port))
    socks.append(s)
print("ready", flush=True)
signal.pause()
EOF
}

# idle_rss PID PORT: sets IDLE_RESULT to "rss_before_kib rss_after_kib
# bytes_per_conn" (no subshell, so that PIDS keeps the client).
idle_rss() {
	local pid=$1 port=$2 before after fds0 cpid
	sleep 1
	before=$(rss_kib "$pid")
	fds0=$(fd_count "$pid")
	taskset -c "$GEN_CPU" python3 "$T/idle.py" "$port" "$IDLE_CONNS" \
	    >"$T/idle.out" 2>&1 &
	cpid=$!
	PIDS="$PIDS $cpid"
	for _ in $(seq 600); do
		grep -q ready "$T/idle.out" && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q ready "$T/idle.out" || {
		cat "$T/idle.out" >&2
		die "idle client failed on port $port"
	}
	# Every connection accepted: the server holds a descriptor for each.
	for _ in $(seq 300); do
		[ "$(fd_count "$pid")" -ge $((fds0 + IDLE_CONNS)) ] &&
		    break
		sleep 0.1
	done
	[ "$(fd_count "$pid")" -ge $((fds0 + IDLE_CONNS)) ] ||
	    die "server on port $port did not accept $IDLE_CONNS connections"
	sleep 2
	alive "$pid"
	after=$(rss_kib "$pid")
	kill -TERM "$cpid" 2>/dev/null || true
	wait "$cpid" 2>/dev/null || true
	IDLE_RESULT="$before $after $(((after - before) * 1024 / IDLE_CONNS))"
	sleep 1
}

mem_rows() {
	local d r n
	write_idle_client
	log "idle connections: $IDLE_CONNS each to duetd, redis-server, nginx"
	idle_rss "$DUETD_PID" "$P_DUET"
	d=$IDLE_RESULT
	idle_rss "$REDIS_PID" "$P_REDIS"
	r=$IDLE_RESULT
	idle_rss "$NGINX_PID" "$P_NGINX"
	n=$IDLE_RESULT
	row mem-redis "$d" "$r"
	row mem-nginx "$d" "$n"
}

# --- workers --------------------------------------------------------------

# workers_row: duetd workers: 2, not pinned (both CPUs, one shared with
# the load generator), against the pinned 1-worker duetd, set -P 16,
# alternating like the other rows.
workers_row() {
	local a b n
	duetd_config "$P_DUET2" 2
	start_bg DUETD2 "0-$(($(nproc) - 1))" "$P_DUET2" "$DUETD" \
	    -c "$T/duetd-2.yaml"
	sanity_check "$P_DUET2"
	a=$(probe_rps "$DUETD2_PID" "$P_DUET2" 16 -t set)
	b=$(probe_rps "$DUETD_PID" "$P_DUET" 16 -t set)
	n=$(size_n "$a" "$b")
	log "workers: RESP set -P 16, $RUNS x $n requests each"
	DCMD=(resp_once "$DUETD2_PID" "$P_DUET2" 16 "$n" -t set)
	PCMD=(resp_once "$DUETD_PID" "$P_DUET" 16 "$n" -t set)
	pair workers
	stop_bg "$DUETD2_PID"
}

# --- links ----------------------------------------------------------------

# The bench user's token (the callers of both daemons) and the one the node
# logs in to the hub with; neither is secret, both are loopback-only.
LINK_BENCH_TOKEN=bench-token-0123456789
LINK_TOKEN=bench-link-token-0123456789
LINK_AUTH=(--user bench -a "$LINK_BENCH_TOKEN")

# link_config: in $T/link, hub.yaml (users bench and node: link: true,
# link_as: fs; no plugins), node.yaml (math's add exported to the hub,
# which calls it fs.add; the same bench user, so that both daemons check a
# caller's token and rules alike; log level info for its "link hub up"
# line) and hubmem.yaml (for the memory row: a user "nodes" with link: true
# and no link_as, so that it may register any name).
link_config() {
	local d=$T/link bh lh
	mkdir -p "$d/hub-plugins" "$d/node-plugins"
	cp "$PLUGIN_DIR/math.so" "$d/node-plugins/"
	printf %s "$LINK_TOKEN" >"$d/link.token"
	bh=$(printf %s "$LINK_BENCH_TOKEN" | sha256sum | cut -d' ' -f1)
	lh=$(printf %s "$LINK_TOKEN" | sha256sum | cut -d' ' -f1)
	cat >"$d/hub.yaml" <<EOF
listen:
  - 127.0.0.1:$P_HUB
workers: 1
plugin_dir: $d/hub-plugins
auth:
  users:
    - name: bench
      token_sha256: $bh
    - name: node
      token_sha256: $lh
      link: true
      link_as: fs
log:
  level: warn
EOF
	cat >"$d/node.yaml" <<EOF
listen:
  - 127.0.0.1:$P_NODE
workers: 1
plugin_dir: $d/node-plugins
auth:
  users:
    - name: bench
      token_sha256: $bh
links:
  - name: hub
    connect: 127.0.0.1:$P_HUB
    user: node
    token_file: $d/link.token
    as: fs
    export: ["add"]
log:
  level: info
EOF
	cat >"$d/hubmem.yaml" <<EOF
listen:
  - 127.0.0.1:$P_HUB_MEM
workers: 1
plugin_dir: $d/hub-plugins
limits:
  max_connections: $((LINK_NODES + 100))
auth:
  users:
    - name: nodes
      token_sha256: $lh
      link: true
log:
  level: warn
EOF
}

# link_up: waits (at most 10 s) for the node's "link hub up" log line,
# then checks that fs.add on the hub and add on the node answer 3.
link_up() {
	local r
	for _ in $(seq 100); do
		grep -q 'link hub up' "$T/NODE.out" && break
		sleep 0.1
	done
	grep -q 'link hub up' "$T/NODE.out" || {
		tail -n 20 "$T/HUB.out" "$T/NODE.out" >&2
		die "the node's link to the hub did not come up"
	}
	r=$(redis-cli -p "$P_HUB" "${LINK_AUTH[@]}" --no-auth-warning \
	    fs.add 1 2)
	[ "$r" = 3 ] || die "fs.add 1 2 on the hub answered: $r"
	r=$(redis-cli -p "$P_NODE" "${LINK_AUTH[@]}" --no-auth-warning \
	    add 1 2)
	[ "$r" = 3 ] || die "add 1 2 on the node answered: $r"
}

# link_rows: a call through a link, fs.add 1 2 on the hub (which calls
# the node's add), against the same call made locally, add 1 2 on the
# node; hub and node both on CPU 0 and the linked row's CPU time is
# theirs summed (the local row's, the node's alone).  Then the memory
# per link.
link_rows() {
	local pipe a b n
	link_config
	start_bg HUB "$SRV_CPU" "$P_HUB" "$DUETD" -c "$T/link/hub.yaml"
	start_bg NODE "$SRV_CPU" "$P_NODE" "$DUETD" -c "$T/link/node.yaml"
	link_up
	for pipe in 1 16; do
		a=$(probe_rps "$HUB_PID $NODE_PID" "$P_HUB" "$pipe" \
		    "${LINK_AUTH[@]}" fs.add 1 2)
		b=$(probe_rps "$NODE_PID" "$P_NODE" "$pipe" "${LINK_AUTH[@]}" \
		    add 1 2)
		n=$(size_n "$a" "$b")
		log "link-add-$pipe: $RUNS x $n requests each"
		DCMD=(resp_once "$HUB_PID $NODE_PID" "$P_HUB" "$pipe" "$n"
		    "${LINK_AUTH[@]}" fs.add 1 2)
		PCMD=(resp_once "$NODE_PID" "$P_NODE" "$pipe" "$n"
		    "${LINK_AUTH[@]}" add 1 2)
		pair "link-add-$pipe"
	done
	stop_bg "$NODE_PID"
	stop_bg "$HUB_PID"
	link_mem_row
}

# link_mem_row: a fresh hub; bench/links_mem.py logs LINK_NODES RESP3
# connections in (HELLO 3 AUTH) and registers a node on each; the row is
# the hub's RSS growth per registered node (its connection included),
# against the growth per logged-in connection alone.
link_mem_row() {
	local out
	start_bg HUBMEM "$SRV_CPU" "$P_HUB_MEM" "$DUETD" \
	    -c "$T/link/hubmem.yaml"
	sleep 1
	log "link memory: $LINK_NODES nodes registered on one hub"
	out=$(taskset -c "$GEN_CPU" python3 "$ROOT/bench/links_mem.py" \
	    "$HUBMEM_PID" "$P_HUB_MEM" nodes "$T/link/link.token" \
	    "$LINK_NODES") || die "bench/links_mem.py failed: $out"
	alive "$HUBMEM_PID"
	# rss_kib BEFORE AUTHED LINKED conn_bytes C link_bytes L
	# shellcheck disable=SC2086
	set -- $out
	[ "$1" = rss_kib ] || die "bench/links_mem.py printed: $out"
	row link-mem "$2 $4 $8" "$2 $3 $6"
	stop_bg "$HUBMEM_PID"
}

# --- instructions ---------------------------------------------------------

# ir SERVER IR_ROWS [ENV...] [-- ARGS]: bench/ir.sh for one server (the
# same CPUs as the timed rows); its "row count" lines, prefixed with
# SERVER (duetd2: workers 2), go to $T/ir.  A failure is logged and
# leaves the row's instruction columns empty.
ir() {
	local who=$1 rows=$2 what=${1%2} out
	shift 2
	[ -n "$rows" ] || return 0
	log "instructions: $who ($rows)"
	if out=$(env IR_ROWS="$rows" IR_PORT="$P_IR" IR_TLS_DIR="$T/tls" \
	    IR_COUNTER="$COUNTER" IR_PUBSUB_CLIENT="$T/pubsub_client" \
	    IR_SRV_CPU="$SRV_CPU" IR_GEN_CPU="$GEN_CPU" "$@" \
	    "$ROOT/bench/ir.sh" "$what" "$DUETD" "$PLUGIN_DIR" 2>"$T/ir.err"); then
		printf '%s\n' "$out" | awk -v w="$who" '{ print w, $0 }' >>"$T/ir"
	else
		tail -5 "$T/ir.err" >&2
		log "instructions: bench/ir.sh $what failed; its rows stay empty"
	fi
}

# instr_rows: instructions per request of every selected row, counted by
# callgrind (bench/ir.sh: marginal cost of a request, connection set-up
# excluded; IR_N, IR_HTTP_N and IR_HS_N size it).
instr_rows() {
	local d="" r="" n=""
	want resp && d="$d resp" r="$r resp"
	want http && d="$d http" n="$n http"
	want webdis && d="$d getk"
	want tls && d="$d tls" r="$r tls" n="$n tls"
	want workers && ! want resp && d="$d set-P16"
	ir duetd "$d"
	# Apart: a duetd without pub/sub or SSE fails only these rows.
	want pubsub && ir duetd pubsub
	want sse && ir duetd pubsub-sse
	want pubsub && r="$r pubsub"
	ir redis "$r"
	ir nginx "$n"
	want webdis && ir webdis getk
	want workers && ir duetd2 set-P16 IR_WORKERS=2
	want link && ir link "link-add-P1 link-add-P16 add-P1 add-P16"
	return 0
}

# --- report ---------------------------------------------------------------

# catalog, render_table, write_results
# shellcheck source=bench/report.sh
. "$ROOT/bench/report.sh"

# --- main -----------------------------------------------------------------

# want GROUP|PHASE: whether BENCH_ROWS selects it (no group named: every
# group; no phase named: both).
want() {
	local w=" ${ROWS//,/ } " g=0 p=0 x
	for x in mem resp http webdis tls workers pubsub sse link; do
		case $w in *" $x "*) g=1 ;; esac
	done
	for x in timed instr; do
		case $w in *" $x "*) p=1 ;; esac
	done
	case $1 in
	timed | instr) [ "$p" = 0 ] || [[ $w == *" $1 "* ]] ;;
	*) [ "$g" = 0 ] || [[ $w == *" $1 "* ]] ;;
	esac
}

timed_rows() {
	want mem && mem_rows
	want resp && resp_rows
	want http && http_rows
	want webdis && webdis_row
	want tls && tls_rows
	want workers && workers_row
	{ want pubsub || want sse; } && pubsub_rows
	want link && link_rows
	return 0
}

main() {
	cd "$ROOT"
	[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs"
	install_packages
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" -ge $((IDLE_CONNS + 1100)) ] ||
	    die "ulimit -n $(ulimit -n) is too low for $IDLE_CONNS connections"
	[ "$(ulimit -n)" -ge $((LINK_NODES + 1100)) ] ||
	    die "ulimit -n $(ulimit -n) is too low for $LINK_NODES links"
	T=$(mktemp -d /tmp/duet-bench.XXXXXX)
	build_duetd
	if want pubsub || want sse; then
		build_pubsub_client "$T" || die "no bench/pubsub_client"
	fi
	start_servers
	sanity_check "$P_DUET"
	sanity_check "$P_REDIS"
	: >"$T/timed"
	: >"$T/ir"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	# perf stat -e instructions where the CPU's counters are there (not
	# on every VM), callgrind otherwise; BENCH_COUNTER picks one.
	COUNTER=${BENCH_COUNTER:-auto}
	if [ "$COUNTER" = auto ]; then
		COUNTER=callgrind
		perf stat -x, -e instructions:u true 2>&1 | grep -q '^[0-9]' &&
		    COUNTER=perf
	fi

	want timed && timed_rows
	if want instr; then
		# The timed servers stay up but idle.
		instr_rows
	fi
	write_results
	echo
	cat "$OUT"
	log "wrote $OUT"
}

main "$@"
