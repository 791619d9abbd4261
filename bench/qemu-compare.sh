#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# heca vs QEMU's own migration, side by side (issue: "Migrate a stock QEMU
# guest with heca", comparison benchmark).  Two lab VMs; the same stock-QEMU
# guest, rewriting a small working set, migrated by QEMU itself (pre-copy,
# post-copy with userfaultfd) and by heca
# with hecactl driving QEMU over QMP (pre-copy, post-copy, hybrid over TCP;
# hybrid over RDMA).  Prints a table; figures from one run (the lab is
# slow and noisy: compare within a run, not with other machines).
#
#   bench/qemu-compare.sh [OUTDIR]      (default build/bench/qemu)
#
# Columns: downtime is QEMU's own figure (query-migrate "downtime": the
# guest stopped at the source until its state was sent), heca's part of it
# (pre-switchover to migrate-continue), total time, bytes on QEMU's channel
# and on heca's, pages fetched on demand after the resume, and the post-copy
# fault service time: heca's p50/p99 (its histogram), QEMU's
# postcopy-blocktime / postcopy-requests (QEMU 7.2 has no postcopy-latency:
# the vCPU's total blocked time per page request is the nearest figure).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/bench/qemu}
mkdir -p "$(dirname "$out")"

# A lab VM that freezes as a whole under TCG (nested KVM under QEMU 7.2
# TCG, now and then; see tools/lab/README.md) stops writing TAP lines.  No
# migration here takes more than a few minutes: with no new TAP line from
# either VM for QC_STALL_S (600) seconds lab.sh stops the run and runs it
# once more (--progress, --retry-on-freeze), and says so.
rm -rf "$out"
mkdir -p "$out"
LAB_STALL_S=${QC_STALL_S:-600} "$top/tools/lab/lab.sh" --retry-on-freeze \
	--progress '^(not )?ok [0-9]+' --vms 2 --timeout "${QC_TIMEOUT:-2400}" \
	--job "$top/bench/qemu-compare-job.sh" --out "$out" >"$out.lab.log" 2>&1
rc=$?
mv "$out.lab.log" "$out/lab.log"

table=$out/qemu-compare.txt
jq -s -r '
  def v(x): if x == null then "-" else (x | tostring) end;
  def mb(x): if x == null then "-" else ((x / 1e6 * 10 | floor) / 10 | tostring) end;
  group_by(.run) | map(reduce .[] as $o ({}; . + $o)) |
  sort_by(.run | if startswith("qemu") then 0 else 1 end) | .[] |
  [ .run, v(.status), v(.downtime_ms), v(.heca_ms), v(.total_ms), mb(.qemu_bytes),
    mb(.heca_bytes), v(.on_demand // .postcopy_requests),
    (if (.fault_p50 // "") != "" then "p50 \(.fault_p50), p99 \(.fault_p99)"
     elif (.blocktime_ms // 0) > 0 and (.postcopy_requests // 0) > 0 then
       "avg \((.blocktime_ms / .postcopy_requests * 10 | floor) / 10) ms (blocktime \(.blocktime_ms) ms)"
     else "-" end) ] | @tsv
' "$out"/vm0/qemu-compare.jsonl "$out"/vm1/qemu-compare.jsonl 2>/dev/null |
	awk -F'\t' 'BEGIN {
		printf "%-18s %-10s %9s %8s %9s %9s %9s %9s  %s\n", "run", "status", "downtime", "heca", "total", "QEMU MB", "heca MB", "on dem.", "post-copy fault service"
		printf "%-18s %-10s %9s %8s %9s %9s %9s %9s  %s\n", "", "", "ms", "ms", "ms", "", "", "pages", ""
	}
	{ printf "%-18s %-10s %9s %8s %9s %9s %9s %9s  %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' >"$table"

echo "heca vs QEMU's own migration ($(date -u +%F), two lab VMs, nested KVM under TCG, one run)"
cat "$table"
echo "(QEMU runs: RAM in QEMU's stream over TCP.  heca runs: RAM by heca, QEMU carries CPU and device"
echo " state; 'on dem.' is heca's pages fetched on demand, or QEMU's postcopy-requests)"
if [ $rc != 0 ] || grep -q '^not ok' "$out"/vm*/qemu-compare.tap 2>/dev/null; then
	echo "qemu-compare: FAIL: a migration failed or a guest did not verify (see $out)"
	grep -h '^not ok' -A1 "$out"/vm*/qemu-compare.tap 2>/dev/null | head -n 20
	exit 1
fi
