# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by bench/compare.sh: the table.  Reads $T/timed (ID|duetd
# summary|peer summary, see summarize) and $T/ir (SERVER ROW COUNT, from
# bench/ir.sh) and writes the Markdown file $OUT.

# What the CPU columns count (BENCH_CPU).
cpu_kind_text() {
	case $CPU_KIND in
	user) echo "user (BENCH_CPU=user: system time not counted)" ;;
	system) echo "system (BENCH_CPU=system: user time not counted)" ;;
	*) echo "user+system" ;;
	esac
}

# The rows in table order: ID|label|peer|duetd's and the peer's
# instruction rows (bench/ir.sh, prefixed with the server).
catalog() {
	local p id
	echo "mem-redis|Idle connection memory|Redis||"
	echo "mem-nginx|Idle connection memory|nginx||"
	for p in 1 16; do
		for id in ping_mbulk set get incr echo1234; do
			echo "resp-$id-$p|RESP ${id/echo1234/ECHO 1234 B} -P $p|Redis|duetd $id-P$p|redis $id-P$p"
		done
	done
	echo "http-hi|HTTP GET /echo/hi vs /hi|nginx|duetd http-hi|nginx http-hi"
	echo "http-1234|HTTP GET /echo/<1234 B> vs /body|nginx|duetd http-1234|nginx http-1234"
	echo "webdis|HTTP GET /get/k vs webdis GET /GET/k|webdis + Redis|duetd http-getk|webdis http-getk"
	for p in 1 16; do
		for id in set get; do
			echo "tls-$id-$p|RESP TLS $id -P $p|Redis|duetd tls-$id-P$p|redis tls-$id-P$p"
		done
	done
	echo "https-hi|HTTP TLS GET /echo/hi vs /hi (keep-alive)|nginx|duetd https-hi|nginx https-hi"
	echo "https-hs|HTTP TLS handshake + GET /echo/hi vs /hi (Connection: close)|nginx|duetd https-hs|nginx https-hs"
	echo "workers|RESP set -P 16, workers 2 (unpinned) vs workers 1|duetd workers 1|duetd2 set-P16|duetd set-P16"
	echo "pubsub|RESP pub/sub, 1 publisher, $PUBSUB_SUBS subscribers (per delivered message)|Redis|duetd pubsub|redis pubsub"
	echo "sse|SSE GET /events/ch, 1 RESP publisher, $PUBSUB_SUBS streams (per delivered message)||duetd pubsub-sse|"
	for p in 1 16; do
		echo "link-add-$p|RESP fs.add 1 2 on a hub, through a link to the node's add -P $p (hub + node)|add 1 2 on the node (local)|link link-add-P$p|link add-P$p"
	done
	echo "link-mem|Link memory on the hub, $LINK_NODES nodes registered|RESP3 connection, HELLO 3 AUTH||"
}

render_table() {
	touch "$T/timed" "$T/ir"
	catalog | awk -F'|' -v timed="$T/timed" -v irf="$T/ir" '
	function rate(s, a) { if (s == "") return ""; split(s, a, " ");
		return sprintf("%.0f (%.0f–%.0f)", a[1], a[2], a[3]) }
	function lat(s, a) { if (s == "") return ""; split(s, a, " ");
		if (a[4] == "-") return "";
		return sprintf("%.3f / %.3f (%.3f–%.3f)", a[4], a[5], a[7], a[8]) }
	function f(s, k, a) { split(s, a, " "); return a[k] }
	function ratio(x, y) {
		return x != "" && x != "-" && y + 0 > 0 ? sprintf("%.2f", x / y) : "" }
	function cpu(s) { return s == "" ? "" : sprintf("%.2f", f(s, 6)) }
	function other(d, p) { if (d == "") return "";
		if (p == "") return sprintf("%d (max %d)", f(d, 9), f(d, 10));
		return sprintf("%d / %d (max %d / %d)", f(d, 9), f(p, 9), f(d, 10), f(p, 10)) }
	BEGIN {
		FS = "|"
		while ((getline l < timed) > 0) {
			split(l, a, "|"); D[a[1]] = a[2]; P[a[1]] = a[3]
		}
		while ((getline l < irf) > 0) {
			split(l, a, " "); I[a[1] " " a[2]] = a[3]
		}
		print "| Row | Peer | duetd req/s (min–max) | peer req/s (min–max) " \
		    "| req/s duetd/peer | duetd p50 / p99 ms (p99 min–max) " \
		    "| peer p50 / p99 ms (p99 min–max) | p99 duetd/peer " \
		    "| duetd CPU µs/req | peer CPU µs/req | CPU duetd/peer " \
		    "| duetd instr/req | peer instr/req | instr duetd/peer " \
		    "| other load % duetd / peer runs |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: " \
		    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	}
	$1 == "link-mem" {
		if (!($1 in D)) next
		d = D[$1]; p = P[$1]
		printf "| %s | %s | %d B/link (RSS %d → %d KiB) " \
		    "| %d B/conn (RSS %d → %d KiB) | %s | | | | | | | | | | |\n",
		    $2, $3, f(d, 3), f(d, 1), f(d, 2), f(p, 3), f(p, 1), f(p, 2),
		    ratio(f(d, 3), f(p, 3))
		next
	}
	$1 ~ /^mem-/ {
		if (!($1 in D)) next
		d = D[$1]; p = P[$1]
		printf "| %s | %s | %d B/conn (RSS %d → %d KiB) " \
		    "| %d B/conn (RSS %d → %d KiB) | %s | | | | | | | | | | |\n",
		    $2, $3, f(d, 3), f(d, 1), f(d, 2), f(p, 3), f(p, 1), f(p, 2),
		    ratio(f(d, 3), f(p, 3))
		next
	}
	{
		d = D[$1]; p = P[$1]; id = I[$4]; ip = I[$5]
		if (d == "" && id == "" && ip == "") next
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s " \
		    "| %s | %s | %s | %s |\n", $2, $3, rate(d), rate(p),
		    ratio(f(d, 1), f(p, 1)), lat(d), lat(p),
		    ratio(f(d, 5), f(p, 5)), cpu(d), cpu(p),
		    ratio(f(d, 6), f(p, 6)), id, ip, ratio(id, ip), other(d, p)
	}'
}

# render_notes: what the figures say about the 1234-byte HTTP row (the
# issue asks what share of its gap to nginx is the work duetd does and
# nginx does not: decoding the 1234-byte path segment, checking it is
# UTF-8 and writing it as a JSON string).  That work is measured as what
# the 1234 bytes add to duetd's /echo/hi request, less what they add to
# nginx's /hi (sending them, which both do).
render_notes() {
	awk -v timed="$T/timed" -v irf="$T/ir" '
	function f(s, k, a) { split(s, a, " "); return a[k] }
	BEGIN {
		while ((getline l < timed) > 0) {
			split(l, a, "|"); D[a[1]] = a[2]; P[a[1]] = a[3]
		}
		while ((getline l < irf) > 0) {
			split(l, a, " "); I[a[1] " " a[2]] = a[3]
		}
		if (D["http-hi"] == "" || D["http-1234"] == "") exit
		dh = f(D["http-hi"], 6); d4 = f(D["http-1234"], 6)
		nh = f(P["http-hi"], 6); n4 = f(P["http-1234"], 6)
		work = (d4 - dh) - (n4 - nh); gap = d4 - n4
		printf "\nThe 1234-byte HTTP row: the 1234 bytes add %.2f µs " \
		    "to duetd'"'"'s request and %.2f µs to nginx'"'"'s, so " \
		    "duetd'"'"'s own work on them (percent-decoding, UTF-8 " \
		    "check, JSON string) is about %.2f µs per request", \
		    d4 - dh, n4 - nh, work
		ih = I["duetd http-hi"]; i4 = I["duetd http-1234"]
		jh = I["nginx http-hi"]; j4 = I["nginx http-1234"]
		if (ih != "" && i4 != "" && jh != "" && j4 != "")
			printf " (%d of its %d instructions)", \
			    (i4 - ih) - (j4 - jh), i4
		if (gap <= 0)
			printf "; duetd is not behind nginx on this row.\n"
		else if (work >= gap)
			printf "; that is all of the %.2f µs gap to nginx: " \
			    "without it duetd would be %.2f µs ahead.\n", gap, \
			    work - gap
		else
			printf "; that is %.0f %% of the %.2f µs gap to " \
			    "nginx.\n", work * 100 / gap, gap
	}'
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
		echo "# duetd vs Redis, nginx and webdis"
		echo
		echo "Written by \`bench/compare.sh\` (see bench/README.md)."
		echo
		echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); the script took" \
		    "$((SECONDS / 60)) min $((SECONDS % 60)) s;" \
		    "BENCH_ROWS=$ROWS"
		echo "- Kernel: $(uname -r)"
		echo "- CPU: $cpu, $(nproc) cores; load average before the runs:" \
		    "$LOAD0 (1, 5, 15 min; other work on the machine skews" \
		    "every number)"
		echo "- duetd: $rev, -O2, 1 worker; $(redis-server --version |
		    awk '{ print $1, $2, $3 }'); $(nginx -v 2>&1 |
		    sed 's/.*: //'); webdis $(dpkg-query -W -f='${Version}' \
		    webdis 2>/dev/null); $(wrk -v 2>&1 |
		    awk 'NR == 1 { print $1, $2 }'); $(valgrind --version)"
		echo "- Servers pinned to CPU $SRV_CPU, load generator to CPU" \
		    "$GEN_CPU (taskset); the 2-worker duetd is not pinned."
		echo "- req/s: median of $RUNS runs (min–max); latency and CPU:" \
		    "median of the runs, p99 also min–max.  duetd and the peer" \
		    "run in turns, each starting every other run.  CPU µs/req:" \
		    "server $(cpu_kind_text) time (/proc/PID/stat, all threads and" \
		    "for webdis also its redis-server) over the run / requests" \
		    "completed.  *Other load*: the share of CPU $SRV_CPU and" \
		    "$GEN_CPU's time taken by processes other than the server" \
		    "and the load generator during a run (median and max of the" \
		    "runs): where it is not near 0, p99 (and CPU time) suffer" \
		    "from the machine's other work, not from the server."
		if [ "$COUNTER" = perf ]; then
			echo "- Instructions/request: counted by perf stat -e" \
			    "instructions:u -p (user space, all threads; webdis" \
			    "+ its redis-server summed), one run per row, counted" \
			    "during"
		else
			echo "- Instructions/request: counted by callgrind" \
			    "(perf stat -e instructions is not supported on this" \
			    "machine), one run per row (deterministic): the server" \
			    "under valgrind --tool=callgrind (user space, all" \
			    "threads; webdis + its redis-server summed), counters" \
			    "zeroed before and dumped after"
		fi
		echo "  a load of ${IR_N:-20000} requests (-P 1 rows a" \
		    "quarter, HTTP ${IR_HTTP_N:-5000}, handshakes" \
		    "${IR_HS_N:-200}) and after a small one (100 per -P 1 row," \
		    "1600 per -P 16, 100 HTTP, 50 handshakes): (large - small)" \
		    "/ (large - small requests), the cost of a request without" \
		    "the 50 connections' set-up."
		echo "- RESP: redis-benchmark -c 50 (-n sized for ~${SECS} s)." \
		    "HTTP: wrk -t1 -c50 -d${WRK_SECS}s --latency; duetd GET" \
		    "/echo/hi and GET /echo/<1234 bytes> vs nginx return 200" \
		    "\"hi\" and a 1234-byte return 200; duetd GET /get/k (kv)" \
		    "vs webdis GET /GET/k (1 HTTP thread, pool of 2 Redis" \
		    "connections)."
		echo "- TLS: one ECDSA P-256 certificate, TLS 1.3 (each" \
		    "server's default); redis-benchmark --tls; wrk over" \
		    "https, keep-alive; the handshake row sends \"Connection:" \
		    "close\", so every request is a new connection and a full" \
		    "handshake."
		echo "- Pub/sub (bench/pubsub_client.c): 1 RESP publisher" \
		    "(PUBLISH of ${PUBSUB_SIZE} bytes, ${PUBSUB_WINDOW} in" \
		    "flight) and ${PUBSUB_SUBS} subscribers (RESP2 SUBSCRIBE;" \
		    "the sse row: GET /events/ch, duetd alone), ${SECS} s" \
		    "per run; req/s and CPU µs/req are per *delivered*" \
		    "message (one PUBLISH = ${PUBSUB_SUBS} deliveries); no" \
		    "latencies; instructions: ${IR_PUBSUB_N:-2000} messages" \
		    "minus $((${IR_PUBSUB_N:-2000} / 10))."
		echo "- Memory: RSS growth over $IDLE_CONNS idle loopback" \
		    "connections (nothing sent), divided by $IDLE_CONNS."
		echo "- Links: a hub and a node (workers: 1 each, both on CPU" \
		    "$SRV_CPU, both with the same bench user); the node exports" \
		    "math's add, which the hub's callers call as fs.add." \
		    "The duetd columns are fs.add 1 2 on the hub (CPU and" \
		    "instructions: hub + node summed), the peer columns add 1" \
		    "2 on the node itself; the issue's target is CPU" \
		    "linked/local <= 2.2.  Link memory: the hub's RSS growth" \
		    "over $LINK_NODES RESP3 connections that each log in" \
		    "(HELLO 3 AUTH) and register a node with one command" \
		    "(bench/links_mem.py) / $LINK_NODES, against the growth" \
		    "after the logins alone."
		echo
		render_table
		render_notes
	} >"$OUT"
}

