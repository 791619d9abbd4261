#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# two-vm.sh: job for "lab.sh --vms 2 --job tools/lab/two-vm.sh": proves
# that the rxe devices of the two VMs exchange RDMA traffic.  VM1 serves,
# VM0 is the client; each VM writes $LAB_OUT/two-vm-rdma.tap.
#
# Steps run in order on both VMs.  A step NAME is two functions, NAME_vm0
# (client side) and NAME_vm1 (server side), each writing TAP results with
# tap/tap_check.  Before every step but the first the VMs meet at a barrier
# named after the step (lab_barrier); the server may need a moment more to
# listen, so clients retry until it answers.  Add steps to STEPS (or set
# TWO_VM_STEPS="ping ...").
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/qemu-migrate.sh"

read -ra STEPS <<<"${TWO_VM_STEPS:-ping rdma_read_lat rping heca_migrate qemu_migrate}"
dev=${LAB_RXE%% *}
STEP_TIMEOUT=${STEP_TIMEOUT:-180}

# Retry "CMD..." (output to FILE) until it succeeds or SECS pass.
retry() {
	local secs=$1 file=$2 end
	shift 2
	end=$((SECONDS + secs))
	until timeout "$secs" "$@" >"$file" 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 2
	done
}

counters() { echo "$(rxe_counter "$dev" sent_pkts) $(rxe_counter "$dev" rcvd_pkts)"; }

# Assert that both rxe counters grew since "S0 R0".
counters_grew() {
	local s0=$1 r0=$2 s1 r1
	read -r s1 r1 <<<"$(counters)"
	echo "# $dev sent_pkts $s0 -> $s1, rcvd_pkts $r0 -> $r1" | tee -a "$TAP_FILE"
	[ "$s1" -gt "$s0" ] && tap ok "$3_tx_counter" || tap fail "$3_tx_counter" "sent_pkts $s0 -> $s1"
	[ "$r1" -gt "$r0" ] && tap ok "$3_rx_counter" || tap fail "$3_rx_counter" "rcvd_pkts $r0 -> $r1"
}

# --- ping: both sides wait for the other to answer.
ping_vm0() { tap_check ping_peer lab_ping "$LAB_PEER_IP" 120; }
ping_vm1() { ping_vm0; }

# --- rdma_read_lat: perftest ib_read_lat over rdma_cm, VM1 serves.
rdma_read_lat_vm1() {
	local s0 r0 rc=0 log=$LAB_OUT/ib_read_lat.server.log
	read -r s0 r0 <<<"$(counters)"
	timeout "$STEP_TIMEOUT" ib_read_lat -R -F -d "$dev" >"$log" 2>&1 || rc=$?
	[ $rc = 0 ] && tap ok rdma_read_lat_server || tap fail rdma_read_lat_server "exit $rc, see $log"
	counters_grew "$s0" "$r0" rdma_read_lat_server
}
rdma_read_lat_vm0() {
	local s0 r0 lat log=$LAB_OUT/ib_read_lat.client.log
	read -r s0 r0 <<<"$(counters)"
	if retry "$STEP_TIMEOUT" "$log" ib_read_lat -R -F -d "$dev" "$LAB_PEER_IP"; then
		tap ok rdma_read_lat_client
	else
		tap fail rdma_read_lat_client "see $log"
	fi
	cat "$log"
	lat=$(perftest_lat "$log")
	echo "# RDMA READ t_avg ${lat:-?} usec" | tee -a "$TAP_FILE"
	awk -v l="${lat:-0}" 'BEGIN { exit !(l > 0) }' && tap ok rdma_read_latency ||
		tap fail rdma_read_latency "no latency figure in $log"
	counters_grew "$s0" "$r0" rdma_read_lat_client
}

# --- rping: rdma_cm ping-pong with data validation, 10 rounds.
rping_vm1() {
	local rc=0 log=$LAB_OUT/rping.server.log
	timeout "$STEP_TIMEOUT" rping -s -a "$LAB_SELF_IP" -C 10 -V >"$log" 2>&1 || rc=$?
	[ $rc = 0 ] && tap ok rping_server || tap fail rping_server "exit $rc, see $log"
}
rping_vm0() {
	local n log=$LAB_OUT/rping.client.log
	if retry "$STEP_TIMEOUT" "$log" rping -c -a "$LAB_PEER_IP" -C 10 -v -V; then
		tap ok rping_client
	else
		tap fail rping_client "see $log"
	fi
	n=$(grep -c 'ping data: rdma-ping-' "$log" || true)
	[ "$n" = 10 ] && tap ok rping_10_pings || tap fail rping_10_pings "$n of 10 pings, see $log"
}

# --- heca_migrate: the running verifying KVM guest migrates (hybrid) from VM0
# (source) to VM1 (destination), each VM with its own kernel and heca.ko.
# selftests/xvm_migrate writes its own TAP file, xvm-<role>.tap.
heca_migrate_run() {
	local role=$1 addr=$2 rc=0
	tap_check "heca_load_$role" heca_load "$LAB_REPO"
	HECA_XVM_ROLE=$role HECA_XVM_ADDR=$addr HECA_REPO=$LAB_REPO \
		timeout "${XVM_TIMEOUT:-600}" "$LAB_REPO/selftests/xvm_migrate" \
		>"$LAB_OUT/xvm-$role.tap" 2>"$LAB_OUT/xvm-$role.stderr" || rc=$?
	grep '^# \(source\|destination\)' "$LAB_OUT/xvm-$role.tap" || true
	echo "# xvm_migrate ($role) exit $rc" | tee -a "$TAP_FILE"
	tap_check "heca_unload_$role" heca_unload
}
heca_migrate_vm0() { heca_migrate_run source "$LAB_PEER_IP"; }
heca_migrate_vm1() { heca_migrate_run dest "$LAB_SELF_IP"; }

# --- qemu_migrate: a stock QEMU guest migrates from VM0 to VM1 in every mode,
# hecactl driving QEMU over QMP; then a cancelled migration and one that
# QEMU fails: the guest runs on at the source (qemu-migrate.sh).
qemu_migrate_run() {
	local sc
	tap_check "qm_heca_load_vm$LAB_VM" heca_load "$LAB_REPO"
	for sc in ${QM_SCENARIOS:-precopy postcopy hybrid cancel badqemu}; do
		echo "# qemu_migrate: $sc" | tee -a "$TAP_FILE"
		"qm_run_vm$LAB_VM" "$sc"
	done
	tap_check "qm_heca_unload_vm$LAB_VM" heca_unload
}
qemu_migrate_vm0() { qemu_migrate_run; }
qemu_migrate_vm1() { qemu_migrate_run; }

tap_begin "$LAB_OUT/two-vm-rdma.tap"
if [ "${LAB_NVMS:-1}" != 2 ]; then
	tap fail two_vm "needs two VMs: lab.sh --vms 2"
	tap_end
	exit 1
fi
first=1
for s in "${STEPS[@]}"; do
	if [ $first = 0 ] && ! lab_barrier "$s" "$STEP_TIMEOUT"; then
		# The peer is gone: fail this step and the rest without waiting.
		tap fail "$s" "barrier: the other VM did not reach step $s"
		break
	fi
	first=0
	echo "# step $s" | tee -a "$TAP_FILE"
	"${s}_vm$LAB_VM"
done
lab_barrier finish "$STEP_TIMEOUT" || true
tap_end
