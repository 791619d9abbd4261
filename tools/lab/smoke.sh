#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# smoke.sh: self-test of the one-VM lab (lab.sh --job tools/lab/smoke.sh):
# /dev/kvm answers, both rxe devices are up, and an RDMA READ latency test
# runs from rxe0 (va, LAB_SELF_IP) to rxe1 (vb, LAB_PEER_IP) with its packets
# crossing the veth pair.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

read -r dev0 dev1 <<<"$LAB_RXE"
tap_begin "$LAB_OUT/smoke.tap" 9

ls -l /dev/kvm || true
tap_check kvm_device test -c /dev/kvm
# KVM_GET_API_VERSION is 12.
tap_check kvm_api_version perl -e \
	'sysopen(my $f, "/dev/kvm", 2) or exit 1; exit(ioctl($f, 0xAE00, 0) != 12)'

rdma link show || true
tap_check rxe_devices_active \
	bash -c "rdma link show | grep -c 'state ACTIVE' | grep -qx 2"
tap_check ping_peer lab_ping "$LAB_PEER_IP" 20

s0=$(rxe_counter "$dev0" sent_pkts) r1=$(rxe_counter "$dev1" rcvd_pkts)
srv=$LAB_OUT/ib_read_lat.server.log cli=$LAB_OUT/ib_read_lat.client.log
timeout 120 ib_read_lat -R -F -d "$dev1" >"$srv" 2>&1 &
spid=$!
# The client retries until the server listens.
ok=0
for _ in $(seq 30); do
	if timeout 60 ib_read_lat -R -F -d "$dev0" "$LAB_PEER_IP" >"$cli" 2>&1; then
		ok=1
		break
	fi
	sleep 1
done
src=0
wait $spid || src=$?
cat "$cli"
[ $ok = 1 ] && tap ok ib_read_lat_client || tap fail ib_read_lat_client "see $cli"
[ $src = 0 ] && tap ok ib_read_lat_server || tap fail ib_read_lat_server "exit $src, see $srv"

lat=$(perftest_lat "$cli")
echo "# RDMA READ t_avg ${lat:-?} usec" | tee -a "$TAP_FILE"
if awk -v l="${lat:-0}" 'BEGIN { exit !(l > 0) }'; then
	tap ok read_latency
else
	tap fail read_latency "no latency figure in $cli"
fi
# Separate devices: rdma_cm bound the client to LAB_SELF_IP's GID.
self_gid=$(echo "$LAB_SELF_IP" | awk -F. '{ printf "255:255:%02d:%02d:%02d:%02d", $1, $2, $3, $4 }')
if grep -m1 -A1 'local address' "$cli" | grep -q "GID:.*$self_gid"; then
	tap ok client_on_self_gid
else
	tap fail client_on_self_gid "client GID is not $LAB_SELF_IP's ($self_gid)"
fi
s0b=$(rxe_counter "$dev0" sent_pkts) r1b=$(rxe_counter "$dev1" rcvd_pkts)
echo "# $dev0 sent_pkts $s0 -> $s0b, $dev1 rcvd_pkts $r1 -> $r1b" | tee -a "$TAP_FILE"
[ "$s0b" -gt "$s0" ] && [ "$r1b" -gt "$r1" ] && tap ok rxe_counters_grew ||
	tap fail rxe_counters_grew "$dev0 sent $s0 -> $s0b, $dev1 rcvd $r1 -> $r1b"
tap_end
