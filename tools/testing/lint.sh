#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel-style lint for heca, with the kernel's own tools taken at run time
# from Debian's linux-source-6.1 tarball (nothing of them is kept here).
#
#   tools/testing/lint.sh checkpatch   checkpatch.pl --strict over kernel/ and uapi/
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=$top/build/lint
tarball=${LINUX_SOURCE_TARBALL:-$(ls /usr/src/linux-source-6.*.tar.xz 2>/dev/null | sort -V | tail -n 1)}

fetch() {
	[ -n "$tarball" ] && [ -r "$tarball" ] || {
		echo "lint: no linux-source tarball in /usr/src (make deps)" >&2
		exit 1
	}
	[ -f "$cache/scripts/checkpatch.pl" ] && return 0
	mkdir -p "$cache"
	local t
	t=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$t/scripts/checkpatch.pl" "$t/scripts/spelling.txt" \
		"$t/scripts/const_structs.checkpatch" "$t/.clang-format"
}

case "${1:-}" in
checkpatch)
	fetch
	cd "$top"
	files=$(ls kernel/*.[ch] uapi/linux/*.h | grep -v "\.mod\.c$")
	# --no-tree: this is an out-of-tree module; FILE_PATH_CHANGES and
	# SPDX checks stay on, as do all --strict checks.
	"$cache/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES -f $files
	echo "checkpatch: clean ($(echo $files | wc -w) files)"
	;;
*)
	echo "usage: $0 checkpatch" >&2
	exit 2
	;;
esac
