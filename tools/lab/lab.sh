#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lab.sh: run a job script as root inside one or two QEMU (TCG) VMs that boot
# the host's kernel, see the host's / read-only over 9p, have KVM and
# soft-RoCE (rxe) devices, and write results to OUT/vmN on the host.
# See tools/lab/README.md.
set -euo pipefail

# Physical paths (no symlinks): the guest resolves symlinks in its own tree.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)

usage() {
	cat >&2 <<EOF
usage: $0 --job SCRIPT [--vms 1|2] [--out DIR] [--timeout SECONDS] [--mem MB]
          [--env NAME=VALUE]... [--append 'KERNEL ARGS'] [--verbose]
          [--kernel IMAGE --modroot DIR] [--progress REGEX] [--retry-on-freeze]
          [-- ARGS...]
  --job      script run in each VM as: chroot /host /bin/bash SCRIPT ARGS...
  --vms      number of VMs (default 1)
  --out      results directory (default build/lab/runs/<time>-<job>)
  --timeout  bound on the whole run, boot included (default 1200)
  --mem      guest RAM in MB (default \$MEM or 2048)
  --env      set NAME=VALUE in the job's environment (repeatable); host
             variables named LAB_* and HECA_* are passed on as well
  --append   extra guest kernel command line
  --verbose  copy the guest consoles to stdout while running
  --kernel   boot this kernel image (a bzImage) instead of the host's kernel;
             its release is read from the image (default \$LAB_KERNEL)
  --modroot  that kernel's modules: DIR/lib/modules/<release>, as made by
             "make INSTALL_MOD_PATH=DIR modules_install"; bound over
             /lib/modules in the guest (default \$LAB_MODROOT)
  --progress a job that prints lines matching REGEX as it goes (to the
             kernel log or its output, e.g. "bench: "): once one was seen in
             vmN/console.log or vmN/job.log, no new one for LAB_STALL_S
             seconds (420) means a VM stalled: the run stops, fails and
             writes OUT/stalled
  --retry-on-freeze
             a run in which a VM froze as a whole under TCG (below) says
             nothing about heca: keep it as OUT-froze and run it once more
A VM whose guest heartbeat (every 10 s) stops for LAB_FREEZE_S seconds (300)
while its job runs froze as a whole: the run stops, fails and writes OUT/froze.
A run that timed out while a guest said "timer wakeup didn't happen" (a vCPU
clock stopped) froze as well.
env: KVER=<version> picks the host's kernel (default: newest with
/boot/vmlinuz-V and /lib/modules/V/build); LAB_BZIMAGE=1 boots the bzImage
instead of its vmlinux (PVH entry); LAB_MTU=<bytes> the MTU of the lab's
links (default 9000, jumbo frames as RoCE deployments use: rxe then runs
with an IB MTU of 4096).
EOF
	exit 2
}

msg() { echo "lab: $*"; }
die() { echo "lab: error: $*" >&2; exit 2; }

job='' vms=1 out='' timeout=1200 mem=${MEM:-2048} append='' verbose=0
kimage=${LAB_KERNEL:-} modroot=${LAB_MODROOT:-} progress='' retry=0
declare -a jenv=() jargs=() again=()
while [ $# -gt 0 ]; do
	# again: the arguments for a second run (--retry-on-freeze), less
	# --out and --retry-on-freeze themselves.
	case "$1" in
	--out | --retry-on-freeze) ;;
	--) again+=("$@") ;;
	-v | --verbose | -h | --help) again+=("$1") ;;
	*) again+=("$1" "${2:-}") ;;
	esac
	case "$1" in
	--job) job=${2:?}; shift 2 ;;
	--vms) vms=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--env) jenv+=("${2:?}"); shift 2 ;;
	--kernel) kimage=${2:?}; shift 2 ;;
	--modroot) modroot=${2:?}; shift 2 ;;
	--progress) progress=${2:?}; shift 2 ;;
	--retry-on-freeze) retry=1; shift ;;
	--) shift; jargs=("$@"); break ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage ;;
	*) echo "lab: unknown argument: $1" >&2; usage ;;
	esac
done
[ -n "$job" ] || usage
[[ "$vms" =~ ^[12]$ ]] || die "--vms must be 1 or 2"
[[ "$timeout" =~ ^[0-9]+$ ]] && [ "$timeout" -ge 60 ] || die "--timeout must be >= 60"
[[ "$mem" =~ ^[0-9]+$ ]] || die "--mem must be a number of MB"
for v in "${jenv[@]}"; do
	[[ "$v" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, not '$v'"
done
# Host LAB_*/HECA_* variables go to the job too (lab.sh's own LAB_* win).
while IFS= read -r v; do
	jenv=("$v" "${jenv[@]}")
done < <(env | grep -E '^(LAB|HECA)_[A-Za-z0-9_]*=' || true)
for v in "${jenv[@]}" "${jargs[@]}"; do
	[[ "$v" != *$'\n'* ]] || die "no newlines in --env values or job arguments"
done

job=$(realpath -e "$job") || die "no such job script"

build=$repo/build/lab
[ -n "$out" ] || out=$build/runs/$(date +%Y%m%d-%H%M%S)-$(basename "$job" .sh)-$$

# froze_run DIR: did the run in DIR fail because a VM froze or stalled as
# a whole under TCG?  Seen now and then with nested KVM under QEMU 7.2 TCG
# (a vCPU stuck in the int3 of kernel text patching, or every vCPU idle with
# its clock stopped).  Any other failure counts as it is: a heca bug that
# froze the VM would do it again on the second run.
froze_run() {
	[ -e "$1/froze" ] || [ -e "$1/stalled" ] && return 0
	grep -q 'timed out' "$1/status" 2>/dev/null &&
		grep -qs "timer wakeup didn't happen" "$1"/vm*/console.log
}
if [ $retry = 1 ]; then
	# In the background, so that a signal to this shell stops the run
	# (its EXIT trap kills QEMU).
	child=''
	trap '[ -z "$child" ] || kill "$child" 2>/dev/null; exit 130' INT TERM
	once() {
		# --out first: "${again[@]}" may end with "-- JOB ARGS".
		"$0" --out "$out" "${again[@]}" &
		child=$!
		wait "$child"
	}
	r=0
	once || r=$?
	if [ $r != 0 ] && froze_run "$out"; then
		msg "$(cat "$out/froze" "$out/stalled" 2>/dev/null | tr '\n' ' ')froze under TCG" \
			"(not a heca failure; kept in $out-froze): running it again"
		rm -rf "$out-froze"
		mv "$out" "$out-froze"
		r=0
		once || r=$?
	fi
	exit $r
fi
[ -f "$job" ] || die "$job is not a file"

# The guest mounts tmpfs over /tmp, /run, /var/tmp and /dev/shm of its view
# of the host (see init.sh), which would hide a repository or job there (a
# "git clone /work/main /tmp/x" for instance).  keep.list names the host
# paths under those that /init binds aside before mounting the tmpfs and binds
# back, read-only, at the same path afterwards: the repository, and a job
# outside it with its directory (for the files next to it), or only the job
# file when that directory is a tmpfs mount point itself (a job in /tmp).
# Keep this list of mount points in step with init.sh.
guest_tmpfs='/tmp /run /var/tmp /dev/shm'
hidden() { # hidden PATH: is PATH strictly under a guest tmpfs?
	local t
	for t in $guest_tmpfs; do
		case "$1" in "$t"/?*) return 0 ;; esac
	done
	return 1
}
declare -a keep=()
for p in "$repo" "$job"; do
	case "$p/" in
	/tmp/lab-out/*) die "$p: /tmp/lab-out is where the guest puts the results" ;;
	/proc/* | /sys/*) die "$p is under /proc or /sys, which the guest replaces" ;;
	/dev/shm/*) ;;
	/dev/*) die "$p is under /dev, which the guest replaces" ;;
	esac
	[[ "$p" != *$'\n'* ]] || die "no newlines in the repository or job path"
done
for t in $guest_tmpfs; do
	[ "$repo" != "$t" ] || die "the repository cannot be $t itself"
done
if hidden "$repo"; then
	keep+=("$repo")
fi
case "$job" in
"$repo"/*) ;;
*)
	jdir=$(dirname "$job")
	if hidden "$jdir"; then
		keep+=("$jdir")
	elif hidden "$job"; then
		keep+=("$job")
	fi
	;;
esac

# The release of a kernel image, from its x86 boot header ("HdrS"; the
# kernel_version field points at the string, relative to the setup code).
image_release() {
	local img=$1 off
	[ "$(od -An -c -j 514 -N 4 "$img" | tr -d ' ')" = HdrS ] || return 1
	off=$(od -An -tu2 -j 526 -N 2 "$img" | tr -d ' ')
	[ "${off:-0}" -gt 0 ] || return 1
	dd if="$img" bs=1 skip=$((off + 512)) count=256 2>/dev/null | tr '\0' '\n' |
		head -n 1 | cut -d' ' -f1
}

if [ -n "$kimage" ]; then
	# A kernel of one's own (the debug lane): its release is the image's,
	# whatever KVER says (make exports the host kernel's KVER).
	kimage=$(realpath -e "$kimage") || die "--kernel: no such file"
	[ -n "$modroot" ] || die "--kernel needs --modroot (its modules)"
	modroot=$(realpath -e "$modroot") || die "--modroot: no such directory"
	KVER=$(image_release "$kimage") || die "$kimage: not a bzImage (no release in its header)"
	[ -d "$modroot/lib/modules/$KVER" ] || die "no $modroot/lib/modules/$KVER for $kimage"
	for p in "$kimage" "$modroot"; do
		case "$p/" in
		/proc/* | /sys/* | /dev/* | /tmp/lab-out/*) die "$p: not visible in the guest" ;;
		esac
		[[ "$p" != *$'\n'* ]] || die "no newlines in --kernel or --modroot"
	done
	kernel=$kimage
	moddir=$modroot/lib/modules/$KVER
	depmod_args=(-d "$modroot")
else
	[ -z "$modroot" ] || die "--modroot goes with --kernel"
	# Kernel: KVER, else the newest with both an image and a build tree.
	if [ -z "${KVER:-}" ]; then
		for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do
			v=$(basename "$(dirname "$d")")
			[ -e "/boot/vmlinuz-$v" ] && { KVER=$v; break; }
		done
	fi
	[ -n "${KVER:-}" ] || die "no kernel with /boot/vmlinuz-V and /lib/modules/V/build"
	kernel=/boot/vmlinuz-$KVER
	[ -r "$kernel" ] || die "no $kernel"
	moddir=/lib/modules/$KVER
	depmod_args=()
fi
[ -d "$moddir" ] || die "no $moddir"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"

# --- initramfs: busybox, /init and the modules needed to mount the 9p root.
# Cached in build/lab/; rebuilt when any input changes.
mkdir -p "$build"
initrd=$build/initramfs-$KVER.cpio
build_initramfs() {
	local deps mods key tmp m
	# Modules that are built in (a kernel of one's own) need nothing here.
	deps=$(modprobe "${depmod_args[@]}" -S "$KVER" --show-depends -a virtio_pci 9pnet_virtio 9p 2>&1) ||
		die "modprobe cannot resolve virtio_pci 9pnet_virtio 9p for $KVER: $deps"
	mods=$(awk '$1 == "insmod" && !seen[$2]++ { print $2 }' <<<"$deps")
	[ -n "$mods" ] || [ "$(grep -c '^builtin ' <<<"$deps")" -ge 3 ] ||
		die "modprobe found no 9p/virtio modules for $KVER"
	# shellcheck disable=SC2086
	key=$({
		echo "$KVER"
		stat -L -c '%n %s %Y' $mods /bin/busybox
		sha256sum "$here/init.sh" "$here/lab.sh"
	} | sha256sum | cut -d' ' -f1)
	if [ -r "$initrd" ] && [ "$(cat "$initrd.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	msg "building $initrd"
	tmp=$(mktemp -d "$build/initramfs.XXXXXX")
	mkdir -p "$tmp/root"/{bin,dev,proc,sys,host,out,tmp}
	cp /bin/busybox "$tmp/root/bin/"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$tmp/root/bin/$a"
	done
	ln -s bin "$tmp/root/sbin"
	: >"$tmp/root/modules.list"
	mknod -m 600 "$tmp/root/dev/console" c 5 1
	for m in $mods; do
		mkdir -p "$tmp/root$(dirname "$m")"
		cp "$m" "$tmp/root$m"
		echo "${m#/}" >>"$tmp/root/modules.list"
	done
	install -m 755 "$here/init.sh" "$tmp/root/init"
	(cd "$tmp/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/initramfs.cpio"
	mv -f "$tmp/initramfs.cpio" "$initrd"
	echo "$key" >"$initrd.key"
	rm -rf "$tmp"
}
(
	flock 9
	build_initramfs
) 9>"$build/.lock"

# --- kernel image: QEMU boots an ELF vmlinux through its PVH entry point,
# which skips decompressing the bzImage inside the guest (~9 s under TCG).
# The vmlinux is unpacked from the bzImage once and cached; without
# CONFIG_PVH, or with LAB_BZIMAGE=1, the bzImage itself is booted.
unpack_vmlinux() {
	local img=$1 dst=$2 magic cmd off
	for magic in 'xz \xfd7zXZ\x00' 'zstd \x28\xb5\x2f\xfd' 'gzip \x1f\x8b\x08'; do
		cmd=${magic%% *}
		command -v "$cmd" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#* }" "$img" | cut -d: -f1 | head -n 3); do
			tail -c +$((off + 1)) "$img" | "$cmd" -dc 2>/dev/null >"$dst.tmp" || true
			if [ "$(head -c 4 "$dst.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv -f "$dst.tmp" "$dst"
				return 0
			fi
		done
	done
	rm -f "$dst.tmp"
	return 1
}
if [ -z "$kimage" ] && [ "${LAB_BZIMAGE:-0}" != 1 ] && grep -qx 'CONFIG_PVH=y' "/boot/config-$KVER" 2>/dev/null; then
	vmlinux=$build/vmlinux-$KVER
	key=$(stat -L -c '%n %s %Y' "$kernel")
	(
		flock 9
		if [ ! -r "$vmlinux" ] || [ "$(cat "$vmlinux.key" 2>/dev/null)" != "$key" ]; then
			msg "unpacking $kernel to $vmlinux"
			unpack_vmlinux "$kernel" "$vmlinux" && echo "$key" >"$vmlinux.key" ||
				msg "cannot unpack $kernel; booting it as a bzImage"
		fi
	) 9>"$build/.lock"
	[ "$(cat "$vmlinux.key" 2>/dev/null)" = "$key" ] && kernel=$vmlinux
fi

# --- output directory
mkdir -p "$out"
out=$(realpath "$out")
rm -rf "$out"/vm0 "$out"/vm1 "$out/summary" "$out/froze" "$out/stalled"
echo "fail: incomplete run" >"$out/status"
msg "kernel $KVER ($kernel), $vms VM(s), job $job"
msg "output in $out"

ip_of() { echo "192.0.2.$(($1 + 1))"; }
# The job gets a guest-side timeout so that job.rc and dmesg are still saved.
job_timeout=$((timeout - 90 > 60 ? timeout - 90 : 60))

cmdline="console=ttyS0 panic=-1 printk.time=1 watchdog_thresh=60"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60 $append"

# One TCG thread for all vCPUs of a VM (LAB_TCG_THREAD=multi: one each).
# With a thread per vCPU, QEMU 7.2 now and then leaves a vCPU looping on
# the int3 of kernel text patching (a static key flipped by KVM while
# another vCPU runs the code: seen as RIP in exc_int3 in vcpus.txt after
# freezes of the suite and of the two-VM job, under host load); with one
# thread a write to kernel text invalidates the translated code before any
# other vCPU runs again.  The two-VM job takes about twice as long so.
tcg_thread=${LAB_TCG_THREAD:-single}
case $tcg_thread in single | multi) ;; *) die "LAB_TCG_THREAD: single or multi" ;; esac

# The MTU of the veth pair (one VM) or of the virtio-net link (two VMs).
mtu=${LAB_MTU:-9000}
case $mtu in *[!0-9]* | '') die "LAB_MTU: a number of bytes" ;; esac
[ "$mtu" -ge 1280 ] && [ "$mtu" -le 9000 ] || die "LAB_MTU: 1280 to 9000"

declare -a pids=() starts=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_vm N [QEMU NETWORK ARGS...]: start VM N in the background.
start_vm() {
	local n=$1 d="$out/vm$1"
	shift
	rm -rf "$d"
	mkdir -p "$d"
	{
		printf 'LAB_VM=%q\n' "$n"
		printf 'LAB_NVMS=%q\n' "$vms"
		printf 'LAB_JOB=%q\n' "$job"
		printf 'LAB_REPO=%q\n' "$repo"
		printf 'LAB_SELF_IP=%q\n' "$(ip_of "$n")"
		if [ "$vms" = 1 ]; then
			printf 'LAB_PEER_IP=%q\n' "$(ip_of 1)"
			printf 'LAB_RXE=%q\n' "rxe0 rxe1"
		else
			printf 'LAB_PEER_IP=%q\n' "$(ip_of $((1 - n)))"
			printf 'LAB_RXE=%q\n' "rxe0"
		fi
		printf 'LAB_JOB_TIMEOUT=%q\n' "$job_timeout"
		printf 'LAB_MODROOT=%q\n' "$modroot"
		printf 'LAB_RDMA=%q\n' "${LAB_RDMA:-1}"
		printf 'LAB_MTU=%q\n' "$mtu"
	} >"$d/lab.conf"
	[ ${#keep[@]} = 0 ] || printf '%s\n' "${keep[@]}" >"$d/keep.list"
	[ ${#jenv[@]} = 0 ] || printf '%s\n' "${jenv[@]}" >"$d/job.env"
	[ ${#jargs[@]} = 0 ] || printf '%s\n' "${jargs[@]}" >"$d/job.args"
	: >"$d/console.log"
	starts[n]=$(date +%s.%N)
	qemu-system-x86_64 -name "lab-vm$n" -accel "tcg,thread=$tcg_thread" -cpu max -smp 2 -m "$mem" \
		-nographic -no-reboot -nic none \
		-monitor "unix:$d/monitor.sock,server=on,wait=off" \
		-serial "file:$d/console.log" \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$d,mount_tag=labout,security_model=none,multidevs=remap" \
		"$@" </dev/null >"$d/qemu.log" 2>&1 &
	pids[n]=$!
	if [ "$verbose" = 1 ]; then
		tail -n +1 -F --pid="${pids[n]}" "$d/console.log" 2>/dev/null |
			sed -u "s/^/vm$n| /" &
	fi
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }

if [ "$vms" = 1 ]; then
	start_vm 0
else
	# VM0 listens on a free 127.0.0.1 port, VM1 connects to it.
	nic() { echo "-device virtio-net-pci,netdev=n0,mac=52:54:00:1a:b0:0$1,host_mtu=$mtu"; }
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		listening "$port" && continue
		# shellcheck disable=SC2046
		start_vm 0 -netdev "socket,id=n0,listen=127.0.0.1:$port" $(nic 0)
		for _ in $(seq 100); do
			listening "$port" || ! kill -0 "${pids[0]}" 2>/dev/null && break
			sleep 0.1
		done
		listening "$port" && break
		kill "${pids[0]}" 2>/dev/null || true
		wait "${pids[0]}" 2>/dev/null || true
		unset 'pids[0]'
		msg "vm0 could not listen on 127.0.0.1:$port: $(tail -n 1 "$out/vm0/qemu.log")"
	done
	[ -n "${pids[0]:-}" ] || die "could not start vm0"
	# shellcheck disable=SC2046
	start_vm 1 -netdev "socket,id=n0,connect=127.0.0.1:$port" $(nic 1)
fi

# vcpu_state N: what VM N's vCPUs are doing (QEMU's monitor), into
# vmN/vcpus.txt: the evidence of a VM that froze.
vcpu_state() {
	local d="$out/vm$1"
	[ -S "$d/monitor.sock" ] || return 0
	printf 'info cpus\ninfo registers -a\n' |
		timeout 10 socat -t 5 - "UNIX-CONNECT:$d/monitor.sock" 2>&1 |
		tr -d '\r' | grep -av '^(qemu)' >"$d/vcpus.txt" || true
}

# frozen N: VM N's guest heartbeat (init.sh, every 10 s) has been silent for
# LAB_FREEZE_S seconds (300) while its job runs: the VM froze as a whole.
freeze_s=${LAB_FREEZE_S:-300}
frozen() {
	local d="$out/vm$1" last
	[ -e "$d/job.start" ] && [ ! -e "$d/job.rc" ] || return 1
	last=$(stat -c %Y "$d/heartbeat" 2>/dev/null || stat -c %Y "$d/job.start")
	[ $(($(date +%s) - last)) -gt "$freeze_s" ]
}

# stalled: the jobs printed a line matching --progress REGEX to a console or
# their output once, then no new one for LAB_STALL_S seconds (420).
stall_s=${LAB_STALL_S:-420}
marks=-1 marked=$SECONDS
stalled() {
	local m
	[ -n "$progress" ] && [ -e "$out/vm0/job.start" ] && [ ! -e "$out/vm0/job.rc" ] || return 1
	m=$(cat "$out"/vm*/console.log "$out"/vm*/job.log 2>/dev/null | grep -cE -- "$progress") || m=0
	if [ "$m" != "$marks" ]; then
		marks=$m marked=$SECONDS
		return 1
	fi
	[ "$m" -gt 0 ] && [ $((SECONDS - marked)) -gt "$stall_s" ]
}

# --- wait for the VMs, bounded by --timeout
deadline=$((SECONDS + timeout))
timed_out=0 froze='' stall=0
while :; do
	alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && break
	for n in "${!pids[@]}"; do
		frozen "$n" && froze+="${froze:+ }vm$n"
	done
	stalled && stall=1
	if [ -n "$froze" ] || [ $stall = 1 ] || [ $SECONDS -ge $deadline ]; then
		[ -n "$froze" ] || [ $stall = 1 ] || timed_out=1
		for n in "${!pids[@]}"; do vcpu_state "$n"; done
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
		sleep 2
		for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
		break
	fi
	sleep 1
done
declare -a qrc=()
for n in "${!pids[@]}"; do
	rc=0
	wait "${pids[n]}" 2>/dev/null || rc=$?
	qrc[n]=$rc
done
pids=()
end=$(date +%s.%N)

# --- results
# Each run-level failure (splat, timeout, job exit status, setup, no
# results) also counts as one failed test, so that the closing line of a
# failed run never says "0 failed".
declare -a fails=()
run_fails=0
fail() { fails+=("$*"); run_fails=$((run_fails + 1)); echo "lab: FAIL: $*"; }

# Kernel splats.  Console lines without a printk timestamp come from /init,
# not from the kernel, and are not scanned.
splat_re='BUG:|kernel BUG at|WARNING:|Oops|general protection|Kernel panic'
splat_re+='|possible circular locking|possible recursive locking|inconsistent lock state'
splat_re+='|suspicious RCU usage|lockdep|DEBUG_LOCKS_WARN_ON|bad unlock balance'
splat_re+='|blocked for more than|self-detected stall|detected stalls on CPU|rcu_.* stall'
splat_re+='|soft lockup|hard LOCKUP|KASAN|kmemleak|suspected memory leak|unreferenced object'
splat_re+='|UBSAN|list_(add|del) corruption|stack-protector|double fault'
splat_re+='|ODEBUG:'
# Lines that match but are no reports: the command line, the debug kernel's
# boot banners of lockdep and kmemleak, and the frames of a stack trace (a
# function name such as lockdep_hardirqs_on_prepare; a stack printed for an
# injected allocation failure is no report, and a real one has its header).
benign_re='[Cc]ommand line|RCU lockdep checking is enabled|kmemleak: Kernel memory leak detector initialized'
benign_re+='|\] +(\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?$'
ts_re='^\[ *[0-9]+\.[0-9]+\]'
scan_splats() {
	local n=$1 d="$out/vm$1" f lines l hit=''
	f=$d/dmesg.txt
	if [ -s "$f" ]; then
		lines=$(grep -nE "$splat_re" "$f" | grep -vE "$benign_re" | cut -d: -f1 | head -n 5 || true)
		for l in $lines; do
			hit=1
			echo "lab: vm$n: kernel splat in dmesg.txt line $l:"
			sed -n "$((l > 3 ? l - 3 : 1)),$((l + 25))p" "$f" | sed 's/^/    /'
		done
	fi
	# The console has what dmesg.txt may lack (a hang, a panic, shutdown).
	f=$d/console.log
	lines=$(tr -d '\r' <"$f" | grep -nE "$ts_re.*($splat_re)" | grep -vE "$benign_re" |
		while IFS= read -r x; do
			[ -s "$d/dmesg.txt" ] && grep -qxF -- "${x#*:}" "$d/dmesg.txt" && continue
			echo "${x%%:*}"
		done | head -n 5 || true)
	for l in $lines; do
		hit=1
		echo "lab: vm$n: kernel splat in console.log line $l:"
		tr -d '\r' <"$f" | sed -n "$((l > 3 ? l - 3 : 1)),$((l + 25))p" | sed 's/^/    /'
	done
	[ -z "$hit" ] || fail "vm$n: kernel splat (see above; $d)"
}

# TAP: top-level "ok N", "not ok N" lines; "# SKIP"/"# TODO" count as
# skipped; a plan 1..N with fewer results counts the missing ones as failed.
total_pass=0 total_fail=0 total_skip=0 total_res=0
count_tap() {
	local f=$1 rel=${1#"$out"/} r p fl s n
	r=$(awk '
		/^(not )?ok [0-9]+/ {
			n++
			if (tolower($0) ~ /# *(skip|todo)/) s++
			else if ($1 == "not") { f++; print "    " $0 > "/dev/stderr" }
			else p++
			next
		}
		/^Bail out!/ { f++; print "    " $0 > "/dev/stderr"; next }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; if (plan == 0) { s++; n++ } }
		END {
			if (plan > n) { f += plan - n; printf "    plan 1..%d but %d results\n", plan, n > "/dev/stderr" }
			printf "%d %d %d %d\n", p, f, s, n
		}' "$f" 2>"$out/.tapfail")
	read -r p fl s n <<<"$r"
	echo "lab: $rel: $p passed, $fl failed, $s skipped"
	cat "$out/.tapfail"
	rm -f "$out/.tapfail"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + fl))
	total_skip=$((total_skip + s)) total_res=$((total_res + n))
}

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
[ $timed_out = 0 ] || fail "timed out after $timeout s (--timeout); VMs killed"
if [ -n "$froze" ]; then
	# --retry-on-freeze runs such a run once more (see froze_run).
	echo "$froze" >"$out/froze"
	fail "$froze froze: no guest heartbeat for $freeze_s s while the job ran; VMs killed (vCPUs: vmN/vcpus.txt)"
fi
if [ $stall = 1 ]; then
	echo "vm0" >"$out/stalled"
	fail "stalled: no new '$progress' line for $stall_s s while the job ran; VMs killed; the consoles said:"
	grep -m 6 -E "soft lockup|rcu: INFO|stalls on CPUs|blocked for more than|timer wakeup|BUG:" \
		"$out"/vm*/console.log | sed 's/^/    /'
fi
for n in "${!qrc[@]}"; do
	d=$out/vm$n
	st=${starts[n]}
	if [ -r "$d/job.start" ]; then
		t=$(stat -c %.3Y "$d/job.start")
		msg "vm$n: boot $(sub "$t" "$st") s (QEMU start -> job start;" \
			"guest uptime $(cat "$d/job.start") s)"
		[ -r "$d/job.rc" ] && msg "vm$n: job ran $(sub "$(stat -c %.3Y "$d/job.rc")" "$t") s"
	fi
	[ "${qrc[n]}" = 0 ] || [ $timed_out = 1 ] ||
		fail "vm$n: qemu exited with ${qrc[n]}: $(tail -n 3 "$d/qemu.log" | tr '\n' ' ')"
	if [ -s "$d/fatal" ]; then
		fail "vm$n: guest init: $(cat "$d/fatal")"
	elif grep -q 'lab: FATAL' "$d/console.log"; then
		fail "vm$n: guest init: $(grep -m1 'lab: FATAL' "$d/console.log" | tr -d '\r')"
	fi
	if [ -s "$d/setup.status" ]; then
		while read -r s rest; do
			[ "$s" = ok ] || fail "vm$n: setup $rest (see $d/setup.log)"
		done <"$d/setup.status"
	fi
	if [ ! -r "$d/job.rc" ]; then
		fail "vm$n: the job did not finish (no job.rc)"
	elif [ "$(cat "$d/job.rc")" != 0 ]; then
		rc=$(cat "$d/job.rc")
		case $rc in
		124 | 137) fail "vm$n: job timed out after $job_timeout s (guest-side timeout)" ;;
		*) fail "vm$n: job exited with $rc" ;;
		esac
		echo "lab: vm$n: last lines of $d/job.log:"
		tail -n 20 "$d/job.log" | sed 's/^/    /'
	fi
	scan_splats "$n"
	while IFS= read -r f; do
		count_tap "$f"
	done < <(find "$d" -name '*.tap' -type f | LC_ALL=C sort)
done
[ $total_res -gt 0 ] || fail "no test results: the job wrote no *.tap file with results to \$LAB_OUT"
if [ $total_fail != 0 ]; then
	fails+=("$total_fail test(s) failed")
	echo "lab: FAIL: $total_fail test(s) failed"
fi

line="$total_pass passed, $((total_fail + run_fails)) failed, $total_skip skipped"
echo "$line" >"$out/summary"
msg "total $(sub "$end" "${starts[0]}") s; output in $out"
if [ ${#fails[@]} = 0 ]; then
	echo pass >"$out/status"
	msg "$line"
	exit 0
fi
(
	IFS=';'
	echo "fail: ${fails[*]}" | sed 's/;/; /g'
) >"$out/status"
msg "$line"
exit 1
