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
echo "== host: make install, and what modprobe then loads"
"$top/selftests/install_test.sh" || rc=1

# A lab VM that froze as a whole under TCG, as seen now and then with
# nested KVM under QEMU 7.2 TCG (a vCPU stuck in the int3 of kernel text
# patching, or every vCPU idle with its clock stopped): the guest's
# heartbeat stopped while the job ran (lab.sh writes "froze", and the
# vCPUs' registers into vmN/vcpus.txt), or the run timed out and RCU said
# "timer wakeup didn't happen".  Such a run says nothing about heca: run it
# once more, and say so.  Any other failure counts as it is; a heca bug
# that froze the VM would do it again.
tcg_froze() {
	[ -e "$1/froze" ] && return 0	# lab.sh: the guest's heartbeat stopped
	grep -q 'timed out' "$1/status" 2>/dev/null &&
		grep -qs "timer wakeup didn't happen" "$1"/vm*/console.log
}

# lab NAME ARGS...: one lab run into $out/NAME, retried once if it froze.
lab() {
	local name=$1
	shift
	"$top/selftests/lab/lab.sh" "$@" --out "$out/$name" && return 0
	if tcg_froze "$out/$name"; then
		echo "== lab: $name: the VM froze under TCG (not a heca failure): running it again"
		mv "$out/$name" "$out/$name-froze"
		"$top/selftests/lab/lab.sh" "$@" --out "$out/$name" && return 0
	fi
	return 1
}

echo "== lab: one VM, selftest suite"
lab suite --job "$top/selftests/lab/run-suite.sh" --vms 1 || rc=1

echo "== lab: two VMs, cross-host tests"
lab two-vm --job "$top/selftests/lab/two-vm.sh" --vms 2 || rc=1

# heca.ko on a kernel that never loaded the RDMA stack (no ib_core): it
# loads and migrates over TCP; heca_rdma.ko is the only RDMA-bound module.
echo "== lab: one VM without the RDMA stack, TCP migrations"
LAB_RDMA=0 LAB_TESTS="postcopy precopy" \
	lab tcp-only --job "$top/selftests/lab/run-suite.sh" --vms 1 || rc=1

echo "== make check took $(( $(date +%s) - start )) s"
"$top/selftests/lab/summarize" "$out/suite" "$out/two-vm" "$out/tcp-only" || rc=1
exit $rc
