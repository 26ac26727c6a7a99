#!/bin/sh
# SPDX-License-Identifier: MIT
# The daemon exports no symbols of its own (plugins reach it only through
# the host table), and each bundled plugin exports exactly its descriptor.
set -eu
bin=${DUETD:?}
real=$(dirname "$bin")/.libs/$(basename "$bin")
[ -x "$real" ] || real=$bin
fail=0
if [ ! -f "$real" ]; then
	echo "FAIL: no $real"
	exit 1
fi
exported=$(nm -D --defined-only "$real" | awk '$2 ~ /[TDBR]/ {print $3}' |
    grep -E '^(duet|main_|conn_|dispatch_|registry_|resp_|convert_|worker_|config_|plugin_|sig_|util_|log_|builtin_)' || true)
if [ -n "$exported" ]; then
	echo "FAIL: duetd exports: $exported"
	fail=1
fi
for so in "${DUET_PLUGIN_DIR:?}"/*.so "${DUET_EXAMPLE_PLUGIN_DIR:?}"/*.so; do
	syms=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' |
	    grep -v -E '^(_init|_fini|_edata|_end|__bss_start|__odr_asan.*|__asan.*|__ubsan.*)$' || true)
	if [ "$syms" != "duet_plugin" ]; then
		echo "FAIL: $so exports: $syms"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
