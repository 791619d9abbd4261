#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test run behind "make check": host-side unit tests, then the lab runs
# (one VM: the whole selftest suite; two VMs: cross-host tests).  The last
# line of output is "N passed, N failed, N skipped" over all of them; the
# exit status is non-zero if anything failed or a guest kernel splatted.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/check
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

rc=0
echo "== host: hecactl unit tests"
make -s -C "$top/tools/hecactl" test || rc=1
echo "== host: make install, and what modprobe then loads"
"$top/selftests/install_test.sh" || rc=1

# lab NAME ARGS...: one lab run into $out/NAME, run once more if a VM froze
# as a whole under TCG (tools/lab/lab.sh --retry-on-freeze).
lab() {
	local name=$1
	shift
	"$top/tools/lab/lab.sh" --retry-on-freeze --out "$out/$name" "$@"
}

echo "== lab: one VM, selftest suite"
lab suite --job "$top/tools/lab/run-suite.sh" --vms 1 || rc=1

echo "== lab: two VMs, cross-host tests"
lab two-vm --job "$top/tools/lab/two-vm.sh" --vms 2 || rc=1

# heca.ko on a kernel that never loaded the RDMA stack (no ib_core): it
# loads and migrates over TCP; heca_rdma.ko is the only RDMA-bound module.
echo "== lab: one VM without the RDMA stack, TCP migrations"
LAB_RDMA=0 LAB_TESTS="postcopy precopy" \
	lab tcp-only --job "$top/tools/lab/run-suite.sh" --vms 1 || rc=1

echo "== make check took $(( $(date +%s) - start )) s"
"$top/tools/lab/summarize" "$out/suite" "$out/two-vm" "$out/tcp-only" || rc=1
exit $rc
