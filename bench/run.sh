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
# destroys KVM VMs, which patches kernel text) gives no figures: run it once
# more, and say so, with what its console said.  Two signs: as in
# selftests/run-check.sh, the run timed out and a vCPU's clock stopped; or
# the job made no progress for BENCH_STALL_S (420) seconds: it marks the
# start and the end of every run in the kernel log ("bench: ..."), and no
# run takes more than about a minute and a half even on a loaded host.  A
# stall that comes back on the second run fails "make bench".
stall=${BENCH_STALL_S:-420}
tcg_froze() {
	[ -e "$1/froze" ] && return 0	# lab.sh: the guest's heartbeat stopped
	[ -e "$1/stalled" ] && return 0
	grep -q 'timed out' "$1/status" 2>/dev/null &&
		grep -qs "timer wakeup didn't happen" "$1"/vm*/console.log
}
labpid=''
trap '[ -z "$labpid" ] || kill -- "-$labpid" 2>/dev/null; exit 130' INT TERM
lab() {
	local console=$out/lab/vm0/console.log marks last=-1 since
	# Its own process group, to stop QEMU with it.
	setsid "$top/selftests/lab/lab.sh" --job "$top/bench/lab-job.sh" --vms 1 \
		--timeout "${BENCH_LAB_TIMEOUT:-2400}" "${envs[@]}" --out "$out/lab" &
	labpid=$!
	since=$(date +%s)
	while kill -0 "$labpid" 2>/dev/null; do
		sleep 10
		marks=$(grep -c 'bench: ' "$console" 2>/dev/null) || marks=0
		if [ "$marks" != "$last" ]; then
			last=$marks
			since=$(date +%s)
		elif [ "$marks" -gt 0 ] && [ $(($(date +%s) - since)) -gt "$stall" ]; then
			echo "== bench: no progress in the lab VM for $stall s: stopping it; its console said:"
			grep -m 6 -E "soft lockup|rcu: INFO|stalls on CPUs|blocked for more than|timer wakeup|BUG:" \
				"$console" | sed 's/^/   /'
			kill -- "-$labpid" 2>/dev/null
			wait "$labpid" 2>/dev/null
			labpid=''
			touch "$out/lab/stalled"
			return 1
		fi
	done
	wait "$labpid"
	local rc=$?
	labpid=''
	return $rc
}
rc=0
echo "== bench: one lab VM (perftest, heca probes, the mode sweep); this takes a while"
if ! lab; then
	if tcg_froze "$out/lab"; then
		echo "== bench: the VM froze or stalled (kept in build/bench/lab-froze): running it again"
		rm -rf "$out/lab-froze"
		mv "$out/lab" "$out/lab-froze"
		lab || rc=1
	else
		rc=1
	fi
fi
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
