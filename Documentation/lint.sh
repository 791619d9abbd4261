#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Documentation lint, with the kernel's own tools taken at run time from
# Debian's linux-source-6.1 tarball (nothing of them is kept here):
#
#   Documentation/lint.sh [all]      both of the below
#   Documentation/lint.sh kernel-doc scripts/kernel-doc -none on the headers
#   Documentation/lint.sh sphinx     sphinx-build -W of Documentation/ into
#                                    build/doc/html (structures pulled from
#                                    the headers by kerneldoc.py)
#
# Every header in uapi/linux/ and kernel/ is checked; a header named in
# HECA_KDOC_PENDING (default below) still has known warnings: they are
# printed, but do not fail the lint.  Remove it from the list once clean.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/build/doc/kernel
tarball=${LINUX_SOURCE_TARBALL:-$(ls /usr/src/linux-source-6.*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
pending=${HECA_KDOC_PENDING-}

fetch() {
	[ -f "$cache/scripts/kernel-doc" ] &&
		[ -f "$cache/Documentation/sphinx/kerneldoc.py" ] && return 0
	[ -n "$tarball" ] && [ -r "$tarball" ] || {
		echo "doc-lint: no linux-source tarball in /usr/src (make deps)" >&2
		exit 1
	}
	mkdir -p "$cache"
	local t
	t=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$t/scripts/kernel-doc" \
		"$t/Documentation/sphinx/kerneldoc.py" \
		"$t/Documentation/sphinx/kernellog.py"
}

kernel_doc() {
	local f out bad=0 n=0
	cd "$top"
	for f in uapi/linux/*.h kernel/*.h; do
		n=$((n + 1))
		out=$(perl "$cache/scripts/kernel-doc" -none "$f" 2>&1) || true
		[ -n "$out" ] || continue
		if [[ " $pending " == *" $f "* ]]; then
			echo "$out" | sed 's/$/ (known: HECA_KDOC_PENDING)/'
		else
			echo "$out"
			bad=1
		fi
	done
	[ $bad = 0 ] || { echo "kernel-doc: warnings in headers (see above)" >&2; return 1; }
	echo "kernel-doc: clean ($n headers${pending:+; warnings not fatal in: $pending})"
}

sphinx() {
	command -v sphinx-build >/dev/null || {
		echo "doc-lint: no sphinx-build (apt-get install python3-sphinx, or make deps)" >&2
		exit 1
	}
	rm -rf "$top/build/doc/html" "$top/build/doc/doctrees"
	# KDOC_WERROR: a warning of kernel-doc, e.g. an identifier no header has
	# any more, fails the build like a warning of Sphinx.
	KDOC_WERROR=1 HECA_KERNEL_SRC=$cache sphinx-build -W --keep-going -q -b html \
		-d "$top/build/doc/doctrees" "$top/Documentation" "$top/build/doc/html"
	echo "sphinx: clean (build/doc/html/index.html)"
}

case "${1:-all}" in
kernel-doc) fetch; kernel_doc ;;
sphinx) fetch; sphinx ;;
all) fetch; rc=0; kernel_doc || rc=1; sphinx || rc=1; exit $rc ;;
*) echo "usage: $0 [all|kernel-doc|sphinx]" >&2; exit 2 ;;
esac
