#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The job of `make demo` (selftests/demo.sh), run by selftests/lab/lab.sh as
# root inside a lab VM, in a chroot of the host root, with LAB_REPO (the
# repository) and LAB_OUT (a directory copied out of the VM).
#
# Loads heca.ko, creates a 256 MiB region with hecactl, runs the multiboot
# test guest in QEMU/KVM with the region as its RAM, and writes a report to
# $LAB_OUT/demo-report.txt whose last line is "demo: PASS" or
# "demo: FAIL: <why>", and each check to $LAB_OUT/demo.tap; exits 0 on PASS.
#
# Environment, all optional:
#   DEMO_SIZE_MB       region and guest RAM in MiB (256)
#   DEMO_TIMEOUT       seconds QEMU may run (600)
#   HECA_QEMU          QEMU binary (qemu-system-x86_64)
#   HECA_QEMU_ACCEL    kvm or tcg (kvm if /dev/kvm is there)
#   HECA_TEST_MEMPATH  TEST-ONLY ESCAPE HATCH, as in qemu_test.c: a plain file
#                      instead of a region (no insmod, no hecactl), to work on
#                      this script where heca.ko cannot be loaded.

set -uo pipefail

repo=${LAB_REPO:?LAB_REPO: the repository}
out=${LAB_OUT:?LAB_OUT: where the report goes}
. "$repo/selftests/lab/lib.sh"

size_mb=${DEMO_SIZE_MB:-256}
timeout=${DEMO_TIMEOUT:-600}
qemu=${HECA_QEMU:-qemu-system-x86_64}
hecactl=$repo/tools/hecactl/hecactl
guest=$repo/selftests/guests/multiboot/build/multiboot-guest.elf
name=demo
mempath=/dev/heca/$name
hatch=
if [ -n "${HECA_TEST_MEMPATH:-}" ]; then
	hatch=1
	mempath=$HECA_TEST_MEMPATH
fi
accel=${HECA_QEMU_ACCEL:-}
if [ -z "$accel" ]; then
	if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi
fi

mkdir -p "$out"
report=$out/demo-report.txt
serial=$out/demo-serial.log
qlog=$out/demo-qemu.log
: >"$report"
tap_begin "$out/demo.tap"
failed=

say() { printf '%s\n' "$*" | tee -a "$report"; }
pass() { tap ok "$1" >/dev/null; }
fail() {	# fail NAME WHY
	tap fail "$1" "$2" >/dev/null
	[ -n "$failed" ] || failed=$2
	say "FAILED: $2"
}
finish() {
	tap_end
	if [ -n "$failed" ]; then say "demo: FAIL: $failed"; exit 1; fi
	say "demo: PASS"
	exit 0
}
# Is the guest's RAM heca's char device (a plain file with the escape hatch)?
is_region() {
	if [ -n "$hatch" ]; then [ -f "$mempath" ]; else [ -c "$mempath" ]; fi
}

say "heca demo: kernel $(uname -r), $(nproc) CPUs, QEMU -accel $accel, ${size_mb} MiB guest"
[ -r "$guest" ] || { fail guest_built "no $guest (make -C selftests/guests/multiboot)"; finish; }

# 1. heca.ko and a region.
if [ -n "$hatch" ]; then
	say "TEST-ONLY: HECA_TEST_MEMPATH=$mempath, a plain file, NOT a heca region"
	rm -f "$mempath" && truncate -s "${size_mb}M" "$mempath" ||
		{ fail region_create "cannot create $mempath"; finish; }
else
	if [ ! -c /dev/heca/control ]; then
		insmod "$repo/kernel/heca.ko" 2>&1 | tee -a "$report"
	fi
	[ -c /dev/heca/control ] || { fail module "insmod heca.ko: no /dev/heca/control"; finish; }
	pass module
	say "module: $(grep '^heca ' /proc/modules)"
	[ -x "$hecactl" ] || { fail hecactl "no $hecactl (tools/hecactl not built)"; finish; }
	say "\$ hecactl region create $name --size ${size_mb}M"
	"$hecactl" region create "$name" --size "${size_mb}M" 2>&1 | tee -a "$report"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { fail region_create "hecactl region create"; finish; }
fi
pass region_create
if ! is_region; then
	fail region_is_char_device "$mempath is not a char device: QEMU would run on a plain file"
	finish
fi
pass region_is_char_device

# 2. The guest, with the region as its RAM.
seed=$(printf '0x%04x%04x' $RANDOM $RANDOM)
args=(-accel "$accel" -nographic -no-reboot -nodefaults -m "${size_mb}M"
	-object "memory-backend-file,id=ram0,size=${size_mb}M,mem-path=$mempath,share=on"
	-machine memory-backend=ram0 -kernel "$guest" -append "seed=$seed"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$serial")
say "\$ $qemu ${args[*]}"
t0=$(date +%s.%N)
timeout -k 5 "$timeout" "$qemu" "${args[@]}" </dev/null >"$qlog" 2>&1
rc=$?
t1=$(date +%s.%N)
say "QEMU exit $rc after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s wall time"
sed 's/^/  qemu: /' "$qlog" | tee -a "$report"
touch "$serial"
grep -ao 'heca-guest: .*' "$serial" | sed 's/^/  /' | tee -a "$report"

# 3. The verdict: the guest's exit code (33 ok, 35 verify failed, 0 crashed,
# 124 timeout), its own check, RAM of the size asked for.
guest_pages=$(grep -ao 'heca-guest: mem=.* pages=[0-9]*' "$serial" | head -n 1 | sed 's/.*pages=//')
mem_kib=$(grep -ao 'heca-guest: mem=[0-9]*' "$serial" | head -n 1 | sed 's/.*mem=//')
if [ "$rc" -eq 33 ]; then pass guest_exit_ok; else
	fail guest_exit_ok "QEMU exit $rc, not 33 (the guest's success)"; fi
if grep -aq 'heca-guest: verify ok mismatches=0' "$serial" &&
   grep -aq 'heca-guest: done' "$serial"; then
	pass guest_verified
	say "verification: the guest wrote and read back all its $guest_pages pages (seed $seed): ok"
else
	fail guest_verified "the guest did not verify its memory"
fi
if [ -n "$mem_kib" ] && [ "$mem_kib" -le $((size_mb * 1024)) ] &&
   [ "$mem_kib" -ge $(((size_mb - 1) * 1024)) ]; then
	pass guest_ram_size
else
	fail guest_ram_size "the guest saw ${mem_kib:-no} KiB of RAM, not ~${size_mb} MiB"
fi
if is_region; then pass region_still_char_device; else
	fail region_still_char_device "$mempath is no longer a char device"; fi

# 4. What heca holds now, and clean up: with QEMU gone nobody holds the region.
if [ -n "$hatch" ]; then
	rm -f "$mempath"
else
	say "\$ hecactl region list"
	"$hecactl" region list 2>&1 | tee -a "$report"
	resident=$("$hecactl" region list --json 2>/dev/null | tr -d ' \n' |
		grep -o "\"name\":\"$name\"[^}]*" | grep -o '"resident_pages":[0-9]*' | cut -d: -f2)
	if [ -n "$resident" ] && [ -n "$guest_pages" ] && [ "$resident" -ge "$guest_pages" ]; then
		pass resident_covers_guest
		say "resident: $resident pages >= the guest's $guest_pages"
	else
		fail resident_covers_guest "resident ${resident:-?} pages < the guest's ${guest_pages:-?}"
	fi
	say "\$ hecactl region destroy $name"
	"$hecactl" region destroy "$name" 2>&1 | tee -a "$report"
	if [ "${PIPESTATUS[0]}" -ne 0 ]; then
		fail region_destroy "hecactl region destroy"
	elif [ -e "$mempath" ]; then
		fail region_destroy "$mempath still exists after destroy"
	else
		pass region_destroy
	fi
fi
finish
