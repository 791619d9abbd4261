#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-suite.sh: in-guest job for one VM: insmod kernel/heca.ko and
# kernel/heca_rdma.ko, run every executable selftests/*_test (sorted), rmmod
# them.  KTAP results in $LAB_OUT:
# module.tap (module_load, module_unload), suite.tap (tests found), and
# <name>.tap per test (its stdout; stderr in <name>.stderr).
#
#   tools/lab/lab.sh --job tools/lab/run-suite.sh [-- TEST...]
#   LAB_TESTS="foo bar_test" tools/lab/lab.sh --job tools/lab/run-suite.sh
#
# TEST names may omit "_test".  LAB_TEST_TIMEOUT: seconds per test (600).
# LAB_TEST_ARGS: arguments for each test binary, e.g. one case alone:
#   LAB_TESTS=postcopy LAB_TEST_ARGS="-r mig.plain_tcp.peer_gone" tools/lab/lab.sh ...
# (selftests/heca_harness.h: -l lists the cases, -t/-f/-v/-r choose).
# LAB_SUITE_REPO: take heca.ko and the tests from another tree than LAB_REPO.
# Each test runs with cwd /tmp and HECA_REPO set to that tree.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

repo=${LAB_SUITE_REPO:-${LAB_REPO:?run in the lab: tools/lab/lab.sh --job $0}}
out=${LAB_OUT:?}
limit=${LAB_TEST_TIMEOUT:-600}
ko=$repo/kernel/heca.ko

# Mark the kernel log so that a splat can be tied to a test.
kmsg() { echo "lab: run-suite: $*" >/dev/kmsg 2>/dev/null || true; }

# --- module load
tap_begin "$out/module.tap" 2
loaded=0
if [ ! -f "$ko" ]; then
	tap fail module_load "$ko not found (make module)"
elif [ "${LAB_RDMA:-1}" = 0 ] && insmod "$ko" >"$out/insmod.log" 2>&1; then
	# heca.ko alone, on a kernel without the RDMA stack: TCP only.
	if [ -e /sys/module/ib_core ]; then
		tap fail module_load "LAB_RDMA=0, yet ib_core is loaded"
	else
		tap ok module_load
	fi
	loaded=1
elif [ "${LAB_RDMA:-1}" != 0 ] && heca_load "$repo" >"$out/insmod.log" 2>&1; then
	tap ok module_load
	loaded=1
else
	tap fail module_load "insmod $ko: $(tr '\n' ' ' <"$out/insmod.log")"
fi
mod_tap=$TAP_FILE mod_n=$TAP_N

# --- the tests
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || read -ra wanted <<<"${LAB_TESTS:-}"
tests=()
tap_begin "$out/suite.tap"
if [ ${#wanted[@]} -gt 0 ]; then
	for t in "${wanted[@]}"; do
		bin=$repo/selftests/${t%_test}_test
		if [ -x "$bin" ]; then
			tests+=("$bin")
		else
			tap fail "test_${t%_test}_found" "$bin: no such executable (make selftests)"
		fi
	done
else
	for bin in "$repo"/selftests/*_test; do
		[ -f "$bin" ] && [ -x "$bin" ] && tests+=("$bin")
	done
fi
if [ ${#tests[@]} -gt 0 ]; then
	tap ok selftests_found
else
	tap fail selftests_found "no executable $repo/selftests/*_test (make selftests)"
fi
tap_end

# run_one BIN: BIN's stdout is its TAP file.  A run that ends without
# explaining itself (crash, timeout, no results) gets a synthesized "not ok".
read -ra test_args <<<"${LAB_TEST_ARGS:-}"
run_one() {
	local bin=$1 name tap rc=0 n nf why='' t0=$SECONDS
	name=$(basename "$bin")
	tap=$out/$name.tap
	echo "== $name (timeout $limit s)"
	kmsg "start $name"
	(cd /tmp && HECA_REPO=$repo exec timeout -k 10 "$limit" "$bin" "${test_args[@]}") \
		>"$tap" 2>"$out/$name.stderr" || rc=$?
	kmsg "end $name, exit $rc"
	n=$(grep -cE '^(not )?ok [0-9]+' "$tap" || true)
	nf=$(grep -cE '^(not ok [0-9]+|Bail out!)' "$tap" || true)
	case $rc in
	0) [ "$n" -gt 0 ] || grep -q '^1\.\.0' "$tap" || why="exited 0 without TAP results" ;;
	4) [ "$n" -gt 0 ] || echo "ok 1 $name # SKIP exited with KSFT_SKIP" >>"$tap" ;;
	124) why="timed out after $limit s" ;;
	*)
		if [ "$rc" = 137 ] && [ $((SECONDS - t0)) -ge "$limit" ]; then
			why="timed out after $limit s"
		elif [ "$rc" -gt 128 ]; then
			why="killed by signal $((rc - 128))"
		elif [ "$nf" = 0 ]; then
			why="exited with $rc and no failed result"
		fi
		;;
	esac
	if [ -n "$why" ]; then
		printf 'not ok %d %s\n# %s\n' $((n + 1)) "$name" "$why" >>"$tap"
		echo "$name: not ok: $why"
	fi
	if [ -n "$why" ] || [ "$nf" != 0 ]; then
		tail -n 10 "$out/$name.stderr" | sed 's/^/# stderr: /'
	fi
	echo "$name: exit $rc, $(grep -cE '^ok [0-9]+' "$tap" || true) ok, $(grep -cE '^not ok [0-9]+' "$tap" || true) not ok"
}

for bin in "${tests[@]}"; do
	run_one "$bin"
done

# --- module unload (results appended to module.tap)
TAP_FILE=$mod_tap TAP_N=$mod_n TAP_PLAN=2
if [ $loaded = 0 ]; then
	tap skip module_unload "module not loaded"
elif heca_unload >"$out/rmmod.log" 2>&1; then
	tap ok module_unload
else
	tap fail module_unload "rmmod heca_rdma heca: $(tr '\n' ' ' <"$out/rmmod.log")"
fi
tap_end
