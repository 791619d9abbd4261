#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# job.sh: in-guest job of the debug lane (tools/testing/debug-kernel/check.sh, "make
# check-debug"): one of the lab's jobs, with heca.ko and the tests taken from
# LAB_SUITE_REPO, the tree whose kernel/heca.ko is built for the debug
# kernel, framed by kmemleak:
#
#   lab.sh ... --job tools/testing/debug-kernel/job.sh -- suite [TEST...]   run-suite.sh
#   lab.sh --vms 2 ... --job tools/testing/debug-kernel/job.sh -- two-vm     two-vm.sh
#
# kmemleak, in each VM: after the job (heca unloaded by it), wait, scan twice,
# read the report.  kmemleak.tap: kmemleak_clean fails on any unreferenced
# object, whoever allocated it; the report is kept in kmemleak.txt.  (The
# kernel's own "kmemleak: N new suspected memory leaks" line also fails the
# run in lab.sh's splat scan.)  There is no scan before the job: every scan
# that finds something logs that line, so a "scan, then clear" to forget
# what booting leaked would itself fail the run; a clean boot is part of
# the check.
#
# Any unreferenced object counts, not only those with heca in their
# backtrace: after the unload heca's own addresses are no longer symbolised,
# and an object leaked by rdma_cm, a socket or KVM on heca's behalf (a
# missing destroy or put) has no heca frame at all.  The report names the
# task ("comm") that allocated it, i.e. the test.
#
# Without /sys/kernel/debug/kmemleak (the stock kernel) it is the job alone
# and kmemleak_clean is skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lab/lib.sh"

out=${LAB_OUT:?run in the lab: see tools/testing/debug-kernel/check.sh}
kml=/sys/kernel/debug/kmemleak
up() { cut -d' ' -f1 /proc/uptime; }

# kmemleak_scan: one scan; the time it took on stdout.
kmemleak_scan() {
	local t0
	t0=$(up)
	echo scan >"$kml" || return 1
	awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'
}

what=${1:-suite}
shift || true
case $what in
suite) bash "$here/../../lab/run-suite.sh" "$@" ;;
# two-vm.sh takes heca.ko and xvm_migrate from LAB_REPO.
two-vm) LAB_REPO=${LAB_SUITE_REPO:-$LAB_REPO} bash "$here/../../lab/two-vm.sh" "$@" ;;
*) echo "job.sh: suite or two-vm, not '$what'" >&2; false ;;
esac
rc=$?

tap_begin "$out/kmemleak.tap" 1
if [ ! -w "$kml" ]; then
	tap skip kmemleak_clean "no $kml (kernel without CONFIG_DEBUG_KMEMLEAK)"
	tap_end
	exit $rc
fi
# An object freed a moment ago may still look unreferenced to the first
# scan (kmemleak reports only objects older than 5 s, and only after it
# found them unreferenced twice): wait, scan again.
sleep 6
t1=$(kmemleak_scan)
t2=$(kmemleak_scan)
echo "== kmemleak: scans after the job took $t1 s and $t2 s"
cat "$kml" >"$out/kmemleak.txt"
n=$(grep -c '^unreferenced object' "$out/kmemleak.txt" || true)
if [ "$n" = 0 ]; then
	tap ok kmemleak_clean
else
	tap fail kmemleak_clean "$n unreferenced object(s): see kmemleak.txt"
	grep -A 12 -m 3 '^unreferenced object' "$out/kmemleak.txt" | sed 's/^/# /' |
		tee -a "$TAP_FILE"
fi
tap_end
exit $rc
