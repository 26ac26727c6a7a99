#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh - `make fuzz`: builds every libFuzzer target of tests/fuzz with
# clang and -fsanitize=fuzzer,address,undefined in a directory of its own
# (the configured tree keeps its compiler and flags), then runs each for
# FUZZ_SECONDS seconds on its seed corpus.  What libFuzzer learns goes to
# FUZZ_BUILDDIR/corpus/<target> (the seeds in the source tree are only
# read); a crash, leak or timeout is saved as
# FUZZ_BUILDDIR/artifacts/<target>-crash-<sha1> (or leak-, timeout-) and
# replayed once more with its whole report.  Exits 1 if any target
# failed, or if clang cannot build a fuzzer.
#
# Makefile.am passes the build's settings in the environment:
#	FUZZ_CC, FUZZ_SECONDS, FUZZ_TARGETS, FUZZ_FLAGS (extra libFuzzer
#	options), FUZZ_SRCDIR, FUZZ_BUILDDIR, FUZZ_CPPFLAGS, FUZZ_DEPS_CFLAGS,
#	FUZZ_LIBS, FUZZ_DAEMON_SOURCES (relative to FUZZ_SRCDIR),
#	FUZZ_PLUGIN_LIBS.
set -u

CC=${FUZZ_CC:-clang}
SECONDS_EACH=${FUZZ_SECONDS:-60}
SRC=${FUZZ_SRCDIR:-.}
B=${FUZZ_BUILDDIR:-fuzz-build}
SAN='-fsanitize=address,undefined -fno-sanitize-recover=all'
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer $SAN"

case $SECONDS_EACH in
'' | *[!0-9]*)
	echo "make fuzz: FUZZ_SECONDS must be a number of seconds," \
	    "not '$SECONDS_EACH'" >&2
	exit 1
	;;
esac
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "make fuzz: '$CC' not found: the fuzz targets need clang's" \
	    "libFuzzer (Debian: apt-get install clang), or FUZZ_CC=<clang>" >&2
	exit 1
fi
mkdir -p "$B/obj" "$B/plugins" "$B/artifacts" || exit 1
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$B/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$B/probe.c" \
    -o "$B/probe" >"$B/probe.log" 2>&1; then
	echo "make fuzz: '$CC' cannot link -fsanitize=fuzzer" \
	    "(see $B/probe.log): libFuzzer comes with clang 6 or later" >&2
	exit 1
fi

# The daemon's objects, instrumented for coverage (fuzzer-no-link).  An
# object is rebuilt when its source or any header is newer, or when the
# flags changed.
OBJFLAGS="$CFLAGS -fsanitize=fuzzer-no-link $FUZZ_CPPFLAGS $FUZZ_DEPS_CFLAGS"
if [ "$(cat "$B/obj/flags" 2>/dev/null)" != "$CC $OBJFLAGS" ]; then
	rm -f "$B"/obj/*.o
	printf '%s\n' "$CC $OBJFLAGS" >"$B/obj/flags"
fi
OBJS=
for src in $FUZZ_DAEMON_SOURCES; do
	obj="$B/obj/$(basename "$src" .c).o"
	OBJS="$OBJS $obj"
	if [ -f "$obj" ] && [ ! "$SRC/$src" -nt "$obj" ] &&
	    [ -z "$(find "$SRC/daemon" "$SRC/include" -name '*.h' \
	        -newer "$obj" | head -n 1)" ]; then
		continue
	fi
	echo "  CC       $obj"
	# shellcheck disable=SC2086
	$CC $OBJFLAGS -c "$SRC/$src" -o "$obj" || exit 1
done

# The bundled plugins that fuzz_conn loads (DUET_PLUGIN_DIR), with the
# same sanitizers, whose runtime comes from the fuzzer executable.  Not
# with coverage: libFuzzer would read their counters after the dlclose
# that ends each input.
for p in math kv; do
	echo "  CCLD     $B/plugins/$p.so"
	# shellcheck disable=SC2086
	$CC $CFLAGS -fPIC -shared \
	    -I"$SRC/include" $FUZZ_DEPS_CFLAGS "$SRC/plugins/$p/$p.c" \
	    -o "$B/plugins/$p.so" $FUZZ_PLUGIN_LIBS -lpthread || exit 1
done

for t in $FUZZ_TARGETS; do
	echo "  CCLD     $B/fuzz_$t"
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=fuzzer -rdynamic $FUZZ_CPPFLAGS \
	    $FUZZ_DEPS_CFLAGS -I"$SRC/tests/fuzz" "$SRC/tests/fuzz/fuzz_$t.c" \
	    $OBJS -o "$B/fuzz_$t" $FUZZ_LIBS || exit 1
done

failed=
for t in $FUZZ_TARGETS; do
	echo "make fuzz: fuzz_$t for ${SECONDS_EACH}s"
	mkdir -p "$B/corpus/$t"
	# The daemon's own log is noise here (-close_fd_mask=2); libFuzzer
	# and the sanitizers still report on stderr.
	# shellcheck disable=SC2086
	if ! DUET_PLUGIN_DIR="$B/plugins" "$B/fuzz_$t" \
	    -max_total_time="$SECONDS_EACH" -timeout=10 -close_fd_mask=2 \
	    -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
	    ${FUZZ_FLAGS:-} "$B/corpus/$t" "$SRC/tests/fuzz/corpus/$t"; then
		failed="$failed $t"
		for a in "$B/artifacts/$t-"*; do
			[ -f "$a" ] || continue
			echo "make fuzz: replaying $a"
			DUET_PLUGIN_DIR="$B/plugins" "$B/fuzz_$t" "$a"
		done
	fi
done
if [ -n "$failed" ]; then
	echo "make fuzz: failed:$failed (inputs in $B/artifacts/; add each" \
	    "to tests/fuzz/corpus/<target>/ with the fix)" >&2
	exit 1
fi
echo "make fuzz: no crash, leak or timeout in:" $FUZZ_TARGETS
