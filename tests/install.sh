#!/bin/sh
# SPDX-License-Identifier: MIT
# The install layout: `make install DESTDIR=...` from the build tree puts
# every file where duetd(8) says (the example plugin demo outside the
# plugin directory); an out-of-tree plugin (tests/outoftree) builds against
# the installed header and duet.pc alone, and the installed duetd loads it
# next to the installed bundled plugins; a second install keeps an edited
# duetd.yaml; uninstall removes everything else.  Nothing is rebuilt:
# `make check` built every target before running the tests.
#
# Then the build system itself, in a clean copy of the sources (`make
# distdir`, so this build tree is left alone): configured for /usr, then
# reconfigured for another prefix, `make duetd` rebuilds what uses the
# paths, and the systemd unit installs under that prefix without root.
# That part runs once per `make check` of a source tree (not under
# distcheck or --enable-asan, whose build system is the same).
set -u
: "${DUET_BUILDDIR:?}" "${DUET_SRCDIR:?}" "${DUET_INST_SBINDIR:?}"
: "${DUET_INST_PLUGINDIR:?}" "${DUET_INST_CONFDIR:?}"
: "${DUET_INST_EXAMPLESDIR:?}" "${DUET_PLUGIN_DIR:?}"
: "${DUET_INST_INCLUDEDIR:?}" "${DUET_INST_PKGCONFIGDIR:?}"
: "${DUET_INST_MANDIR:?}" "${DUET_INST_UNITDIR:?}"
make=${MAKE:-make}
# The nested makes are not part of the parent's job (no jobserver, no
# command-line variables of the `make check` that runs this test).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
pass=0
fail=0

ok() {
	pass=$((pass + 1))
}

bad() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}

# check DESCRIPTION COMMAND...: one test, passed when COMMAND succeeds.
check() {
	what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

install_root() {
	$make -C "$DUET_BUILDDIR" install DESTDIR="$root" >"$tmp/install.log" 2>&1
}

if ! install_root; then
	cat "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$root"
	echo "0 passed, 1 failed"
	exit 1
fi
ok

check "duetd in sbindir" test -x "$root$DUET_INST_SBINDIR/duetd"
for p in math kv; do
	check "$p.so in the plugin dir" test -f "$root$DUET_INST_PLUGINDIR/$p.so"
done
check "demo.so in the examples dir" \
    test -f "$root$DUET_INST_EXAMPLESDIR/demo.so"
check "no demo.so in the plugin dir" \
    test ! -e "$root$DUET_INST_PLUGINDIR/demo.so"
check "no demo.so in the build tree's plugin dir" \
    test ! -e "$DUET_PLUGIN_DIR/demo.so"
check "duetd.yaml in sysconfdir/duet" test -f "$root$DUET_INST_CONFDIR/duetd.yaml"
check "duet/plugin.h" test -f "$root$DUET_INST_INCLUDEDIR/plugin.h"
check "duet.pc" test -f "$root$DUET_INST_PKGCONFIGDIR/duet.pc"
check "duetd.8" test -f "$root$DUET_INST_MANDIR/man8/duetd.8"
check "duetd.yaml.5" test -f "$root$DUET_INST_MANDIR/man5/duetd.yaml.5"
check "duet-plugin.3" test -f "$root$DUET_INST_MANDIR/man3/duet-plugin.3"
check "duet-link.7" test -f "$root$DUET_INST_MANDIR/man7/duet-link.7"
check "the example link node" \
    test -x "$root$DUET_INST_DOCDIR/examples/link_node.py"
if [ "$DUET_INST_UNITDIR" != no ]; then
	unit=$root$DUET_INST_UNITDIR/duetd.service
	want="ExecStart=$DUET_INST_SBINDIR/duetd -c $DUET_INST_CONFDIR/duetd.yaml"
	check "duetd.service in the unit dir" test -f "$unit"
	check "the unit runs the installed duetd and config" \
	    grep -qxF "$want" "$unit"
	if grep -n '@[a-z_]*@' "$unit"; then
		bad "an @variable@ left in the unit"
	else
		ok
	fi
fi

# An out-of-tree plugin sees only what was installed: its -I comes from
# the installed duet.pc, moved under DESTDIR by the sysroot.
mkdir "$tmp/hello"
cp "$DUET_SRCDIR/tests/outoftree/Makefile" "$DUET_SRCDIR/tests/outoftree/hello.c" \
    "$tmp/hello/"
PKG_CONFIG_PATH=$root$DUET_INST_PKGCONFIGDIR
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
if $make -C "$tmp/hello" >"$tmp/hello.log" 2>&1; then
	ok
else
	cat "$tmp/hello.log"
	bad "out-of-tree plugin build"
fi
# shellcheck disable=SC2046 # pkg-config prints several words
deps=$(cd "$tmp/hello" && cc -M $(pkg-config --cflags duet) hello.c 2>&1)
case $deps in
*"$root$DUET_INST_INCLUDEDIR/plugin.h"*) ok ;;
*) bad "hello.c did not use the installed plugin.h: $deps" ;;
esac
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# The installed duetd loads the installed plugins and the new one (on a
# unix socket: -t binds, and 127.0.0.1:3838 may be a running duetd's).
cat >"$tmp/duetd.yaml" <<EOF
listen: ["unix:$tmp/duetd.sock"]
plugin_dir: $root$DUET_INST_PLUGINDIR
plugins:
  - path: $tmp/hello/hello.so
EOF
out=$("$root$DUET_INST_SBINDIR/duetd" -t -c "$tmp/duetd.yaml" 2>"$tmp/t.err")
rc=$?
if [ $rc -eq 0 ] && [ "$out" = "configuration ok" ]; then
	ok
else
	cat "$tmp/t.err"
	bad "duetd -t with hello.so: exit $rc, '$out'"
fi
for p in hello math kv; do
	check "duetd -t loaded $p" grep -q "loaded plugin $p " "$tmp/t.err"
done
if grep -q "loaded plugin demo " "$tmp/t.err"; then
	bad "duetd -t loaded demo from the plugin dir"
else
	ok
fi

# A second install keeps the administrator's duetd.yaml.
conf=$root$DUET_INST_CONFDIR/duetd.yaml
echo "# edited by the administrator" >>"$conf"
if install_root; then ok; else cat "$tmp/install.log"; bad "second install"; fi
check "second install kept the edited duetd.yaml" \
    grep -qxF "# edited by the administrator" "$conf"

# Uninstall removes every file but that edited config.
if $make -C "$DUET_BUILDDIR" uninstall DESTDIR="$root" >"$tmp/uninstall.log" 2>&1; then
	ok
else
	cat "$tmp/uninstall.log"
	bad "make uninstall"
fi
left=$(cd "$root" && find . -type f -o -type l)
if [ "$left" = ".$DUET_INST_CONFDIR/duetd.yaml" ]; then
	ok
else
	bad "files left after uninstall: $left"
fi

# --- The build system, in a clean copy of the sources -------------------

# scratch_build PREFIX: (re)configures the copy for PREFIX and builds
# duetd alone (unoptimised: only the paths matter here).
scratch_build() {
	(cd "$src" && ./configure -C --prefix="$1" CFLAGS=-O0 &&
	    $make -j2 duetd) >"$tmp/scratch.log" 2>&1 && return 0
	tail -30 "$tmp/scratch.log"
	return 1
}

# check_default_config PREFIX: duetd -h names PREFIX's config.
check_default_config() {
	want="  -c, --config FILE  configuration file (default $1/etc/duet/duetd.yaml)"
	if "$src/duetd" -h | grep -qxF -- "$want"; then
		ok
	else
		bad "after configuring --prefix=$1, duetd -h says:
$("$src/duetd" -h)"
	fi
}

if [ "$DUET_SRCDIR" != "$DUET_BUILDDIR" ] || [ "${DUET_ASAN:-0}" = 1 ]; then
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
fi
src=$tmp/src
if $make -C "$DUET_BUILDDIR" distdir distdir="$src" >"$tmp/distdir.log" 2>&1
then
	ok
else
	cat "$tmp/distdir.log"
	bad "make distdir"
fi

# The system's prefix: the paths, and the unit directory from pkg-config.
if scratch_build /usr; then ok; else bad "configure --prefix=/usr"; fi
check_default_config /usr
want=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
[ -n "$want" ] || want='${prefix}/lib/systemd/system'
got=$(sed -n 's/^systemdsystemunitdir = //p' "$src/Makefile")
if [ "$got" = "$want" ]; then ok; else
	bad "unit dir for --prefix=/usr: '$got', not '$want'"
fi

# Another prefix: duetd is rebuilt with it, and the unit follows it.
prefix=$tmp/prefix
if scratch_build "$prefix"; then ok; else bad "configure --prefix=$prefix"; fi
check_default_config "$prefix"
check "paths.h follows the new prefix" grep -qF \
    "#define PLUGINDIR \"$prefix/lib/duet/plugins\"" "$src/daemon/paths.h"

# make install writes the unit under the prefix, which a user can own: as
# root, install it as nobody (no write access anywhere else).
mkdir "$prefix"
as_user=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$tmp"
	chown nobody "$prefix"
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
if $make -C "$src" conf/duetd.service >"$tmp/unit.log" 2>&1 &&
    $as_user $make -C "$src" install-nodist_systemdsystemunitDATA \
    >>"$tmp/unit.log" 2>&1; then
	ok
else
	cat "$tmp/unit.log"
	bad "install the unit under --prefix=$prefix${as_user:+ as nobody}"
fi
check "the unit follows the prefix" grep -qxF \
    "ExecStart=$prefix/sbin/duetd -c $prefix/etc/duet/duetd.yaml" \
    "$prefix/lib/systemd/system/duetd.service"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
