#!/bin/bash
# SPDX-License-Identifier: MIT
# Side-by-side benchmark: duetd against redis-server (RESP) and nginx (HTTP)
# on the same machine, with the same load generators.  Run as root from the
# repository root on Debian 12 with at least 2 CPUs:
#
#     bench/compare.sh
#
# It installs the Debian packages it needs, builds duetd with -O2 from a
# copy of the source tree, starts duetd, redis-server and nginx on loopback
# ports pinned to CPU 0, drives them from CPU 1 (redis-benchmark, wrk, a
# small idle-connection client), prints one Markdown table and writes it to
# bench/RESULTS.md.  Every process it starts is stopped on exit.  See
# bench/README.md for the method and the environment knobs.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
P_DUET=${BENCH_PORT_DUETD:-23838}
P_DUET2=${BENCH_PORT_DUETD2:-23839}
P_REDIS=${BENCH_PORT_REDIS:-26379}
P_NGINX=${BENCH_PORT_NGINX:-28080}
P_DUET_TLS=${BENCH_PORT_DUETD_TLS:-23843}
P_REDIS_TLS=${BENCH_PORT_REDIS_TLS:-26380}
P_NGINX_TLS=${BENCH_PORT_NGINX_TLS:-28443}
ROWS=${BENCH_ROWS:-all}    # all, or tls: only the TLS rows
RUNS=${BENCH_RUNS:-3}      # runs per row; the median is reported
SECS=${BENCH_SECS:-3.5}    # target length of one redis-benchmark run
WRK_SECS=${BENCH_WRK_SECS:-5}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
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
	    python3 iproute2 git; do
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
		make -j"$(nproc)" duetd plugins/kv.la >>"$T/build.log" 2>&1
	) || {
		tail -30 "$T/build.log" >&2
		die "build failed"
	}
	DUETD="$src/build/duetd"
	PLUGIN_DIR="$src/build/plugins/.libs"
	[ -f "$PLUGIN_DIR/kv.so" ] || die "no kv.so in $PLUGIN_DIR"
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

# make_certs: a CA and a server certificate for 127.0.0.1 (ECDSA P-256),
# shared by the three servers' TLS ports.
make_certs() {
	mkdir -p "$T/tls"
	(
		cd "$T/tls"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -subj "/CN=bench CA" -days 2 -keyout ca.key \
		    -out ca.crt
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=localhost" -keyout server.key -out server.csr
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile san.ext -out server.crt
	) >"$T/certs.log" 2>&1 || {
		cat "$T/certs.log" >&2
		die "openssl could not make the certificates"
	}
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
	make_certs
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

# user+system clock ticks of a process (all its threads).
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

alive() {
	kill -0 "$1" 2>/dev/null || {
		log "server pid $1 is gone; its output:"
		tail -30 "$T"/*.out >&2 || true
		die "a server died under load"
	}
}

# resp_once PID PORT PIPELINE N ARGS...: one redis-benchmark run; prints
# "rps p50_ms p99_ms cpu_us_per_request".
resp_once() {
	local pid=$1 port=$2 pipe=$3 n=$4 t0 t1 line
	shift 4
	t0=$(cpu_ticks "$pid")
	line=$(timeout 60 taskset -c "$GEN_CPU" redis-benchmark -h 127.0.0.1 \
	    -p "$port" -c 50 -n "$n" -P "$pipe" --csv "$@" 2>/dev/null |
	    tail -1)
	t1=$(cpu_ticks "$pid")
	alive "$pid"
	case $line in
	'"'*'","'[0-9]*) ;;
	*) die "redis-benchmark failed on port $port (-P $pipe ${1:0:20})" ;;
	esac
	echo "$line" | tr -d '"' | awk -F, -v t0="$t0" -v t1="$t1" \
	    -v hz="$HZ" -v n="$n" '{
		printf "%s %s %s %.3f\n", $2, $5, $7, (t1 - t0) * 1e6 / hz / n
	}'
}

# wrk_once PID URL [WRK_ARGS...]: one wrk run; same output as resp_once.
wrk_once() {
	local pid=$1 url=$2 t0 t1 out
	shift 2
	t0=$(cpu_ticks "$pid")
	out=$(timeout $((WRK_SECS + 30)) taskset -c "$GEN_CPU" wrk -t1 -c50 \
	    -d"${WRK_SECS}s" --latency "$@" "$url") || die "wrk failed: $url"
	t1=$(cpu_ticks "$pid")
	alive "$pid"
	if echo "$out" | grep -q -e 'Non-2xx' -e 'Socket errors'; then
		echo "$out" >&2
		die "wrk saw errors on $url"
	fi
	echo "$out" | awk -v t0="$t0" -v t1="$t1" -v hz="$HZ" '
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
		printf "%s %.3f %.3f %.3f\n", rps, p50, p99,
		    (t1 - t0) * 1e6 / hz / n
	}'
}

# summarize: reads RUNS lines of resp_once output; prints
# "rps_median rps_min rps_max p50_median p99_median cpu_median".
summarize() {
	awk '{ r[NR] = $1; a[NR] = $2; b[NR] = $3; c[NR] = $4 }
	function med(v, n,   i, j, t) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return v[int((n + 1) / 2)]
	}
	END {
		n = NR
		m = med(r, n)
		printf "%s %s %s %s %s %s\n", m, r[1], r[n], med(a, n),
		    med(b, n), med(c, n)
	}'
}

# row KEY LABEL PEER DUET_SUMMARY PEER_SUMMARY: appends a table row.
row() {
	printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" >>"$T/rows"
}

# probe_rps PID PORT PIPE ARGS...: requests/s of one short run.
probe_rps() {
	local pid=$1 port=$2 pipe=$3 n=20000
	shift 3
	[ "$pipe" -gt 1 ] && n=200000
	resp_once "$pid" "$port" "$pipe" "$n" "$@" | awk '{ print $1 }'
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

# resp_row NAME PIPE ARGS...: a RESP row on the plain ports, or on the
# TLS ones (redis-benchmark --tls) with RESP_TLS=1.
resp_row() {
	local name=$1 pipe=$2 n d r a b dp=$P_DUET rp=$P_REDIS label=RESP
	shift 2
	if [ "${RESP_TLS:-0}" = 1 ]; then
		dp=$P_DUET_TLS
		rp=$P_REDIS_TLS
		label="RESP TLS"
		set -- --tls --cacert "$T/tls/ca.crt" "$@"
	fi
	a=$(probe_rps "$DUETD_PID" "$dp" "$pipe" "$@")
	b=$(probe_rps "$REDIS_PID" "$rp" "$pipe" "$@")
	n=$(size_n "$a" "$b")
	log "$label $name -P $pipe: $RUNS x $n requests each"
	for _ in $(seq "$RUNS"); do
		resp_once "$DUETD_PID" "$dp" "$pipe" "$n" "$@" >>"$T/d"
		resp_once "$REDIS_PID" "$rp" "$pipe" "$n" "$@" >>"$T/r"
	done
	d=$(summarize <"$T/d")
	r=$(summarize <"$T/r")
	rm -f "$T/d" "$T/r"
	row resp "$label $name -P $pipe" Redis "$d" "$r"
	if [ "$label" = RESP ] && [ "$name" = set ] && [ "$pipe" = 16 ]; then
		SET16_N=$n
		SET16_DUET=$d
	fi
}

# http_row NAME DUETD_URL NGINX_URL [WRK_ARGS...]
http_row() {
	local name=$1 durl=$2 nurl=$3 d r
	shift 3
	log "HTTP $name: $RUNS x ${WRK_SECS}s"
	for _ in $(seq "$RUNS"); do
		wrk_once "$DUETD_PID" "$durl" "$@" >>"$T/d"
		wrk_once "$NGINX_PID" "$nurl" "$@" >>"$T/r"
	done
	d=$(summarize <"$T/d")
	r=$(summarize <"$T/r")
	rm -f "$T/d" "$T/r"
	row http "HTTP $name" nginx "$d" "$r"
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
		RESP_TLS=1 resp_row set "$pipe" -t set
		RESP_TLS=1 resp_row get "$pipe" -t get
	done
	http_row "TLS GET /echo/hi vs /hi (keep-alive)" \
	    "https://127.0.0.1:$P_DUET_TLS/echo/hi" \
	    "https://127.0.0.1:$P_NGINX_TLS/hi"
	http_row "TLS handshake + GET /echo/hi vs /hi (Connection: close)" \
	    "https://127.0.0.1:$P_DUET_TLS/echo/hi" \
	    "https://127.0.0.1:$P_NGINX_TLS/hi" -H "Connection: close"
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
	row mem "Idle connection memory" Redis "$d" "$r"
	row mem "Idle connection memory" nginx "$d" "$n"
}

# --- workers --------------------------------------------------------------

workers_row() {
	local d
	duetd_config "$P_DUET2" 2
	start_bg DUETD2 "0-$(($(nproc) - 1))" "$P_DUET2" "$DUETD" \
	    -c "$T/duetd-2.yaml"
	sanity_check "$P_DUET2"
	log "workers 2: RESP set -P 16, $RUNS x $SET16_N requests"
	for _ in $(seq "$RUNS"); do
		resp_once "$DUETD2_PID" "$P_DUET2" 16 "$SET16_N" -t set >>"$T/d"
	done
	d=$(summarize <"$T/d")
	rm -f "$T/d"
	row workers "RESP set -P 16, workers 2 (unpinned)" \
	    "duetd workers 1" "$d" "$SET16_DUET"
	stop_bg "$DUETD2_PID"
}

# --- report ---------------------------------------------------------------

render_table() {
	awk -F'|' '
	function rate(s, a) { split(s, a, " ");
		return sprintf("%.0f (%.0f–%.0f)", a[1], a[2], a[3]) }
	function lat(s, a) { split(s, a, " ");
		return sprintf("%.3f / %.3f", a[4], a[5]) }
	function field(s, k, a) { split(s, a, " "); return a[k] }
	function ratio(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
	BEGIN {
		print "| Row | Peer | duetd req/s (min–max) | peer req/s (min–max) " \
		    "| req/s duetd/peer | duetd p50 / p99 ms | peer p50 / p99 ms " \
		    "| duetd CPU µs/req | peer CPU µs/req | CPU duetd/peer |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: " \
		    "| ---: | ---: |"
	}
	$1 == "mem" {
		printf "| %s | %s | %d B/conn (RSS %d → %d KiB) " \
		    "| %d B/conn (RSS %d → %d KiB) | %s | | | | | |\n", $2, $3,
		    field($4, 3), field($4, 1), field($4, 2),
		    field($5, 3), field($5, 1), field($5, 2),
		    ratio(field($4, 3), field($5, 3))
		next
	}
	{
		printf "| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s |\n",
		    $2, $3, rate($4), rate($5),
		    ratio(field($4, 1), field($5, 1)), lat($4), lat($5),
		    field($4, 6), field($5, 6),
		    ratio(field($4, 6), field($5, 6))
	}' "$T/rows"
}

write_results() {
	local rev cpu
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -z "${BENCH_REF:-}" ] &&
	    [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then
		rev="$rev + uncommitted changes"
	fi
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	{
		echo "# duetd vs Redis and nginx"
		echo
		echo "Written by \`bench/compare.sh\` (see bench/README.md)."
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- Kernel: $(uname -r)"
		echo "- CPU: $cpu, $(nproc) cores; load average before the runs:" \
		    "$LOAD0 (1, 5, 15 min; other work on the machine skews" \
		    "every number)"
		echo "- duetd: $rev, -O2, 1 worker; $(redis-server --version |
		    awk '{ print $1, $2, $3 }'); $(nginx -v 2>&1 |
		    sed 's/.*: //'); $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }')"
		echo "- Servers pinned to CPU $SRV_CPU, load generator to CPU" \
		    "$GEN_CPU (taskset); the 2-worker duetd is not pinned."
		echo "- req/s: median of $RUNS runs (min–max); latency and CPU:" \
		    "median of the runs.  CPU µs/req: server user+system time" \
		    "(/proc/PID/stat) over the run / requests completed."
		echo "- RESP: redis-benchmark -c 50 (-n sized for ~${SECS} s)." \
		    "HTTP: wrk -t1 -c50 -d${WRK_SECS}s --latency; duetd GET" \
		    "/echo/hi and GET /echo/<1234 bytes> vs nginx return 200" \
		    "\"hi\" and a 1234-byte return 200."
		echo "- TLS: one ECDSA P-256 certificate, TLS 1.3 (each" \
		    "server's default); redis-benchmark --tls; wrk over" \
		    "https, keep-alive; the handshake row sends \"Connection:" \
		    "close\", so every request is a new connection and a full" \
		    "handshake."
		echo "- Memory: RSS growth over $IDLE_CONNS idle loopback" \
		    "connections (nothing sent), divided by $IDLE_CONNS."
		echo
		render_table
	} >"$OUT"
}

# --- main -----------------------------------------------------------------

main() {
	cd "$ROOT"
	[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs"
	install_packages
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" -ge $((IDLE_CONNS + 1100)) ] ||
	    die "ulimit -n $(ulimit -n) is too low for $IDLE_CONNS connections"
	T=$(mktemp -d /tmp/duet-bench.XXXXXX)
	BODY=$(head -c 1234 /dev/zero | tr '\0' x)
	build_duetd
	start_servers
	sanity_check "$P_DUET"
	sanity_check "$P_REDIS"
	: >"$T/rows"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

	if [ "$ROWS" = tls ]; then
		tls_rows
		write_results
		echo
		cat "$OUT"
		log "wrote $OUT"
		return 0
	fi
	mem_rows
	for pipe in 1 16; do
		resp_row ping_mbulk "$pipe" -t ping_mbulk
		resp_row set "$pipe" -t set
		resp_row get "$pipe" -t get
		resp_row incr "$pipe" -t incr
		resp_row "ECHO 1234 B" "$pipe" ECHO "$BODY"
	done
	http_row "GET /echo/hi vs /hi" "http://127.0.0.1:$P_DUET/echo/hi" \
	    "http://127.0.0.1:$P_NGINX/hi"
	http_row "GET /echo/<1234 B> vs /body" \
	    "http://127.0.0.1:$P_DUET/echo/$BODY" \
	    "http://127.0.0.1:$P_NGINX/body"
	tls_rows
	workers_row

	write_results
	echo
	cat "$OUT"
	log "wrote $OUT"
}

main "$@"
