#!/bin/sh
# SPDX-License-Identifier: MIT
# DESIGN.md's layering holds: no include cycle between daemon/ modules, no
# include pointing up the layer table (tools/layers.py says where).
set -eu
src=${DUET_SRCDIR:?}
if python3 "$src/tools/layers.py" "$src/daemon"; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
