#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo:
#  1. two lab VMs, each with its own kernel and heca.ko: a running KVM guest
#     (the verifying guest) migrates in hybrid mode from VM0 to VM1 and checks
#     every byte of its memory there; both sides report their figures
#     (selftests/demo-migrate-job.sh);
#  2. one lab VM: Debian's QEMU runs a guest whose RAM is a heca region
#     (selftests/demo-job.sh).
# Output: build/demo/ (migrate/vmN/demo-migrate.txt, qemu/vm0/demo-report.txt).
# HECA_LAB_SH runs another lab script (for working on this one).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
lab=${HECA_LAB_SH:-selftests/lab/lab.sh}
out=build/demo
fail=

[ -x "$lab" ] || { echo "demo: no $lab" >&2; exit 1; }
rm -rf "$out"

"$lab" --vms 2 --job "$PWD/selftests/demo-migrate-job.sh" --out "$out/migrate"
rc=$?
"$lab" --job "$PWD/selftests/demo-job.sh" --vms 1 --out "$out/qemu"
rc2=$?

echo
echo "==== heca demo 1: hybrid migration of a running KVM guest between two hosts ===="
for r in "$out"/migrate/vm0/demo-migrate.txt "$out"/migrate/vm1/demo-migrate.txt; do
	if [ -s "$r" ]; then
		cat "$r"
		[ "$(tail -n 1 "$r")" = "demo: PASS" ] || fail="migration ($r)"
	else
		echo "demo: no report $r"
		fail="migration"
	fi
	echo
done
[ "$rc" = 0 ] || fail="${fail:-the migration lab run exited $rc}"

echo "==== heca demo 2: a stock QEMU guest on a heca region ===="
r=$out/qemu/vm0/demo-report.txt
if [ -s "$r" ]; then
	cat "$r"
	[ "$(tail -n 1 "$r")" = "demo: PASS" ] || fail="${fail:-QEMU guest}"
else
	echo "demo: no report $r"
	fail="${fail:-QEMU guest}"
fi
[ "$rc2" = 0 ] || fail="${fail:-the QEMU lab run exited $rc2}"

echo
if [ -n "$fail" ]; then
	echo "demo: FAIL: $fail (see $out)"
	exit 1
fi
echo "demo: PASS"
