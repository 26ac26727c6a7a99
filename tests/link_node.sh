#!/bin/sh
# SPDX-License-Identifier: MIT
# The example link node: the program quoted in man/duet-link.7 is
# doc/examples/link_node.py byte for byte (once the roff escapes are
# undone), and it speaks the link protocol as duet-link(7) says, checked
# against a scripted hub (tests/integration/link_fakehub.py).  Needs
# redis-py 6 and python3-msgpack (tools/deps.sh).
set -eu
src=${DUET_SRCDIR:?}
redispy=/var/cache/duetd-test/redis-py-6.1.0/usr/lib/python3/dist-packages
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Between .EX and .EE after the comment that names the file.
awk '/^\.\\" The program is doc\/examples\/link_node.py/ {on = 1; next}
    on && /^\.EX$/ {body = 1; next}
    body && /^\.EE$/ {exit}
    body {print}' "$src/man/duet-link.7" |
    sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/^\\&//' -e 's/\\e/\\/g' \
    >"$tmp/quoted.py"
if cmp -s "$tmp/quoted.py" "$src/doc/examples/link_node.py"; then
	echo "PASS: duet-link(7) quotes doc/examples/link_node.py"
else
	echo "FAIL: duet-link(7) and doc/examples/link_node.py differ:"
	diff -u "$src/doc/examples/link_node.py" "$tmp/quoted.py" || true
	fail=1
fi

if [ ! -f "$redispy/redis/__init__.py" ] ||
    ! /usr/bin/python3 -c 'import msgpack' 2>/dev/null; then
	echo "FAIL: needs redis-py 6 in $redispy and python3-msgpack;" \
	    "as root, run tools/deps.sh"
	fail=1
elif /usr/bin/python3 "$src/tests/integration/link_fakehub.py" \
    "$src/doc/examples/link_node.py" "$redispy" >"$tmp/out" 2>&1; then
	echo "PASS: link_node.py against the scripted hub"
else
	cat "$tmp/out"
	echo "FAIL: link_node.py against the scripted hub"
	fail=1
fi
[ $fail -eq 0 ] && echo "2 passed, 0 failed" || echo "failed"
exit $fail
