#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main part of `make demo`, run by tools/lab/lab.sh --vms 2 in both
# lab VMs: a stock Debian QEMU guest (-accel kvm, nested) with its RAM on a
# heca region runs on VM0, rewriting and checking its memory; "hecactl
# migrate --qmp --mode hybrid --timeout 10" moves it, running, to VM1, where
# "hecactl receive --qmp" waits with a QEMU started with -incoming.  The
# guest goes on at the destination and, asked to stop, checks every page.
# Each VM writes $LAB_OUT/demo-qemu.txt: what happened, the figures, then
# "demo: PASS" or "demo: FAIL: <why>" as the last line.
set -uo pipefail
repo=${LAB_REPO:?}
out=${LAB_OUT:?}
. "$repo/tools/lab/lib.sh"
QM_MB=${DEMO_QEMU_MB:-256}
QM_HYBRID_TIMEOUT=${DEMO_TIMEOUT_S:-10}
. "$repo/tools/lab/qemu-migrate.sh"

report=$out/demo-qemu.txt
: >"$report"
say() { printf '%s\n' "$*" | tee -a "$report"; }
role=source
[ "$LAB_VM" = 0 ] || role=destination

if ! heca_load "$repo"; then
	say "demo: FAIL: insmod heca.ko heca_rdma.ko"
	exit 1
fi
say "heca demo ($role, vm$LAB_VM, kernel $(uname -r), $(qemu-system-x86_64 --version | head -n 1)):"
say "hybrid migration of a running ${QM_MB} MiB QEMU guest (-accel kvm), pre-copy for ${QM_HYBRID_TIMEOUT} s at most, transport $(qm_transport hybrid) (auto: RDMA when the peer is reached through an RDMA device, else TCP)"
tap_begin "$out/demo-qemu.tap"
"qm_run_vm$LAB_VM" hybrid >/dev/null
tap_end
heca_unload || tap fail heca_unload

if [ "$LAB_VM" = 0 ]; then
	say ""
	say "hecactl migrate (source):"
	sed 's/^/  /' "$out/qm-hybrid-migrate.err" | tee -a "$report"
	jq -r '
	  "  rounds: \(.rounds) (\(.end)), \(.round_pages) pages in rounds",
	  (.round_list[] | "    round \(.round): \(.pages) pages\(if .synced then ", \(.ns / 1e6 | floor) ms, \(.mb_per_s) MB/s" else ", cut short by the timeout" end)"),
	  "  QEMU downtime (its own figure): \(.qemu.downtime_ms) ms, of which heca switchover \(.qemu.heca_ns / 1e6 | floor) ms",
	  "  pause (QEMU migrate) to completed: \(.downtime_ns / 1e6 | floor) ms; heca switchover ioctl \(.switchover_ns / 1e6 | floor) ms",
	  "  total: \(.total_ns / 1e9 * 10 | floor / 10) s; heca: " +
	    (if .transport == "rdma" then "RDMA, the destination READs the pages (the source sends none: \(.bytes_tx) bytes of control messages)"
	     else "\(.pages_sent) pages, \(.bytes_tx / 1e6 | floor) MB sent, \(.requests) requests" end) +
	    "; QEMU channel: \(.qemu.bytes) bytes in \(.qemu.total_ms) ms"
	' "$out/qm-hybrid-migrate.json" 2>/dev/null | tee -a "$report"
	say "  source guest: $(grep '^# source guest' "$out/demo-qemu.tap" | sed 's/^# source guest: //')"
else
	say ""
	say "hecactl receive (destination):"
	sed 's/^/  /' "$out/qm-hybrid-receive.out" | tee -a "$report"
	say "  guest serial at the destination (last lines):"
	tail -n 3 "$out/qm-hybrid-dest.serial" 2>/dev/null | sed 's/^/    /' | tee -a "$report"
fi
if grep -q '^not ok' "$out/demo-qemu.tap"; then
	say "failed checks:"
	grep -A1 '^not ok' "$out/demo-qemu.tap" | tee -a "$report"
	say "demo: FAIL: $(grep -c '^not ok' "$out/demo-qemu.tap") check(s) failed (see $out/demo-qemu.tap)"
	exit 1
fi
say "demo: PASS"
