#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test run behind "make check": host-side unit tests, then the lab runs
# (one VM: the whole selftest suite; two VMs: cross-host tests).  The last
# line of output is "N passed, N failed, N skipped" over all of them; the
# exit status is non-zero if anything failed or a guest kernel splatted.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/check
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

rc=0
echo "== host: hecactl unit tests"
make -s -C "$top/tools/hecactl" test || rc=1

echo "== lab: one VM, selftest suite"
"$top/selftests/lab/lab.sh" --job "$top/selftests/lab/run-suite.sh" \
	--vms 1 --out "$out/suite" || rc=1

echo "== lab: two VMs, cross-host tests"
"$top/selftests/lab/lab.sh" --job "$top/selftests/lab/two-vm.sh" \
	--vms 2 --out "$out/two-vm" || rc=1

echo "== make check took $(( $(date +%s) - start )) s"
"$top/selftests/lab/summarize" "$out/suite" "$out/two-vm" || rc=1
exit $rc
