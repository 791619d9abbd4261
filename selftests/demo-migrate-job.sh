#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The migration part of `make demo`, run by selftests/lab/lab.sh --vms 2 in
# both lab VMs: VM0 runs the verifying KVM guest on a source region and
# migrates it, running and dirtying its memory, in hybrid mode to VM1:
# pre-copy rounds for DEMO_TIMEOUT_MS, then post-copy (selftests/xvm_migrate
# does the VMM's part, tools/lib/heca_migrate.c the policy).  Each VM writes $LAB_OUT/demo-migrate.txt: the figures, then
# "demo: PASS" or "demo: FAIL: <why>" as the last line.
#
# DEMO_MIG_MB: guest RAM in MiB (256); DEMO_MODE (hybrid);
# DEMO_TIMEOUT_MS: when hybrid switches to post-copy (10000).
set -uo pipefail
repo=${LAB_REPO:?}
out=${LAB_OUT:?}
. "$repo/selftests/lab/lib.sh"

report=$out/demo-migrate.txt
: >"$report"
if [ "$LAB_VM" = 0 ]; then
	role=source addr=$LAB_PEER_IP
else
	role=destination addr=$LAB_SELF_IP
fi
say() { printf '%s\n' "$*" | tee -a "$report"; }

modprobe rdma_cm 2>/dev/null || true
if ! insmod "$repo/kernel/heca.ko"; then
	say "demo: FAIL: insmod heca.ko"
	exit 1
fi
say "heca demo ($role, $(hostname 2>/dev/null || echo vm$LAB_VM), kernel $(uname -r)): ${DEMO_MODE:-hybrid} migration of a running ${DEMO_MIG_MB:-256} MiB KVM guest, TCP, timeout ${DEMO_TIMEOUT_MS:-10000} ms"
rc=0
HECA_XVM_ROLE=${role%ination} HECA_XVM_ADDR=$addr HECA_REPO=$repo \
	HECA_XVM_MEM_MB=${DEMO_MIG_MB:-256} HECA_XVM_MODE=${DEMO_MODE:-hybrid} \
	HECA_XVM_TIMEOUT_MS=${DEMO_TIMEOUT_MS:-10000} \
	timeout 900 "$repo/selftests/xvm_migrate" \
	>"$out/demo-migrate.tap" 2>"$out/demo-migrate.stderr" || rc=$?
grep '^# \(source\|destination\)' "$out/demo-migrate.tap" | sed 's/^# //' |
	tee -a "$report"
rmmod heca || rc=1
if [ "$rc" = 0 ] && grep -q '^ok 1 ' "$out/demo-migrate.tap"; then
	say "demo: PASS"
else
	sed 's/^/  /' "$out/demo-migrate.stderr" | tail -n 20 | tee -a "$report"
	say "demo: FAIL: xvm_migrate exit $rc"
	exit 1
fi
