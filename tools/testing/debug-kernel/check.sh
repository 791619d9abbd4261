#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: the debug-kernel lane, behind "make check-debug".  Builds the
# debug kernel once (build-kernel.sh; later runs reuse its cache), builds
# heca.ko against it in build/debug/tree/kernel (a copy of kernel/: the
# stock build in kernel/ is left alone), and runs the lab's jobs on that
# kernel: the one-VM selftest suite, then the two-VM tests, each in
# tools/testing/debug-kernel/job.sh, which adds the kmemleak check.  Any KASAN,
# lockdep, debugobjects, KFENCE or other kernel report fails the run
# (lab.sh's splat scan), as does any unreferenced object (kmemleak).
#
#   tools/testing/debug-kernel/check.sh            everything
#   LAB_TESTS="region faultinject" tools/testing/debug-kernel/check.sh     some tests
#   HECA_DEBUG_TWO_VM=0 tools/testing/debug-kernel/check.sh                no two-VM run
#
# Environment: HECA_DEBUG_OUT (results, default build/check-debug),
# LAB_TEST_TIMEOUT (per test, default 1200 s), HECA_DEBUG_SUITE_TIMEOUT (the
# one-VM run, boot included, default 5400 s), HECA_DEBUG_TWO_VM_TIMEOUT
# (default 3600 s), HECA_DEBUG_TWO_VM (1, or 0 to skip the two-VM run),
# HECA_DEBUG_MEM (guest RAM in MB, default 4096), and
# build-kernel.sh's HECA_DEBUG_* variables.  The last line is "N passed,
# N failed, N skipped"; the exit status is non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd -P)
out=${HECA_DEBUG_OUT:-$top/build/check-debug}
tree=$top/build/debug/tree
start=$(date +%s)

msg() { echo "== check-debug: $*"; }
die() {
	echo "check-debug: error: $*" >&2
	exit 1
}

# --- the kernel (from the cache, or built: 14-36 min on two cores)
msg "debug kernel (tools/testing/debug-kernel/build-kernel.sh)"
env=$("$top/tools/testing/debug-kernel/build-kernel.sh") || die "the debug kernel did not build"
eval "$env"
kernel_s=$(($(date +%s) - start))

# --- heca.ko against it, in a tree of its own: kernel/ is a copy (others
# build the stock heca.ko in kernel/ at the same time), the rest links back
# to the repository, so that run-suite.sh (LAB_SUITE_REPO) and the tests
# (HECA_REPO, module_test reloads $HECA_REPO/kernel/heca.ko) find the debug
# module and the usual tests.
msg "heca.ko for $HECA_DEBUG_KVER in $tree/kernel"
mkdir -p "$tree/kernel"
for l in uapi selftests tools; do
	ln -sfn "$top/$l" "$tree/$l"
done
# Same names and contents as kernel/ (cp -p keeps the times, so that
# make rebuilds only what changed); files gone from kernel/ go here too.
for f in "$tree"/kernel/*.[ch]; do
	[ -e "$f" ] || continue
	case $f in *.mod.c) continue ;; esac
	[ -e "$top/kernel/$(basename "$f")" ] || rm -f "$f" "${f%.[ch]}.o"
done
for f in "$top"/kernel/*.[ch] "$top/kernel/Kbuild" "$top/kernel/Makefile"; do
	case $f in *.mod.c) continue ;; esac
	cmp -s "$f" "$tree/kernel/$(basename "$f")" || cp -p "$f" "$tree/kernel/"
done
make -s -C "$HECA_DEBUG_KDIR" M="$tree/kernel" W=1 modules ||
	die "heca.ko does not build against $HECA_DEBUG_KDIR"
vermagic=$(modinfo -F vermagic "$tree/kernel/heca.ko")
case $vermagic in
"$HECA_DEBUG_KVER "*) ;;
*) die "$tree/kernel/heca.ko: vermagic '$vermagic', not $HECA_DEBUG_KVER" ;;
esac

# --- the lab runs
rm -rf "$out"
mkdir -p "$out"
rc=0
# acpi=noirq: the debug kernel's ACPI interpreter is too slow for the PIIX
# interrupt routing (30 s per device).  no5lvl: with QEMU's LA57, identify_cpu()
# clears the boot CPU's capabilities for a moment, and an interrupt then makes
# KASAN compute its shadow range for 4-level paging and report a "wild
# memory access" on the 5-level direct map (6.1; seen once at 0.003 s, which
# taints the kernel and turns lockdep off).  4 GiB: KASAN's shadow, kmemleak
# and lockdep take ~400 MiB, and downtime_test holds two 512 MiB regions.
# The debug kernel is slow: a guest heartbeat silent for 15 minutes (not 5)
# makes lab.sh take the VM as frozen.
export LAB_FREEZE_S=${LAB_FREEZE_S:-900}
# A thread per vCPU (lab.sh defaults to one for all): the debug kernel is
# CPU-bound under TCG; a freeze (see lab.sh) is run once more.
export LAB_TCG_THREAD=${LAB_TCG_THREAD:-multi}
common=(--kernel "$HECA_DEBUG_BZIMAGE" --modroot "$HECA_DEBUG_MODROOT"
	--append "acpi=noirq no5lvl" --mem "${HECA_DEBUG_MEM:-4096}"
	--env "LAB_SUITE_REPO=$tree"
	--env "LAB_TEST_TIMEOUT=${LAB_TEST_TIMEOUT:-1200}"
	--env "HECA_NO_TIMING=1"
	--job "$top/tools/testing/debug-kernel/job.sh")
# HECA_NO_TIMING: a 64 MiB pre-copy round takes minutes on this kernel, so
# the tests check every page but not how the policy ended or how downtime
# scales (downtime_test skips; selftests/heca_test.h).  The two-VM job runs
# the kernel-to-kernel steps (rxe, rping, the verifying KVM guest migrated
# between the VMs by xvm_migrate); the QEMU-over-QMP scenarios are driven by
# wall-clock waits in userspace sized for the stock kernel and stay in
# "make check".
two_vm_env=(--env "TWO_VM_STEPS=${HECA_DEBUG_TWO_VM_STEPS:-ping rdma_read_lat rping heca_migrate}"
	--env "XVM_TIMEOUT=${HECA_DEBUG_XVM_TIMEOUT:-2400}"
	--env "STEP_TIMEOUT=${HECA_DEBUG_STEP_TIMEOUT:-2400}")

# A run in which a VM froze as a whole under TCG says nothing about heca
# and is run once more (lab.sh --retry-on-freeze).
lab() {
	local name=$1 t0=$SECONDS r=0
	shift
	"$top/tools/lab/lab.sh" --retry-on-freeze --out "$out/$name" "$@" || r=$?
	echo "$name $((SECONDS - t0))" >>"$out/times"
	return $r
}

runs=("$out/suite")
msg "lab: one VM, selftest suite, debug kernel"
lab suite --vms 1 --timeout "${HECA_DEBUG_SUITE_TIMEOUT:-5400}" "${common[@]}" \
	-- suite || rc=1
if [ "${HECA_DEBUG_TWO_VM:-1}" != 0 ]; then
	msg "lab: two VMs, cross-host tests, debug kernel"
	lab two-vm --vms 2 --timeout "${HECA_DEBUG_TWO_VM_TIMEOUT:-3600}" "${common[@]}" \
		"${two_vm_env[@]}" \
		-- two-vm || rc=1
	runs+=("$out/two-vm")
fi

msg "kernel ${kernel_s} s (cache: $HECA_DEBUG_DIR, built in ${HECA_DEBUG_BUILD_SECONDS} s)"
while read -r name secs; do
	msg "$name ${secs} s"
done <"$out/times"
msg "took $(($(date +%s) - start)) s"
"$top/tools/lab/summarize" "${runs[@]}" || rc=1
exit $rc
