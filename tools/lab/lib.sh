# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh: helpers for lab jobs (bash; source it from a job run by lab.sh).
#
#   tap_begin FILE [N]       start a KTAP file (plan 1..N now, or at tap_end)
#   tap ok|fail|skip NAME [WHY]   one result (printed and appended to FILE;
#                            returns 0, so "set -e" jobs go on after a failure)
#   tap_check NAME CMD...    result of running CMD
#   tap_end                  write the plan if it was not given
#   lab_ping IP [SECS]       wait until IP answers ping
#   lab_barrier NAME [SECS]  two VMs: wait until the other VM reaches NAME
#   rxe_counter DEV NAME     an rxe port hw counter (sent_pkts, rcvd_pkts, ...)
#   perftest_lat FILE [COL]  a latency column (t_avg by default) of perftest output
#   heca_load REPO           insmod REPO/kernel/heca.ko, then the RDMA transport
#                            (rdma_cm, REPO/kernel/heca_rdma.ko); messages on stderr
#   heca_unload              rmmod heca_rdma (when loaded), then heca

TAP_FILE='' TAP_N=0 TAP_PLAN=''

heca_load() {
	insmod "$1/kernel/heca.ko" || return
	# heca_rdma.ko is not installed where request_module() would find it.
	modprobe -a ib_core rdma_cm && insmod "$1/kernel/heca_rdma.ko"
}

heca_unload() {
	if [ -e /sys/module/heca_rdma ]; then
		rmmod heca_rdma || return
	fi
	rmmod heca
}

tap_begin() {
	TAP_FILE=$1 TAP_N=0 TAP_PLAN=${2:-}
	echo "TAP version 13" >"$TAP_FILE"
	[ -z "$TAP_PLAN" ] || echo "1..$TAP_PLAN" >>"$TAP_FILE"
}

tap() {
	local r=$1 name=$2 why=${3:-} line
	TAP_N=$((TAP_N + 1))
	case $r in
	ok) line="ok $TAP_N $name" ;;
	skip) line="ok $TAP_N $name # SKIP $why" ;;
	*) line="not ok $TAP_N $name" ;;
	esac
	echo "$line" | tee -a "$TAP_FILE"
	if [ "$r" = fail ] && [ -n "$why" ]; then
		echo "# $why" | tee -a "$TAP_FILE"
	fi
	return 0
}

tap_check() {
	local name=$1
	shift
	if "$@"; then
		tap ok "$name"
	else
		tap fail "$name" "failed: $*"
	fi
}

tap_end() {
	[ -n "$TAP_PLAN" ] || echo "1..$TAP_N" >>"$TAP_FILE"
	if [ -n "$TAP_PLAN" ] && [ "$TAP_N" != "$TAP_PLAN" ]; then
		echo "# planned $TAP_PLAN results, wrote $TAP_N" | tee -a "$TAP_FILE"
	fi
}

# Debian's iputils ping may be missing: busybox has one.
lab_ping() {
	local ip=$1 n=${2:-60} ping=(ping)
	command -v ping >/dev/null || ping=(busybox ping)
	while ! "${ping[@]}" -c 1 -W 1 "$ip" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}

# Rendezvous of the two VMs: VM1 listens on TCP port LAB_BARRIER_PORT, VM0
# connects (retrying) and both exchange NAME; a different name is an error.
LAB_BARRIER_PORT=${LAB_BARRIER_PORT:-47000}
lab_barrier() {
	local name=$1 secs=${2:-300} got end
	if [ "$LAB_VM" = 1 ]; then
		got=$(echo "$name" | timeout "$secs" busybox nc -l -p "$LAB_BARRIER_PORT") || {
			echo "barrier $name: no peer in $secs s" >&2
			return 1
		}
	else
		end=$((SECONDS + secs))
		# (bash reports each refused connection on stderr: hide it)
		exec 4>&2 2>/dev/null
		until exec 3<>"/dev/tcp/$LAB_PEER_IP/$LAB_BARRIER_PORT"; do
			if [ $SECONDS -ge $end ]; then
				exec 2>&4 4>&-
				echo "barrier $name: no peer in $secs s" >&2
				return 1
			fi
			sleep 1
		done
		exec 2>&4 4>&-
		echo "$name" >&3
		read -r -t 30 got <&3 || got=''
		exec 3<&-
	fi
	[ "$got" = "$name" ] || { echo "barrier $name: peer is at '$got'" >&2; return 1; }
}

rxe_counter() {
	cat "/sys/class/infiniband/$1/ports/1/hw_counters/$2" 2>/dev/null || echo 0
}

# perftest latency tables: a header "#bytes #iterations t_min[usec] ..." then
# one line of numbers.  Prints the value of column COL (t_avg).
perftest_lat() {
	awk -v col="${2:-t_avg}" '
		/#bytes/ { for (i = 1; i <= NF; i++) if (index($i, col "[") == 1) c = i; next }
		c && $1 ~ /^[0-9]+$/ && NF >= c { print $c; exit }' "$1"
}
