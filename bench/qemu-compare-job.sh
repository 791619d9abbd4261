#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lab job (two VMs) of bench/qemu-compare.sh: the same stock-QEMU guest
# (selftests/guests/multiboot, mode=sweep, rewriting a working set of
# QC_WSS pages) migrated from VM0 to VM1
#   - by QEMU itself, RAM in its own stream, over TCP: pre-copy and
#     post-copy (postcopy-ram, userfaultfd; migrate-start-postcopy after 1 s);
#   - by heca, hecactl driving QEMU over QMP: pre-copy, post-copy and
#     hybrid, over TCP, and hybrid over RDMA (rxe).
# Each run must end with the guest verifying every page at the destination.
# Every VM appends one JSON object per run to $LAB_OUT/qemu-compare.jsonl;
# bench/qemu-compare.sh makes the table.
set -uo pipefail
repo=${LAB_REPO:?}
out=${LAB_OUT:?}
. "$repo/tools/lab/lib.sh"
QM_MB=${QC_MB:-64}
QM_HYBRID_TIMEOUT=${QC_HYBRID_S:-4}
QM_WSS=${QC_WSS:-128}
. "$repo/tools/lab/qemu-migrate.sh"

wss=${QC_WSS:-128}
jsonl=$out/qemu-compare.jsonl
: >"$jsonl"
tap_begin "$out/qemu-compare.tap"

# qemu_native QEMU_ARGS...: QEMU with plain anonymous RAM (not heca).
qn_qemu() {
	local p=$1 append=$2
	shift 2
	rm -f "$p.serial" "$p.ctl" "$p.qmp"
	qemu-system-x86_64 -accel kvm -cpu host -m "${QM_MB}M" -nographic -nodefaults \
		-no-reboot -machine pc -kernel "$QM_GUEST" \
		-append "seed=$QM_SEED mode=sweep $append" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial "file:$p.serial" \
		-chardev "socket,id=ctl,path=$p.ctl,server=on,wait=off" \
		-device isa-serial,chardev=ctl,index=1 \
		-qmp "unix:$p.qmp,server=on,wait=off" "$@" </dev/null >"$p.log" 2>&1 &
	QM_PID=$!
}

caps() {	# SOCK CAP...: set QEMU capabilities on
	local sock=$1 c list=
	shift
	for c in "$@"; do list+="${list:+,}{\"capability\":\"$c\",\"state\":true}"; done
	qmp "$sock" "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[$list]}}"
}

# Poll query-migrate on SOCK until its status is completed/failed; print it.
qn_wait_done() {
	local sock=$1 end=$((SECONDS + 600)) r
	while [ $SECONDS -lt $end ]; do
		r=$(qmp "$sock" '{"execute":"query-migrate"}')
		case $r in
		*'"completed"'* | *'"failed"'* | *'"cancelled"'*) echo "$r"; return ;;
		esac
		sleep 1
	done
	echo '{"return": {"status": "timeout"}}'
}

# ---- QEMU's own migration ---------------------------------------------------

qn_vm0() {	# MODE: precopy or postcopy
	local mode=$1 i=$2 p=$QM_TMP/qn-$1 r
	mkdir -p "$QM_TMP"
	qn_qemu "$p" "wss=$wss"
	qm_wait_sweep "$p.serial" 3 120 || tap fail "qn_${mode}_source_runs"
	lab_barrier "qn_${mode}_ready" 300 || tap fail "qn_${mode}_barrier"
	if [ "$mode" != precopy ] && ! caps "$p.qmp" postcopy-ram | grep -q '"return": {}'; then
		tap fail "qn_${mode}_source_caps" "QEMU did not take postcopy-ram"
	fi
	qmp "$p.qmp" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:$LAB_PEER_IP:$((4600 + i))\"}}" >/dev/null
	if [ "$mode" = postcopy ]; then
		sleep 1
		qmp "$p.qmp" '{"execute":"migrate-start-postcopy"}' >/dev/null
	fi
	r=$(qn_wait_done "$p.qmp")
	echo "$r" >"$out/qn-$mode-source.json"
	jq -c --arg m "qemu-$mode" '.return | {run: $m, side: "source", status,
		downtime_ms: .downtime, total_ms: ."total-time",
		qemu_bytes: .ram.transferred, postcopy_requests: .ram."postcopy-requests"}' \
		<<<"$r" >>"$jsonl" 2>/dev/null || echo "{\"run\":\"qemu-$mode\",\"side\":\"source\",\"status\":\"bad answer\"}" >>"$jsonl"
	grep -q '"completed"' <<<"$r" && tap ok "qn_${mode}_completed" || tap fail "qn_${mode}_completed" "$r"
	qmp "$p.qmp" '{"execute":"quit"}' >/dev/null
	qm_wait_qemu "$QM_PID" 30 || true
	cp "$p.log" "$out/qn-$mode-source.log" 2>/dev/null
	lab_barrier "qn_${mode}_done" 600 || tap fail "qn_${mode}_done_barrier"
}

qn_vm1() {
	local mode=$1 i=$2 p=$QM_TMP/qn-$1 r st first
	mkdir -p "$QM_TMP"
	qn_qemu "$p" "" -incoming "tcp:$LAB_SELF_IP:$((4600 + i))"
	local qpid=$QM_PID
	# QMP answers once QEMU is up: only then can the capabilities be set
	# (a source that advises post-copy to a destination without it fails).
	for _ in $(seq 60); do
		[ "$(qm_run_state "$p.qmp")" = inmigrate ] && break
		sleep 1
	done
	if [ "$mode" != precopy ] &&
		! caps "$p.qmp" postcopy-ram postcopy-blocktime | grep -q '"return": {}'; then
		tap fail "qn_${mode}_dest_caps" "QEMU did not take postcopy-ram"
	fi
	lab_barrier "qn_${mode}_ready" 300 || tap fail "qn_${mode}_barrier"
	local end=$((SECONDS + 600))
	# Every wait below ends early if the destination QEMU is gone.
	while [ $SECONDS -lt $end ] && kill -0 "$qpid" 2>/dev/null; do
		st=$(qm_run_state "$p.qmp")
		[ "$st" = inmigrate ] || [ -z "$st" ] || break
		sleep 1
	done
	# the incoming side's post-copy figures, once it completed
	r=
	for _ in $(seq 120); do
		kill -0 "$qpid" 2>/dev/null || break
		r=$(qmp "$p.qmp" '{"execute":"query-migrate"}')
		grep -q '"completed"\|"failed"' <<<"$r" && break
		sleep 1
	done
	echo "$r" >"$out/qn-$mode-dest.json"
	if kill -0 "$qpid" 2>/dev/null; then
		qm_wait_sweep "$p.serial" 1 120 || true
		first=$(sed -n 's/^heca-guest: sweep \([0-9]*\) .*/\1/p' "$p.serial" | head -n 1)
		qm_wait_sweep "$p.serial" $((${first:-0} + 2)) 180 || true
		printf q | timeout 10 socat - "UNIX-CONNECT:$p.ctl" 2>/dev/null || true
	fi
	qm_wait_qemu "$qpid" 300 || true
	cp "$p.log" "$out/qn-$mode-dest.log" 2>/dev/null
	if [ "$QM_STATUS" = "$QM_EXIT_OK" ] && grep -q '^heca-guest: verify ok mismatches=0' "$p.serial"; then
		tap ok "qn_${mode}_dest_verified"
	else
		tap fail "qn_${mode}_dest_verified" "exit $QM_STATUS: $(grep 'verify\|bad' "$p.serial" | head -n 2 | tr '\n' ' ')"
	fi
	jq -c --arg m "qemu-$mode" --arg s "$st" '.return | {run: $m, side: "dest", state: $s,
		blocktime_ms: ."postcopy-blocktime"}' <<<"$r" >>"$jsonl" 2>/dev/null ||
		echo "{\"run\":\"qemu-$mode\",\"side\":\"dest\"}" >>"$jsonl"
	lab_barrier "qn_${mode}_done" 600 || tap fail "qn_${mode}_done_barrier"
}

# ---- heca ------------------------------------------------------------------

# hecactl's figures of a qemu-migrate.sh scenario into the JSON lines.
heca_record() {
	local sc=$1 name=$2 f
	if [ "$LAB_VM" = 0 ]; then
		f=$out/qm-$sc-migrate.json
		jq -c --arg m "$name" '{run: $m, side: "source", status: "completed",
			transport, "end": .end, rounds, downtime_ms: (.qemu.downtime_ms),
			heca_ms: (.qemu.heca_ns / 1e6 | floor), total_ms: (.total_ns / 1e6 | floor),
			heca_bytes: .bytes_tx, qemu_bytes: .qemu.bytes}' "$f" >>"$jsonl" 2>/dev/null ||
			echo "{\"run\":\"$name\",\"side\":\"source\",\"status\":\"failed\"}" >>"$jsonl"
	else
		f=$out/qm-$sc-receive.out
		# "  faults: ...; service min X ms, avg Y ms, p50 ~P ms, p99 ~Q ms, max M ms"
		awk -v m="$name" '
			/ on demand, / { od = $1 }
			/complete in/ { for (i = 1; i <= NF; i++) if ($i == "received") rx = $(i + 2) }
			/service min/ {
				for (i = 1; i <= NF; i++) {
					if ($i == "avg") avg = $(i + 1) " " $(i + 2)
					if ($i == "p50") p50 = $(i + 1) " " $(i + 2)
					if ($i == "p99") p99 = $(i + 1) " " $(i + 2)
				}
			}
			END {
				gsub(/[~,]/, "", avg); gsub(/[~,]/, "", p50); gsub(/[~,]/, "", p99)
				printf "{\"run\":\"%s\",\"side\":\"dest\",\"on_demand\":%d,\"fault_avg\":\"%s\",\"fault_p50\":\"%s\",\"fault_p99\":\"%s\"}\n", m, od + 0, avg, p50, p99
			}' "$f" >>"$jsonl"
	fi
}

heca_load "$repo" || tap fail heca_load
i=0
for mode in precopy postcopy; do
	"qn_vm$LAB_VM" "$mode" "$i"
	i=$((i + 1))
done
for mode in precopy postcopy hybrid; do
	QM_TRANSPORT=tcp "qm_run_vm$LAB_VM" "$mode" >/dev/null
	heca_record "$mode" "heca-$mode-tcp"
done
QM_TRANSPORT=rdma "qm_run_vm$LAB_VM" hybrid >/dev/null
heca_record hybrid "heca-hybrid-rdma"
heca_unload || tap fail heca_unload
tap_end
! grep -q '^not ok' "$out/qemu-compare.tap"
