#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the upstream kselftest harness headers from Debian's linux-source-6.1
# tarball into DIR (default selftests/.kselftest).  Nothing of the kernel's is
# kept in the repository: the headers are taken at build time.
set -euo pipefail
dir=${1:-$(dirname "$0")/.kselftest}
tarball=${LINUX_SOURCE_TARBALL:-$(ls /usr/src/linux-source-6.*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$tarball" ] || [ ! -r "$tarball" ]; then
	echo "get-harness: no linux-source tarball in /usr/src (apt-get install linux-source-6.1)" >&2
	exit 1
fi
if [ -f "$dir/kselftest_harness.h" ] && [ "$dir/kselftest_harness.h" -nt "$tarball" ]; then
	exit 0
fi
mkdir -p "$dir"
top=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$dir" --strip-components=4 \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h"
touch "$dir/kselftest_harness.h"
