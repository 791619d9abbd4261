#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: heca's figures beside the link's, and the migration modes over
# a sweep of guest dirty rates (bench/README.md).  Builds heca_bench, runs
# bench/lab-job.sh in one lab VM, then makes the tables and the plot from
# its records:
#
#   build/bench/results.jsonl   every record (one JSON object a line)
#   build/bench/link.txt        fault service time and pull against perftest
#   build/bench/sweep.txt       downtime, total time, bytes per mode and rate
#   build/bench/sweep.png       the same, plotted (gnuplot)
#   build/bench/lab/            the lab run (logs, the raw records, perftest)
#   build/bench/qemu/           heca vs QEMU's own migration (qemu-compare.sh):
#                               qemu-compare.txt, and its two-VM lab run
#
# Prints the tables at the end.  Fails if a migration failed, a page arrived
# wrong, perftest did not run, or the guest kernel splatted; the figures
# themselves are never compared with limits.
#
# Knobs (environment): BENCH_RATES, BENCH_SWEEP_TRANSPORTS, BENCH_STEPS,
# BENCH_TIMEOUT_MS, BENCH_DOWNTIME_MS, BENCH_SAMPLES (see lab-job.sh);
# BENCH_QEMU=0 (no QEMU comparison; QC_* knobs in qemu-compare-job.sh);
# BENCH_LAB_TIMEOUT (seconds for the whole lab run, 2400), BENCH_STALL_S
# (no progress this long means a stalled VM, 420).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
out=$top/build/bench
start=$(date +%s)

make -s -C "$top/bench" || exit 1
for f in "$top/kernel/heca.ko" "$top/selftests/guests/kvm/build/verify.bin"; do
	[ -f "$f" ] || { echo "bench: $f missing: run 'make' first" >&2; exit 1; }
done
command -v gnuplot >/dev/null || { echo "bench: gnuplot missing (make deps)" >&2; exit 1; }

rm -rf "$out/lab" "$out/lab-froze" "$out/qemu" "$out/results.jsonl" "$out"/*.txt \
	"$out/sweep.dat" "$out/sweep.names" "$out/sweep.png"
mkdir -p "$out"

envs=()
for v in BENCH_RATES BENCH_SWEEP_TRANSPORTS BENCH_STEPS BENCH_TIMEOUT_MS \
	BENCH_DOWNTIME_MS BENCH_SAMPLES; do
	[ -z "${!v:-}" ] || envs+=(--env "$v=${!v}")
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# A lab VM that froze or stalled as a whole under TCG (seen now and then
# with nested KVM under QEMU 7.2 TCG; every migration here creates and
# destroys KVM VMs, which patches kernel text) gives no figures: lab.sh
# runs it once more (--retry-on-freeze) and says so.  Besides the guest
# heartbeat, a stall is the job making no progress for LAB_STALL_S (420)
# seconds: it marks the start and the end of every run in the kernel log
# ("bench: ..."), and no run takes more than about a minute and a half
# even on a loaded host.  A stall that comes back fails "make bench".
export LAB_STALL_S=${BENCH_STALL_S:-${LAB_STALL_S:-420}}
rc=0
echo "== bench: one lab VM (perftest, heca probes, the mode sweep); this takes a while"
"$top/tools/lab/lab.sh" --retry-on-freeze --progress 'bench: ' --out "$out/lab" \
	--job "$top/bench/lab-job.sh" --vms 1 --timeout "${BENCH_LAB_TIMEOUT:-2400}" \
	"${envs[@]}" || rc=1
load1=$(cut -d' ' -f1-3 /proc/loadavg)

res=$out/lab/vm0/results.jsonl
if [ ! -s "$res" ]; then
	echo "bench: no results ($res)" >&2
	exit 1
fi
cp "$res" "$out/results.jsonl"
"$out/heca_bench" report "$out/results.jsonl" "$out" >/dev/null || rc=1
{
	echo
	echo "host load average (1, 5, 15 min) at the start: $load0; at the end: $load1 (2 cores)"
} | tee -a "$out/link.txt" >/dev/null
if [ -s "$out/sweep.dat" ]; then
	gnuplot -e "datafile='$out/sweep.dat'; outfile='$out/sweep.png'; names='$(cat "$out/sweep.names")'" \
		"$top/bench/plot.gp" || rc=1
fi

echo
echo "== bench: results in $out (results.jsonl, link.txt, sweep.txt, sweep.png; the lab run in lab/)"
echo
cat "$out/link.txt"
if [ -s "$out/sweep.txt" ]; then
	echo
	cat "$out/sweep.txt"
fi

# heca vs QEMU's own migration of the same stock-QEMU guest, two lab VMs
# (bench/qemu-compare.sh; BENCH_QEMU=0 leaves it out).
if [ "${BENCH_QEMU:-1}" != 0 ]; then
	echo
	echo "== bench: two lab VMs, a stock QEMU guest migrated by QEMU and by heca (bench/qemu-compare.sh)"
	"$top/bench/qemu-compare.sh" "$out/qemu" || rc=1
fi
echo
echo "== make bench took $(($(date +%s) - start)) s$([ $rc = 0 ] || echo '; FAILED: see above and build/bench/lab')"
exit $rc
