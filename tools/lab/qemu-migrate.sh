# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# qemu-migrate.sh: a stock Debian QEMU guest migrates between the two lab VMs,
# driven by "hecactl migrate --qmp" at the source and "hecactl receive --qmp"
# at the destination: heca carries the RAM (a heca region, QEMU's
# x-ignore-shared), QEMU its CPU and device state.  Sourced by two-vm.sh
# (step qemu_migrate) and tools/testing/demo-qemu-job.sh, after lib.sh.
#
# The guest is selftests/guests/multiboot in mode=sweep: it keeps rewriting
# its memory, checking each page's previous generation before it writes the
# next, and prints "heca-guest: sweep N mismatches=M" on COM1.  At the
# destination the test checks that the sweeps go on from where they were
# (the guest continued, it did not boot again), then asks the guest to stop
# (a byte on COM2): it checks every page and exits QEMU through
# isa-debug-exit with its verdict.
#
# qm_run_vm0 SCENARIO / qm_run_vm1 SCENARIO run one scenario on each side;
# SCENARIO is precopy, postcopy, hybrid (a migration in that mode), cancel
# (SIGINT to hecactl during the rounds: the guest runs on at the source)
# or badqemu (QEMU's own migration fails at the pause: rolled back).
# Results go to the TAP file; files to $LAB_OUT/qm-<scenario>-*.
#
# QM_MB guest RAM (default 64), QM_HYBRID_TIMEOUT (s, default 4),
# QM_PRECOPY_WSS pages the guest rewrites in precopy (default 128: converges);
# QM_WSS the pages it rewrites in every scenario (default: all but precopy).

QM_MB=${QM_MB:-64}
QM_TOKEN=${QM_TOKEN:-0123456789abcdef0123456789abcdef}
QM_GUEST=${QM_GUEST:-$LAB_REPO/selftests/guests/multiboot/build/multiboot-guest.elf}
QM_HECACTL=${QM_HECACTL:-$LAB_REPO/tools/hecactl/hecactl}
QM_TMP=${QM_TMP:-/tmp/qm}
QM_STEP_TIMEOUT=${QM_STEP_TIMEOUT:-300}
QM_SEED=0x5eed
QM_EXIT_OK=33		# isa-debug-exit: (HG_EXIT_OK << 1) | 1

qm_scenarios=(precopy postcopy hybrid cancel badqemu)

# The transport of a scenario, the same on both sides: precopy over TCP,
# the rest as --transport auto picks (RDMA between the lab VMs: rxe0 has
# their addresses).  QM_TRANSPORT overrides it for all.
qm_transport() {
	if [ -n "${QM_TRANSPORT:-}" ]; then
		echo "$QM_TRANSPORT"
	elif [ "$1" = precopy ]; then
		echo tcp
	else
		echo auto
	fi
}

qm_index() {
	local i
	for i in "${!qm_scenarios[@]}"; do
		[ "${qm_scenarios[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo 9
}

# qmp SOCKET JSON: run one QMP command, print QEMU's answer (one line).
qmp() {
	{ echo '{"execute":"qmp_capabilities"}'; echo "$2"; sleep 1; } |
		timeout 10 socat - "UNIX-CONNECT:$1" 2>/dev/null |
		grep -v '"QMP"\|"event"' | sed -n 2p
}

qm_run_state() { qmp "$1" '{"execute":"query-status"}' | sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p'; }

# The last sweep number on a serial log (0: none yet).
qm_last_sweep() {
	local n
	n=$(sed -n 's/^heca-guest: sweep \([0-9]*\) .*/\1/p' "$1" 2>/dev/null | tail -n 1)
	echo "${n:-0}"
}

# Wait until the serial log FILE shows sweep number >= N, up to SECS.
qm_wait_sweep() {
	local file=$1 n=$2 secs=$3 end=$((SECONDS + $3))
	until [ "$(qm_last_sweep "$file")" -ge "$n" ]; do
		[ $SECONDS -lt $end ] || return 1
		sleep 1
	done
}

# qm_qemu NAME PREFIX APPEND [ARGS...]: start QEMU in the background on
# /dev/heca/NAME, with its files at PREFIX.{serial,ctl,qmp,log}; its pid in QM_PID.
qm_qemu() {
	local name=$1 p=$2 append=$3
	shift 3
	rm -f "$p.serial" "$p.ctl" "$p.qmp"
	qemu-system-x86_64 -accel kvm -cpu host -m "${QM_MB}M" -nographic -nodefaults \
		-no-reboot -machine pc,memory-backend=ram0 \
		-object "memory-backend-file,id=ram0,size=${QM_MB}M,mem-path=/dev/heca/$name,share=on" \
		-kernel "$QM_GUEST" -append "seed=$QM_SEED mode=sweep $append" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-serial "file:$p.serial" \
		-chardev "socket,id=ctl,path=$p.ctl,server=on,wait=off" \
		-device isa-serial,chardev=ctl,index=1 \
		-qmp "unix:$p.qmp,server=on,wait=off" "$@" </dev/null >"$p.log" 2>&1 &
	QM_PID=$!
}

# Wait for the QEMU of pid PID to exit, up to SECS; its status in QM_STATUS.
qm_wait_qemu() {
	local pid=$1 secs=$2 end=$(($SECONDS + $2))
	QM_STATUS=
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge $end ]; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			QM_STATUS=timeout
			return 1
		fi
		sleep 1
	done
	wait "$pid"
	QM_STATUS=$?
}

qm_say() { echo "# $*" | tee -a "$TAP_FILE"; }

# Figures of hecactl migrate --json FILE: "key=value ...".
qm_figures() {
	jq -r '"mode=\(.mode) end=\(.end) rounds=\(.rounds) round_pages=\(.round_pages) heca_downtime_ms=\(.downtime_ns/1e6|floor) heca_switchover_ms=\(.switchover_ns/1e6|floor) total_ms=\(.total_ns/1e6|floor) pages_sent=\(.pages_sent) bytes_tx=\(.bytes_tx) qemu_downtime_ms=\(.qemu.downtime_ms) qemu_heca_ms=\(.qemu.heca_ns/1e6|floor) qemu_total_ms=\(.qemu.total_ms) qemu_bytes=\(.qemu.bytes)"' "$1" 2>/dev/null
}

# ---- the source (VM0) ------------------------------------------------------

qm_run_vm0() {
	local sc=$1 i name p wss=${QM_WSS:-0} before after rc=0 state
	local -a mig
	i=$(qm_index "$sc")
	name=qm-$sc p=$QM_TMP/$sc
	mkdir -p "$QM_TMP"
	case $sc in
	precopy) wss=${QM_WSS:-${QM_PRECOPY_WSS:-128}}
		mig=(--mode precopy --timeout 90) ;;
	postcopy) mig=(--mode postcopy) ;;
	hybrid) mig=(--mode hybrid --timeout "${QM_HYBRID_TIMEOUT:-4}") ;;
	cancel) mig=(--mode hybrid --timeout 120) ;;
	badqemu) mig=(--mode hybrid --timeout 1) ;;
	esac
	tap_check "qm_${sc}_region" "$QM_HECACTL" region create "$name" --size "${QM_MB}M"
	qm_qemu "$name" "$p" "wss=$wss"
	if qm_wait_sweep "$p.serial" 3 300; then
		tap ok "qm_${sc}_source_guest_runs"
	else
		tap fail "qm_${sc}_source_guest_runs" "no sweep 3 in $p.serial: $(tail -n 3 "$p.serial" "$p.log" 2>/dev/null | tr '\n' ' ')"
	fi
	lab_barrier "qm_${sc}_ready" "$QM_STEP_TIMEOUT" || tap fail "qm_${sc}_barrier" "destination not ready"
	local uri=tcp:$LAB_PEER_IP:$((4444 + i))
	[ "$sc" = badqemu ] && uri=tcp:$LAB_PEER_IP:4999
	before=$(qm_last_sweep "$p.serial")
	"$QM_HECACTL" migrate "$name" --to "$LAB_PEER_IP:$((7100 + i))" --token "$QM_TOKEN" \
		--qmp "$p.qmp" --qemu-uri "$uri" "${mig[@]}" --transport "$(qm_transport "$sc")" --json \
		>"$LAB_OUT/qm-$sc-migrate.json" 2>"$LAB_OUT/qm-$sc-migrate.err" &
	local mpid=$!
	if [ "$sc" = cancel ]; then
		sleep 5
		kill -INT "$mpid"
	fi
	wait "$mpid" || rc=$?
	sed 's/^/#   /' "$LAB_OUT/qm-$sc-migrate.err" | tee -a "$TAP_FILE"
	case $sc in
	precopy | postcopy | hybrid)
		[ $rc = 0 ] && tap ok "qm_${sc}_migrate" || tap fail "qm_${sc}_migrate" "hecactl migrate exit $rc"
		qm_say "qemu $sc figures: $(qm_figures "$LAB_OUT/qm-$sc-migrate.json")"
		jq -e '.qemu.downtime_ms >= 0 and .qemu.total_ms > 0' "$LAB_OUT/qm-$sc-migrate.json" >/dev/null &&
			tap ok "qm_${sc}_qemu_figures" || tap fail "qm_${sc}_qemu_figures" "no QEMU downtime/total in the JSON"
		# pre-copy ends by its own rule (converged, or the rounds stopped
		# shrinking), not forced at the timeout; hybrid switches at it
		case $sc in
		precopy) want='.end == "converged" or .end == "dirty set stopped shrinking"' ;;
		hybrid) want='.end == "timeout" and .rounds >= 1' ;;
		*) want='.end == "no rounds" and .rounds == 0' ;;
		esac
		jq -e "$want" "$LAB_OUT/qm-$sc-migrate.json" >/dev/null && tap ok "qm_${sc}_end" ||
			tap fail "qm_${sc}_end" "not $want: $(jq -c '{"end": .end, rounds}' "$LAB_OUT/qm-$sc-migrate.json")"
		if [ "$(qm_transport "$sc")" = auto ]; then
			# rxe0 carries both lab VMs' addresses: auto takes RDMA
			jq -e '.transport == "rdma"' "$LAB_OUT/qm-$sc-migrate.json" >/dev/null &&
				tap ok "qm_${sc}_auto_picks_rdma" ||
				tap fail "qm_${sc}_auto_picks_rdma" "transport $(jq -r .transport "$LAB_OUT/qm-$sc-migrate.json")"
		fi
		state=$(qm_run_state "$p.qmp")
		[ "$state" = postmigrate ] && tap ok "qm_${sc}_source_stopped" ||
			tap fail "qm_${sc}_source_stopped" "source QEMU is '$state', not postmigrate"
		;;
	cancel | badqemu)
		[ $rc = 1 ] && tap ok "qm_${sc}_migrate_fails" || tap fail "qm_${sc}_migrate_fails" "exit $rc, not 1"
		if [ "$sc" = badqemu ]; then
			grep -q "Failed to connect\|Connection refused" "$LAB_OUT/qm-$sc-migrate.err" &&
				tap ok "qm_${sc}_qemu_error_shown" || tap fail "qm_${sc}_qemu_error_shown" "QEMU's error not in the message"
		fi
		grep -q 'runs on here' "$LAB_OUT/qm-$sc-migrate.err" &&
			tap ok "qm_${sc}_says_rolled_back" || tap fail "qm_${sc}_says_rolled_back" "no 'runs on here' in the message"
		state=$(qm_run_state "$p.qmp")
		[ "$state" = running ] && tap ok "qm_${sc}_source_running" ||
			tap fail "qm_${sc}_source_running" "source QEMU is '$state'"
		after=$(qm_last_sweep "$p.serial")
		if qm_wait_sweep "$p.serial" $((after + 2)) 300; then
			tap ok "qm_${sc}_source_guest_goes_on"
		else
			tap fail "qm_${sc}_source_guest_goes_on" "sweep $before -> $after, then no progress"
		fi
		grep -q 'mismatches=[1-9]' "$p.serial" && tap fail "qm_${sc}_source_no_mismatch" "$(grep -m1 'bad page' "$p.serial")" ||
			tap ok "qm_${sc}_source_no_mismatch"
		;;
	esac
	qm_say "source guest: sweep $before when migrate started, $(qm_last_sweep "$p.serial") at the end"
	qmp "$p.qmp" '{"execute":"quit"}' >/dev/null
	qm_wait_qemu "$QM_PID" 30 || true
	cp "$p.serial" "$LAB_OUT/qm-$sc-source.serial" 2>/dev/null
	lab_barrier "qm_${sc}_done" "$QM_STEP_TIMEOUT" || tap fail "qm_${sc}_done_barrier" "destination did not finish"
	tap_check "qm_${sc}_region_destroy" "$QM_HECACTL" region destroy "$name"
}

# ---- the destination (VM1) ---------------------------------------------------

qm_run_vm1() {
	local sc=$1 i name p rc=0 first n rpid state
	i=$(qm_index "$sc")
	name=qm-$sc p=$QM_TMP/$sc
	mkdir -p "$QM_TMP"
	rm -f "$p.qmp"
	"$QM_HECACTL" receive "$name" --size "${QM_MB}M" --listen "$LAB_SELF_IP:$((7100 + i))" \
		--token "$QM_TOKEN" --qmp "$p.qmp" --timeout 300 --transport "$(qm_transport "$sc")" \
		>"$LAB_OUT/qm-$sc-receive.out" 2>&1 &
	rpid=$!
	n=0
	until [ -e "/dev/heca/$name" ] || [ $n -ge 30 ]; do sleep 1; n=$((n + 1)); done
	qm_qemu "$name" "$p" "" -incoming "tcp:$LAB_SELF_IP:$((4444 + i))"
	local qpid=$QM_PID
	lab_barrier "qm_${sc}_ready" "$QM_STEP_TIMEOUT" || tap fail "qm_${sc}_barrier" "source not ready"
	case $sc in
	precopy | postcopy | hybrid)
		timeout "$QM_STEP_TIMEOUT" tail --pid="$rpid" -f /dev/null || true
		wait "$rpid" || rc=$?
		sed 's/^/#   /' "$LAB_OUT/qm-$sc-receive.out" | tee -a "$TAP_FILE"
		[ $rc = 0 ] && tap ok "qm_${sc}_receive" || tap fail "qm_${sc}_receive" "hecactl receive exit $rc"
		grep -q 'QEMU: the guest is running here' "$LAB_OUT/qm-$sc-receive.out" &&
			tap ok "qm_${sc}_dest_running" || tap fail "qm_${sc}_dest_running" "receive did not see QEMU running"
		# The guest continues: its first sweep here is not 2 (no new boot).
		qm_wait_sweep "$p.serial" 1 300 || true
		first=$(sed -n 's/^heca-guest: sweep \([0-9]*\) .*/\1/p' "$p.serial" | head -n 1)
		if [ "${first:-0}" -gt 3 ] && ! grep -q 'heca-guest: mem=' "$p.serial"; then
			tap ok "qm_${sc}_guest_continued"
		else
			tap fail "qm_${sc}_guest_continued" "first sweep here: '${first:-none}'"
		fi
		if qm_wait_sweep "$p.serial" $((${first:-0} + 2)) 300; then
			tap ok "qm_${sc}_dest_sweeps"
		else
			tap fail "qm_${sc}_dest_sweeps" "no 2 more sweeps after ${first:-none}"
		fi
		printf q | timeout 10 socat - "UNIX-CONNECT:$p.ctl" 2>/dev/null || true
		qm_wait_qemu "$qpid" 300 || true
		[ "$QM_STATUS" = "$QM_EXIT_OK" ] && tap ok "qm_${sc}_dest_verify_exit" ||
			tap fail "qm_${sc}_dest_verify_exit" "QEMU exit '$QM_STATUS', not $QM_EXIT_OK (guest verdict)"
		if grep -q '^heca-guest: verify ok mismatches=0' "$p.serial" && ! grep -q 'bad page' "$p.serial"; then
			tap ok "qm_${sc}_dest_0_mismatches"
		else
			tap fail "qm_${sc}_dest_0_mismatches" "$(grep 'bad page\|verify' "$p.serial" | head -n 3 | tr '\n' ' ')"
		fi
		qm_say "destination guest: sweeps $first..$(qm_last_sweep "$p.serial"), $(grep '^heca-guest: verify' "$p.serial")"
		;;
	cancel | badqemu)
		timeout "$QM_STEP_TIMEOUT" tail --pid="$rpid" -f /dev/null || true
		wait "$rpid" || rc=$?
		[ $rc != 0 ] && tap ok "qm_${sc}_receive_fails" || tap fail "qm_${sc}_receive_fails" "receive exit 0 for a cancelled migration"
		state=$(qm_run_state "$p.qmp")
		[ "$state" = inmigrate ] && tap ok "qm_${sc}_dest_never_ran" ||
			tap fail "qm_${sc}_dest_never_ran" "destination QEMU is '$state'"
		kill "$qpid" 2>/dev/null
		qm_wait_qemu "$qpid" 30 || true
		;;
	esac
	cp "$p.serial" "$LAB_OUT/qm-$sc-dest.serial" 2>/dev/null
	lab_barrier "qm_${sc}_done" "$QM_STEP_TIMEOUT" || tap fail "qm_${sc}_done_barrier" "source did not finish"
	"$QM_HECACTL" abort "$name" >/dev/null 2>&1 || true
	tap_check "qm_${sc}_region_destroy" "$QM_HECACTL" region destroy "$name"
}
