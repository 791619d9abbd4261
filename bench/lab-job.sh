#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab-job.sh: the in-guest part of "make bench" (bench/run.sh runs it in one
# lab VM: tools/lab/lab.sh --job bench/lab-job.sh).  Every figure goes
# to $LAB_OUT/results.jsonl, one JSON object a line; logs beside it; one
# KTAP result per step in bench.tap.  A step fails when a migration failed
# or a page arrived wrong (heca_bench's exit status), or when perftest did
# not run; figures are never compared with limits here.
#
#   link:  perftest's ib_read_lat and ib_read_bw, rxe0 -> rxe1 (va -> vb),
#          busy-polling (the default) and sleeping on CQ events (-e)
#   heca:  heca_bench probe (background pull alone, timed host faults with
#          heca's prefetch, with one page per fault, and with one page per
#          fault and one background READ in flight) and a post-copy
#          migration of the running KVM guest, over RDMA and TCP, both
#          from va to vb's address, across the veth pair
#   trace: one probe per transport (one page per fault) with heca's
#          tracepoints on: where an urgent fault's time goes
#   sweep: heca_bench migrate in every mode over a sweep of dirty rates
#
# Environment (bench/run.sh passes these on): BENCH_STEPS ("link heca
# trace sweep"), BENCH_RATES (the guest's pacing in us per page, 0 = as fast as
# it goes; "20000 2000 500 0"), BENCH_SWEEP_TRANSPORTS ("tcp rdma"),
# BENCH_TIMEOUT_MS (the policy's --timeout, 8000), BENCH_DOWNTIME_MS (300),
# BENCH_SAMPLES (timed faults per probe, 200).
# (The steps are called as "step_$name", the rest from them.)
# shellcheck disable=SC2317
set -uo pipefail
repo=${LAB_REPO:?run in the lab: bench/run.sh}
# shellcheck source=../tools/lab/lib.sh
. "$repo/tools/lab/lib.sh"

out=${LAB_OUT:?}
bin=$repo/build/bench/heca_bench
res=$out/results.jsonl
read -ra STEPS <<<"${BENCH_STEPS:-link heca trace sweep}"
read -ra RATES <<<"${BENCH_RATES:-20000 2000 500 0}"
read -ra SWEEP_TRANSPORTS <<<"${BENCH_SWEEP_TRANSPORTS:-tcp rdma}"
TIMEOUT_MS=${BENCH_TIMEOUT_MS:-8000}
DOWNTIME_MS=${BENCH_DOWNTIME_MS:-300}
SAMPLES=${BENCH_SAMPLES:-200}
read -ra dev <<<"${LAB_RXE:-}"
dst_ip=${LAB_PEER_IP:-192.0.2.2}
: >"$res"
failed=0

tap_begin "$out/bench.tap"
kmsg() { echo "bench: $*" >/dev/kmsg 2>/dev/null || true; }
now() { date +%s; }

# rxe's port counters (packets, retransmissions, sequence errors...) of both
# devices, before and after each step: a record {"kind":"rxe"} per step
# with the counters that moved.
# (bash's read, not cat: a fork costs ~0.1 s in a loaded TCG VM)
rxe_snap() {
	local d f v
	for d in "${dev[@]}"; do
		for f in "/sys/class/infiniband/$d/ports/1/hw_counters"/*; do
			read -r v 2>/dev/null <"$f" && echo "$d.${f##*/} $v"
		done
	done
}
rxe_record() { # rxe_record STEP BEFORE-FILE
	local delta
	delta=$(rxe_snap | awk 'NR == FNR { a[$1] = $2; next }
		$2 != a[$1] { printf "%s\"%s\":%d", n++ ? "," : "", $1, $2 - a[$1] }' "$2" -)
	printf '{"kind":"rxe","step":"%s","delta":{%s}}\n' "$1" "$delta" >>"$res"
}

# --- perftest: the server on rxe1, the client on rxe0 to vb's address (its
# route leaves through va, so rdma_cm binds it to rxe0: it says so below).
# perftest NAME TOOL SIZE ITERS [OPTION...]: run it, up to three tries;
# the logs are NAME.client.log and NAME.server.log.  A run whose figures
# are not numbers counts as failed: perftest converts cycles with a CPU
# frequency it samples, and when the sample is too noisy ("Correlation
# coefficient r^2 < 0.9", a loaded TCG VM) -F goes on and prints inf.
perftest() {
	local name=$1 tool=$2 size=$3 iters=$4 try spid ok
	local srv=$out/$name.server.log cli=$out/$name.client.log
	shift 4
	for try in 1 2 3; do
		kmsg "start $name, try $try"
		rxe_snap >"$out/rxe.before"
		timeout 300 "$tool" -R -F -d "${dev[1]}" -s "$size" -n "$iters" \
			"$@" >"$srv" 2>&1 &
		spid=$!
		ok=0
		for _ in $(seq 30); do
			if timeout 240 "$tool" -R -F -d "${dev[0]}" -s "$size" \
				-n "$iters" "$@" "$dst_ip" >"$cli" 2>&1; then
				perftest_numbers "$cli" "$size" && ok=1
				break
			fi
			kill -0 "$spid" 2>/dev/null || break
			sleep 1
		done
		wait "$spid" || ok=0
		if [ "$ok" = 1 ]; then
			cat "$cli"
			rxe_record "$name" "$out/rxe.before"
			return 0
		fi
		echo "bench: $name: try $try failed" >&2
		tail -n 5 "$cli" "$srv" >&2
		kill "$spid" 2>/dev/null
		sleep 2
	done
	return 1
}

# The table row of perftest's output: the line that starts with SIZE.
perftest_row() { awk -v s="$2" '$1 == s && NF >= 5 { print; exit }' "$1"; }
perftest_numbers() { # LOG SIZE: whether that row is all plain numbers
	perftest_row "$1" "$2" | awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^[0-9]+(\.[0-9]+)?$/) bad = 1; n++ }
		END { exit !(n && !bad) }'
}

# Whether the client of LOG ran on the GID of va's address (rxe0).
client_on_rxe0() {
	local gid
	gid=$(echo "$LAB_SELF_IP" | awk -F. '{ printf "255:255:%02d:%02d:%02d:%02d", $1, $2, $3, $4 }')
	grep -m1 -A1 'local address' "$1" | grep -q "GID:.*$gid"
}

# link_lat NAME ITERS EVENTS [OPTION...]: ib_read_lat at 4 KiB, one record
link_lat() {
	local name=$1 iters=$2 events=$3 log=$out/$1.client.log row on
	shift 3
	perftest "$name" ib_read_lat 4096 "$iters" "$@" || return 1
	row=$(perftest_row "$log" 4096)
	client_on_rxe0 "$log" && on=1 || on=0
	# #bytes #iterations t_min t_max t_typical t_avg t_stdev 99% 99.9%
	# shellcheck disable=SC2086
	set -- $row
	printf '{"kind":"perftest_lat","name":"%s","tool":"ib_read_lat","events":%s,"bytes":%s,"iterations":%s,"t_min":%s,"t_max":%s,"t_typical":%s,"t_avg":%s,"t_stdev":%s,"p99":%s,"p999":%s,"client_on_rxe0":%s}\n' \
		"$name" "$events" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$on" |
		tee -a "$res"
}

# link_bw NAME SIZE ITERS EVENTS [OPTION...]: ib_read_bw, one record
link_bw() {
	local name=$1 size=$2 iters=$3 events=$4 log=$out/$1.client.log row on
	shift 4
	perftest "$name" ib_read_bw "$size" "$iters" "$@" || return 1
	row=$(perftest_row "$log" "$size")
	client_on_rxe0 "$log" && on=1 || on=0
	# #bytes #iterations BW peak[MB/sec] BW average[MB/sec] MsgRate[Mpps]
	# shellcheck disable=SC2086
	set -- $row
	printf '{"kind":"perftest_bw","name":"%s","tool":"ib_read_bw","events":%s,"bytes":%s,"iterations":%s,"bw_peak":%s,"bw_avg":%s,"msg_rate_mpps":%s,"client_on_rxe0":%s}\n' \
		"$name" "$events" "$1" "$2" "$3" "$4" "$5" "$on" | tee -a "$res"
}

# bench NAME ARGS...: one heca_bench run, a KTAP result named NAME.
bench() {
	local name=$1 t0 rc=0
	shift
	t0=$(now)
	echo "== $name: heca_bench $*"
	kmsg "start $name"
	rxe_snap >"$out/rxe.before"
	timeout -k 10 600 "$bin" "$@" --json "$res" >"$out/$name.json" \
		2>"$out/$name.log" || rc=$?
	rxe_record "$name" "$out/rxe.before"
	kmsg "end $name, exit $rc"
	cat "$out/$name.log"
	if [ "$rc" = 0 ]; then
		tap ok "$name"
	else
		tap fail "$name" "heca_bench exited $rc, see $name.log"
		failed=1
	fi
	echo "   ($(($(now) - t0)) s)"
}

# The link's MTUs: the veth's, and the IB MTU rxe0 runs with (the netdev's
# MTU less RoCE's headers, rounded down to 256..4096): {"kind":"link"}.
link_record() {
	local mtu rmtu
	read -r mtu </sys/class/net/va/mtu || mtu=0
	rmtu=$(ibv_devinfo -d "${dev[0]}" 2>/dev/null | awk '/active_mtu/ { print $2; exit }')
	printf '{"kind":"link","mtu":%s,"rxe_mtu":%s}\n' "$mtu" "${rmtu:-0}" >>"$res"
	echo "link: va MTU $mtu, ${dev[0]} active_mtu ${rmtu:-?}"
}

# qperf's TCP figures over the same veth: the TCP link heca's TCP runs
# are set against.  tcp_lat is one way (half a round trip); tcp_bw with
# 4 KiB messages.  {"kind":"qperf","test":T,"bytes":4096,...}
qperf_link() {
	local spid log=$out/qperf.log lat bw
	if ! command -v qperf >/dev/null; then
		echo "qperf: not installed (make deps)"
		return 1
	fi
	qperf >"$out/qperf.server.log" 2>&1 &
	spid=$!
	sleep 1
	timeout 120 qperf -uu -m 4096 -t 5 "$dst_ip" tcp_lat tcp_bw >"$log" 2>&1
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	cat "$log"
	# -uu: "latency = N ns", "bw = N bytes/sec"
	lat=$(awk '/^tcp_lat/ { t = 1 } t && $1 == "latency" && $4 == "ns" { print $3 / 1000; exit }' "$log")
	bw=$(awk '/^tcp_bw/ { t = 1 } t && $1 == "bw" && $4 == "bytes/sec" { print $3 / 1e6; exit }' "$log")
	[ -n "$lat" ] && [ -n "$bw" ] || return 1
	printf '{"kind":"qperf","test":"tcp_lat","bytes":4096,"lat_us":%s}\n' "$lat" >>"$res"
	printf '{"kind":"qperf","test":"tcp_bw","bytes":4096,"bw_MBps":%s}\n' "$bw" >>"$res"
}

step_link() {
	if [ ${#dev[@]} -lt 2 ]; then
		tap fail link "needs the one-VM lab's rxe0 and rxe1 (LAB_RXE='${LAB_RXE:-}')"
		failed=1
		return
	fi
	link_record
	# Busy-polling (perftest's default) and sleeping on CQ events (-e,
	# as heca's kernel consumer does): in a 2-vCPU TCG VM a polling
	# client and server take the CPUs rxe's own work needs.
	local name rc
	for name in lat lat_events bw bw_events bw_large qperf; do
		rc=0
		case $name in
		qperf) qperf_link || rc=1 ;;
		lat) link_lat ib_read_lat-4096 1000 0 || rc=1 ;;
		lat_events) link_lat ib_read_lat-4096-events 1000 1 -e || rc=1 ;;
		bw) link_bw ib_read_bw-4096 4096 3000 0 || rc=1 ;;
		bw_events) link_bw ib_read_bw-4096-events 4096 3000 1 -e || rc=1 ;;
		bw_large) link_bw ib_read_bw-131072 131072 300 0 || rc=1 ;;
		esac
		if [ "$rc" = 0 ]; then
			tap ok "link_$name"
		else
			tap fail "link_$name" "perftest or qperf failed, see its *.client.log or qperf.log"
			failed=1
		fi
	done
}

step_heca() {
	local t
	for t in rdma tcp; do
		bench "heca_${t}_pull" probe --transport "$t" --addr "$dst_ip" \
			--samples 0 --label pull
		bench "heca_${t}_faults" probe --transport "$t" --addr "$dst_ip" \
			--samples "$SAMPLES" --label faults
		bench "heca_${t}_faults_1page" probe --transport "$t" \
			--addr "$dst_ip" --samples "$SAMPLES" --no-prefetch \
			--label faults-1page
		bench "heca_${t}_faults_1page_inflight1" probe --transport "$t" \
			--addr "$dst_ip" --samples "$SAMPLES" --no-prefetch \
			--max-inflight 1 --label faults-1page-inflight1
		bench "heca_${t}_guest" migrate --mode postcopy --transport "$t" \
			--addr "$dst_ip" --throttle-us 0 --label link
	done
}

step_sweep() {
	local t r m
	for t in "${SWEEP_TRANSPORTS[@]}"; do
		for r in "${RATES[@]}"; do
			for m in precopy postcopy hybrid; do
				bench "sweep_${t}_${r}us_$m" migrate --mode "$m" \
					--transport "$t" --addr "$dst_ip" \
					--throttle-us "$r" --timeout-ms "$TIMEOUT_MS" \
					--downtime-ms "$DOWNTIME_MS" --label sweep
			done
		done
	done
}

# --- where a fault's time goes: heca's tracepoints around the urgent fetches
# of one probe per transport (one page per fault, so that every timed read is
# an urgent fetch).  For each urgent fetch, from the fault that queued it:
# fault -> issue (the puller picks it up), issue -> post (fetch and page
# allocated, the transport's request sent), post -> done (the wire and the
# completion), done -> the fault returns.  {"kind":"trace",...} per transport
# with the medians and the count.
trace_split() { # trace_split TRANSPORT TRACE-FILE
	awk -v tr="$1" '
	function ts(   i) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0; return -1 }
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return n ? a[int((n + 1) / 2)] : -1
	}
	/ heca_fault: / && / absent/ { t = ts(); for (i = 1; i < NF; i++) if ($i == "page") p = $(i + 1); if (!(p in f)) f[p] = t; next }
	/ heca_fetch_issue: / && / urgent/ { t = ts(); split($0, x, " pages "); split(x[2], y, "+"); p = y[1]; if (p in f) is[p] = t; next }
	/ heca_(rdma|tcp)_read: / && / urgent / { t = ts(); split($0, x, " pages "); split(x[2], y, "+"); p = y[1]; if (p in is && !(p in po)) po[p] = t; next }
	/ heca_fetch_done: / { t = ts(); split($0, x, " pages "); split(x[2], y, "+"); p = y[1]; if (p in po && !(p in dn)) dn[p] = t; next }
	/ heca_fault_done: / { t = ts(); for (i = 1; i < NF; i++) if ($i == "page") p = $(i + 1); if (p in dn && !(p in fd)) fd[p] = t; next }
	END {
		n = 0
		for (p in fd) { n++; a1[n] = (is[p] - f[p]) * 1e6; a2[n] = (po[p] - is[p]) * 1e6; a3[n] = (dn[p] - po[p]) * 1e6; a4[n] = (fd[p] - dn[p]) * 1e6; a5[n] = (fd[p] - f[p]) * 1e6 }
		printf "{\"kind\":\"trace\",\"transport\":\"%s\",\"n\":%d,\"fault_issue_us\":%.1f,\"issue_post_us\":%.1f,\"post_done_us\":%.1f,\"done_return_us\":%.1f,\"fault_return_us\":%.1f}\n", tr, n, med(a1, n), med(a2, n), med(a3, n), med(a4, n), med(a5, n)
	}' "$2"
}

step_trace() {
	local t tdir=/sys/kernel/tracing
	[ -d "$tdir/events" ] || mount -t tracefs tracefs "$tdir" 2>/dev/null
	if [ ! -d "$tdir/events/heca" ]; then
		tap fail trace "no events/heca in tracefs"
		failed=1
		return
	fi
	for t in rdma tcp; do
		echo 16384 >"$tdir/buffer_size_kb"
		: >"$tdir/trace"
		echo 1 >"$tdir/events/heca/enable"
		bench "heca_${t}_trace" probe --transport "$t" --addr "$dst_ip" \
			--samples "$SAMPLES" --no-prefetch --label trace
		echo 0 >"$tdir/events/heca/enable"
		cp "$tdir/trace" "$out/trace-$t.txt"
		trace_split "$t" "$out/trace-$t.txt" | tee -a "$res"
	done
}

# --- heca.ko (its RDMA symbols come from ib_core and rdma_cm)
if [ ! -x "$bin" ]; then
	tap fail heca_bench_found "$bin missing (make -C bench)"
	tap_end
	exit 1
fi
if heca_load "$repo" >"$out/insmod.log" 2>&1; then
	tap ok module_load
else
	tap fail module_load "insmod: $(tr '\n' ' ' <"$out/insmod.log")"
	tap_end
	exit 1
fi

for s in "${STEPS[@]}"; do
	t0=$(now)
	echo "==== step $s"
	"step_$s"
	echo "==== step $s: $(($(now) - t0)) s"
done

if heca_unload >"$out/rmmod.log" 2>&1; then
	tap ok module_unload
else
	tap fail module_unload "rmmod heca: $(tr '\n' ' ' <"$out/rmmod.log")"
	failed=1
fi
tap_end
exit $failed
