#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the lab initramfs (busybox ash).  lab.sh copies this file into the
# initramfs; the per-run settings come from lab.conf on the results share.
#
# Boot: mount the host's / read-only at /host over 9p, make the usual writable
# places tmpfs, load kvm / soft-RoCE / network modules from the host tree, set up
# the network and rxe devices, run the job in "chroot /host", save job.rc and
# dmesg.txt, power off.  Nothing here may hang without bound: the host kills
# the VM at its deadline, but then dmesg.txt is lost.

PATH=/bin:/sbin
export PATH

msg() { echo "lab: $*"; }
fatal() {
	msg "FATAL: $*"
	[ -d /out ] && echo "$*" >>/out/fatal 2>/dev/null
	[ -d /out ] && dmesg >/out/dmesg.txt 2>/dev/null
	sync
	poweroff -f
	sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null
msg "init start, uptime $(cut -d' ' -f1 /proc/uptime) s"

# 9p and virtio modules, in dependency order (written by lab.sh).
for m in $(cat /modules.list); do
	insmod "/$m" || fatal "insmod $m failed"
done

p9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /host /out
mount -t 9p -o "$p9,ro,cache=loose" hostroot /host || fatal "cannot mount hostroot"
mount -t 9p -o "$p9,cache=none" labout /out || fatal "cannot mount labout"
[ -r /out/lab.conf ] || fatal "no lab.conf on the results share"
. /out/lab.conf

# Heartbeat: the guest's uptime in /out/heartbeat every 10 s, at nice -10.
# lab.sh takes a heartbeat that stops for minutes while the job still runs
# as the VM having frozen as a whole under TCG (a hung test does not stop
# it: the job's own timeouts see to that).
sh -c 'while :; do cut -d" " -f1 /proc/uptime >/out/heartbeat; sleep 10; done' &
heartbeat=$!
renice -n -10 -p "$heartbeat" >/dev/null 2>&1

# A kernel of one's own (lab.sh --kernel): its modules, LAB_MODROOT/lib/modules
# on the host, go over the host's /lib/modules, so that modprobe in the chroot
# finds them.  Before the tmpfs below, which could hide LAB_MODROOT.
if [ -n "${LAB_MODROOT:-}" ]; then
	[ -d "/host$LAB_MODROOT/lib/modules/$(uname -r)" ] ||
		fatal "no $LAB_MODROOT/lib/modules/$(uname -r) in the host's /"
	mount -o bind "/host$LAB_MODROOT/lib/modules" /host/lib/modules ||
		fatal "cannot bind $LAB_MODROOT/lib/modules over /lib/modules"
	msg "modules from $LAB_MODROOT/lib/modules"
fi

# Host paths under /tmp, /run, /var/tmp or /dev/shm that the job needs (the
# repository, the job; keep.list, one per line, written by lab.sh) would be
# hidden by the tmpfs mounted there below: bind them aside now, and back at
# the same path, read-only, once the tmpfs are in place.
keep_aside() {
	i=0
	[ -r /out/keep.list ] || return 0
	while IFS= read -r p; do
		k=/keep/$i
		i=$((i + 1))
		if [ -d "/host$p" ]; then
			mkdir -p "$k"
		elif [ -e "/host$p" ]; then
			mkdir -p /keep && touch "$k"
		else
			fatal "$p: not found in the host's /"
		fi
		mount -o bind "/host$p" "$k" || fatal "bind $p aside"
	done </out/keep.list
}
keep_back() {
	i=0
	[ -r /out/keep.list ] || return 0
	while IFS= read -r p; do
		k=/keep/$i
		i=$((i + 1))
		if [ -d "$k" ]; then
			mkdir -p "/host$p"
		else
			mkdir -p "$(dirname "/host$p")" && touch "/host$p"
		fi || fatal "cannot make $p in the guest's tmpfs"
		mount -o bind "$k" "/host$p" || fatal "bind $p back"
		mount -o remount,bind,ro "/host$p" || fatal "make $p read-only"
		umount "$k"
	done </out/keep.list
}
keep_aside

# A writable view of the host: kernel filesystems and tmpfs over the
# read-only 9p tree.
mount -t devtmpfs devtmpfs /host/dev || fatal "mount /host/dev"
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
mount -t proc proc /host/proc || fatal "mount /host/proc"
mount -t sysfs sysfs /host/sys || fatal "mount /host/sys"
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
for d in /host/tmp /host/run /host/var/tmp; do
	[ -d "$d" ] && { mount -t tmpfs -o mode=1777 tmpfs "$d" || fatal "tmpfs on $d"; }
done
mkdir -p /host/tmp/lab-out
mount -o bind /out /host/tmp/lab-out || fatal "bind /tmp/lab-out"
keep_back
[ -d "/host$LAB_REPO" ] || fatal "repository $LAB_REPO not visible in the guest"
[ -f "/host$LAB_JOB" ] || fatal "job $LAB_JOB not visible in the guest"
hostname "lab-vm$LAB_VM"

# Run a host program.  Through env: busybox would run its own applet of the
# same name (ip, modprobe, ...) instead of the host's program.
h() { chroot /host /usr/bin/env "$@"; }
now() { cut -d' ' -f1 /proc/uptime; }

# Setup steps: output to setup.log, one "ok STEP" or "fail STEP: why" line
# per step in setup.status (lab.sh fails the run on any "fail").
step() {
	name=$1
	shift
	echo "== $name: $* (uptime $(now))" >>/out/setup.log
	if "$@" >>/out/setup.log 2>&1; then
		echo "ok $name (done at uptime $(now))" >>/out/setup.status
		return 0
	fi
	echo "fail $name: $*" >>/out/setup.status
	msg "setup step $name failed (see setup.log)"
	return 1
}

# Wait up to $1 s for "$2..." to succeed.
wait_for() {
	n=$1
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 1
	done
}

kvm_load() {
	if grep -qw svm /proc/cpuinfo; then
		h modprobe kvm_amd
	elif grep -qw vmx /proc/cpuinfo; then
		h modprobe kvm_intel
	else
		echo "no svm/vmx in /proc/cpuinfo"
		return 1
	fi
	[ -c /dev/kvm ] || { echo "/dev/kvm missing"; return 1; }
}

port_active() { grep -q ACTIVE "/sys/class/infiniband/$1/ports/1/state" 2>/dev/null; }

rxe_add() {
	h rdma link add "$1" type rxe netdev "$2" || return 1
	wait_for 20 port_active "$1" || { echo "$1: port not ACTIVE"; return 1; }
}

# One VM: a veth pair va/vb, one rxe device on each end.  Both addresses are
# local, so by default the kernel routes va<->vb traffic through lo and
# rdma_cm binds both ends of a connection to the same rxe device.  Instead,
# move the local table behind policy rules that send traffic for the two
# addresses out of the veth and deliver what arrives on va/vb locally
# (accept_local: such packets have a local source address).
net_one() {
	for i in all default; do
		echo 1 >/proc/sys/net/ipv4/conf/$i/accept_local
		echo 0 >/proc/sys/net/ipv4/conf/$i/rp_filter
	done
	h ip -batch - <<EOF || return 1
link add va mtu $LAB_MTU type veth peer name vb mtu $LAB_MTU
addr add $LAB_SELF_IP/24 dev va
addr add $LAB_PEER_IP/24 dev vb
link set va up
link set vb up
rule add pref 10 iif va lookup local
rule add pref 10 iif vb lookup local
rule add pref 20 to $LAB_PEER_IP lookup 100
rule add pref 20 to $LAB_SELF_IP lookup 100
rule add pref 100 lookup local
rule del pref 0 lookup local
route add $LAB_PEER_IP dev va src $LAB_SELF_IP table 100
route add $LAB_SELF_IP dev vb src $LAB_PEER_IP table 100
EOF
	wait_for 20 grep -q 1 /sys/class/net/vb/carrier || { echo "vb: no carrier"; return 1; }
}

# Two VMs: eth0 is the virtio-net device on the socket netdev.
net_two() {
	wait_for 10 test -d /sys/class/net/eth0 || { echo "no eth0"; return 1; }
	h ip -batch - <<EOF || return 1
addr add $LAB_SELF_IP/24 dev eth0
link set eth0 mtu $LAB_MTU
link set eth0 up
EOF
	wait_for 20 grep -q 1 /sys/class/net/eth0/carrier || { echo "eth0: no carrier"; return 1; }
}

rxe_all() {
	set -- $LAB_RXE
	if [ "$LAB_NVMS" = 1 ]; then
		rxe_add "$1" va && rxe_add "$2" vb || return 1
	else
		rxe_add "$1" eth0 || return 1
	fi
	h rdma link show
}

: >/out/setup.status
h ip link set lo up
# kvm.ko is big (signature check, relocation under TCG): load it meanwhile.
kvm_load >/kvm.log 2>&1 &
kvm_pid=$!
kvm_wait() {
	wait $kvm_pid
	r=$?
	cat /kvm.log
	return $r
}
# rdma_rxe needs a crc32 crypto driver ("failed to init crc32 algorithm");
# rdma_ucm gives /dev/infiniband/rdma_cm (librdmacm).
# LAB_RDMA=0: no RDMA stack at all (ib_core is never loaded), plain veths.
if [ "${LAB_RDMA:-1}" = 0 ]; then
	step modules h modprobe -a veth && step net net_one
elif [ "$LAB_NVMS" = 1 ]; then
	step modules h modprobe -a crc32_generic rdma_rxe rdma_ucm veth &&
		step net net_one && step rxe rxe_all
else
	step modules h modprobe -a crc32_generic rdma_rxe rdma_ucm virtio_net &&
		step net net_two && step rxe rxe_all
fi
step kvm kvm_wait

# The job: a clean environment (job.env: extra NAME=VALUE lines from lab.sh,
# then the LAB_* variables), its arguments from job.args, bounded by a
# guest-side timeout so that job.rc and dmesg.txt are still written when it
# hangs.
set -- /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb
if [ -r /out/job.env ]; then
	while IFS= read -r kv; do set -- "$@" "$kv"; done </out/job.env
fi
set -- "$@" LAB_VM="$LAB_VM" LAB_NVMS="$LAB_NVMS" LAB_OUT=/tmp/lab-out \
	LAB_REPO="$LAB_REPO" LAB_SELF_IP="$LAB_SELF_IP" LAB_PEER_IP="$LAB_PEER_IP" \
	LAB_RXE="$LAB_RXE" LAB_KVER="$(uname -r)" LAB_JOB_TIMEOUT="$LAB_JOB_TIMEOUT" \
	/usr/bin/timeout -k 10 "$LAB_JOB_TIMEOUT" \
	/bin/bash -c 'cd /tmp && exec /bin/bash "$@"' lab-job "$LAB_JOB"
if [ -r /out/job.args ]; then
	while IFS= read -r a; do set -- "$@" "$a"; done </out/job.args
fi
up=$(cut -d' ' -f1 /proc/uptime)
echo "$up" >/out/job.start
msg "job start, uptime $up s: $LAB_JOB"
chroot /host "$@" >/out/job.log 2>&1
rc=$?
echo "$rc" >/out/job.rc
[ $rc = 124 ] || [ $rc = 137 ] && msg "job timed out after $LAB_JOB_TIMEOUT s"
msg "job exit $rc, uptime $(cut -d' ' -f1 /proc/uptime) s"

dmesg >/out/dmesg.txt
kill "$heartbeat" 2>/dev/null
sync
umount /host/tmp/lab-out /out 2>/dev/null
msg "power off"
poweroff -f
sleep 30
