#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: two lab VMs, each with its own kernel and heca.ko.  A stock
# Debian QEMU guest (-accel kvm, nested) whose RAM is a heca region runs on
# VM0, rewriting and checking its memory; hecactl migrates it in hybrid mode
# to VM1, driving QEMU over QMP on both sides (tools/testing/demo-qemu-job.sh).
# The guest goes on at the destination and verifies every page there.
# Output: build/demo/ (vmN/demo-qemu.txt and the files of both sides).
# HECA_LAB_SH runs another lab script (for working on this one).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
lab=${HECA_LAB_SH:-tools/lab/lab.sh}
out=build/demo
fail=

[ -x "$lab" ] || { echo "demo: no $lab" >&2; exit 1; }
rm -rf "$out"

"$lab" --retry-on-freeze --vms 2 --job "$PWD/tools/testing/demo-qemu-job.sh" --out "$out"
rc=$?

echo
echo "==== heca demo: hybrid migration of a running QEMU guest between two hosts ===="
for r in "$out"/vm0/demo-qemu.txt "$out"/vm1/demo-qemu.txt; do
	if [ -s "$r" ]; then
		cat "$r"
		[ "$(tail -n 1 "$r")" = "demo: PASS" ] || fail="${fail:-$r}"
	else
		echo "demo: no report $r"
		fail="${fail:-no report $r}"
	fi
	echo
done
[ "$rc" = 0 ] || fail="${fail:-the lab run exited $rc}"
if [ -n "$fail" ]; then
	echo "demo: FAIL: $fail (see $out)"
	exit 1
fi
echo "demo: PASS"
