#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot one lab VM, run selftests/demo-job.sh in it (heca.ko, a
# 256 MiB region, the multiboot test guest in QEMU/KVM on it) and print the
# job's report.  Fails unless the guest verified its memory.
#
# Output: build/demo/ (the lab's files; vm0/demo-report.txt is the report,
# vm0/demo-serial.log the guest's serial port, vm0/demo-qemu.log QEMU's).
# HECA_LAB_SH runs another lab script (for working on this one).

set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
lab=${HECA_LAB_SH:-selftests/lab/lab.sh}
out=build/demo
report=$out/vm0/demo-report.txt

[ -x "$lab" ] || { echo "demo: no $lab" >&2; exit 1; }
rm -rf "$out"
"$lab" --job "$PWD/selftests/demo-job.sh" --vms 1 --out "$out"
rc=$?

echo "==== demo report ($report) ===="
if [ ! -s "$report" ]; then
	echo "demo: FAIL: no report; the lab exited $rc (see $out)"
	exit 1
fi
cat "$report"
if [ "$(tail -n 1 "$report")" != "demo: PASS" ]; then
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	echo "demo: FAIL: the job passed but the lab exited $rc (see $out)"
	exit 1
fi
