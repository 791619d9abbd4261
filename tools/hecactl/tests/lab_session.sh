#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hecactl's session commands against the real heca.ko: a lab job (run as
# root in the lab VMs by tools/lab/lab.sh) that migrates a region's
# memory with 'hecactl receive' and 'hecactl migrate' and checks every page,
# the figures of 'hecactl status', and a few refusals.  No guest runs: the
# source region is filled through a mapping (python3), the destination
# region is read back through one after completion.
#
#   tools/lab/lab.sh --job tools/hecactl/tests/lab_session.sh
#       one VM: source and destination regions in the same kernel, over
#       127.0.0.1 and [::1]
#   tools/lab/lab.sh --vms 2 --job tools/hecactl/tests/lab_session.sh
#       two VMs: VM0 migrates to VM1 over the lab link
#
# Writes $LAB_OUT/hecactl-session.tap (KTAP) and the commands' output beside
# it.  HECA_LAB_MB: region size in MiB (64).
set -uo pipefail
repo=${LAB_REPO:?run by tools/lab/lab.sh}
out=${LAB_OUT:?}
. "$repo/tools/lab/lib.sh"

hecactl=$repo/tools/hecactl/hecactl
mb=${HECA_LAB_MB:-64}
pages=$((mb * 256))
filled=$((pages / 2))		# pages [0, filled) but every third: data
port=7100
# Both VMs must agree on the token without talking: a fixed one is fine for
# a test; never do this for real (see 'hecactl token').
token=5eca7e57000000000000000000000001
tokfile=$out/token
printf '%s\n' "$token" >"$tokfile"
chmod 600 "$tokfile"

tap_begin "$out/hecactl-session.tap"

# fill NAME: write page i's pattern into the pages of the source region that
# hold data; pattern PAGE: its index at both ends of the page.
fill() {
	python3 - "/dev/heca/$1" "$pages" "$filled" <<'EOF'
import mmap, os, struct, sys
path, pages, filled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, pages * 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
for i in range(filled):
    if i % 3 == 2:
        continue
    v = struct.pack('<Q', (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    m[i * 4096:i * 4096 + 8] = v
    m[i * 4096 + 4088:i * 4096 + 4096] = v
m.close()
os.close(fd)
EOF
}

# check NAME: the destination region holds the pattern, and zeros elsewhere.
check() {
	python3 - "/dev/heca/$1" "$pages" "$filled" <<'EOF'
import mmap, os, struct, sys
path, pages, filled = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, pages * 4096, mmap.MAP_SHARED, mmap.PROT_READ)
bad = 0
zero = bytes(4096)
for i in range(pages):
    p = m[i * 4096:(i + 1) * 4096]
    if i < filled and i % 3 != 2:
        v = struct.pack('<Q', (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        ok = p[:8] == v and p[4088:] == v and p[8:4088] == zero[8:4088]
    else:
        ok = p == zero
    bad += not ok
print(bad)
sys.exit(1 if bad else 0)
EOF
}

data_pages() {
	echo $((filled - filled / 3))
}

# json FILE KEY: a top-level value of 'hecactl status --json' output
json() {
	python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"
}

# expect_status NAME STATE FILE: 'hecactl status NAME --json' into FILE, state STATE
expect_status() {
	"$hecactl" status "$1" --json >"$3" 2>&1 && [ "$(json "$3" state)" = "$2" ]
}

if ! lsmod | grep -q '^heca '; then
	if ! heca_load "$repo"; then
		tap fail insmod "insmod heca.ko heca_rdma.ko failed"
		tap_end
		exit 1
	fi
	loaded=1
fi

# ---- one VM: source and destination in the same kernel ----------------------
one_vm() {
	local rc rrc
	"$hecactl" region create hsrc --size ${mb}M
	tap_check region_create_source test -c /dev/heca/hsrc
	fill hsrc
	tap_check source_filled test "$("$hecactl" region list --json | python3 -c '
import json, sys
print([r["resident_pages"] for r in json.load(sys.stdin) if r["name"] == "hsrc"][0])')" = "$(data_pages)"

	# IPv4: receive creates the destination region
	"$hecactl" receive hdst --size ${mb}M --listen 127.0.0.1:$port --token-file "$tokfile" \
		--timeout 120 >"$out/receive.out" 2>"$out/receive.err" &
	rpid=$!
	"$hecactl" migrate hsrc --to 127.0.0.1:$port --token-file "$tokfile" --mode postcopy \
		>"$out/migrate.out" 2>"$out/migrate.err"
	rc=$?
	wait $rpid
	rrc=$?
	tap_check migrate_exit_0 test "$rc" = 0
	tap_check receive_exit_0 test "$rrc" = 0
	tap_check migrate_says_complete grep -q '^hsrc: complete in ' "$out/migrate.out"
	tap_check receive_says_complete grep -q '^hdst: complete in ' "$out/receive.out"
	tap_check receive_created_dest grep -q '^hdst: created the destination region' "$out/receive.out"
	tap_check region_list_role_dest sh -c "'$hecactl' region list | grep -Eq '^hdst .* dest$'"
	tap_check every_page_arrived check hdst
	tap_check status_dest_complete expect_status hdst complete "$out/status-dest.json"
	tap_check status_source_complete expect_status hsrc complete "$out/status-source.json"
	tap_check dest_pages_remote test "$(json "$out/status-dest.json" pages_remote)" = "$(data_pages)"
	tap_check dest_pages_present test "$(json "$out/status-dest.json" pages_present)" = "$(data_pages)"
	tap_check source_pages_sent test "$(json "$out/status-source.json" pages_sent)" = "$(data_pages)"
	"$hecactl" status hdst >"$out/status-dest.txt" 2>&1
	tap_check status_text grep -q '^hdst: complete (dest, tcp)$' "$out/status-dest.txt"

	# a destination region takes one migration
	"$hecactl" receive hdst --listen 127.0.0.1:$port --token-file "$tokfile" \
		>"$out/reuse.out" 2>"$out/reuse.err"
	tap_check dest_reuse_refused grep -q 'already received a migration' "$out/reuse.err"

	# IPv6, an existing destination region, wrong token and size refused
	"$hecactl" region create hdst6 --size ${mb}M --dest
	"$hecactl" region create hsmall --size $((mb / 2))M
	"$hecactl" receive hdst6 --listen "[::1]:$port" --token-file "$tokfile" --timeout 120 \
		>"$out/receive6.out" 2>"$out/receive6.err" &
	rpid=$!
	"$hecactl" migrate hsrc --to "[::1]:$port" --token 00000000000000000000000000000bad \
		--mode postcopy >/dev/null 2>"$out/badtoken.err"
	tap_check wrong_token_refused grep -q 'the destination refused our token (EACCES)' "$out/badtoken.err"
	"$hecactl" migrate hsmall --to "[::1]:$port" --token-file "$tokfile" --mode postcopy \
		>/dev/null 2>"$out/badsize.err"
	tap_check other_size_refused grep -q '(EINVAL): most likely the destination region is not' "$out/badsize.err"
	"$hecactl" migrate hsrc --to "[::1]:$port" --token-file "$tokfile" --mode postcopy \
		>"$out/migrate6.out" 2>"$out/migrate6.err"
	rc=$?
	wait $rpid
	rrc=$?
	tap_check migrate_ipv6 test "$rc" = 0 -a "$rrc" = 0
	tap_check every_page_arrived_ipv6 check hdst6

	# pre-copy through the policy: no guest writes, so the rounds after the
	# first are empty; the pause is a no-op command
	"$hecactl" region create hdstp --size ${mb}M --dest
	"$hecactl" receive hdstp --listen 127.0.0.1:$((port + 3)) --token-file "$tokfile" \
		--timeout 120 >"$out/receive-pre.out" 2>"$out/receive-pre.err" &
	rpid=$!
	"$hecactl" migrate hsrc --to 127.0.0.1:$((port + 3)) --token-file "$tokfile" --mode precopy \
		--pause-cmd true --json >"$out/migrate-pre.json" 2>"$out/migrate-pre.err"
	rc=$?
	wait $rpid
	rrc=$?
	tap_check migrate_precopy test "$rc" = 0 -a "$rrc" = 0
	tap_check precopy_round_1_has_the_data test "$(json "$out/migrate-pre.json" round_pages)" -ge "$(data_pages)"
	tap_check every_page_arrived_precopy check hdstp

	# nobody listens; no session to abort; one session at a time
	"$hecactl" migrate hsrc --to 127.0.0.1:$((port + 1)) --token-file "$tokfile" --mode postcopy \
		--connect-timeout 2 >/dev/null 2>"$out/refused.err"
	tap_check nobody_listens grep -q "nobody listens at 127.0.0.1:$((port + 1)) (ECONNREFUSED)" "$out/refused.err"
	"$hecactl" abort hsmall 2>"$out/abort.err"
	tap_check abort_without_session grep -q 'no session on hsmall (ENOTCONN)' "$out/abort.err"
	"$hecactl" receive hto --size ${mb}M --listen 127.0.0.1:$((port + 2)) --token-file "$tokfile" \
		--timeout 2 >/dev/null 2>"$out/timeout.err"
	tap_check receive_timeout grep -q 'no source connected within 2 s (ETIMEDOUT)' "$out/timeout.err"

	for r in hsrc hdst hdst6 hdstp hsmall hto; do
		for _ in $(seq 50); do
			"$hecactl" region destroy "$r" 2>/dev/null && break
			sleep 0.2
		done
	done
	tap_check regions_destroyed sh -c "! '$hecactl' region list | grep -q '^h'"
}

# ---- two VMs: VM0 migrates to VM1 --------------------------------------------
two_vms() {
	local rc
	if [ "$LAB_VM" = 1 ]; then
		# migrate tries again until receive listens: no barrier needed
		"$hecactl" region create hdst --size ${mb}M --dest
		"$hecactl" receive hdst --listen "$LAB_SELF_IP:$port" --token-file "$tokfile" \
			--timeout 300 >"$out/receive.out" 2>"$out/receive.err"
		rc=$?
		tap_check receive_exit_0 test "$rc" = 0
		tap_check receive_says_complete grep -q '^hdst: complete in ' "$out/receive.out"
		tap_check every_page_arrived check hdst
		tap_check status_dest_complete expect_status hdst complete "$out/status-dest.json"
		tap_check dest_pages_present test "$(json "$out/status-dest.json" pages_present)" = "$(data_pages)"
		for _ in $(seq 50); do "$hecactl" region destroy hdst 2>/dev/null && break; sleep 0.2; done
	else
		"$hecactl" region create hsrc --size ${mb}M
		fill hsrc
		"$hecactl" migrate hsrc --to "$LAB_PEER_IP:$port" --token-file "$tokfile" \
			--mode postcopy --connect-timeout 240 >"$out/migrate.out" 2>"$out/migrate.err"
		rc=$?
		tap_check migrate_exit_0 test "$rc" = 0
		tap_check migrate_says_complete grep -q '^hsrc: complete in ' "$out/migrate.out"
		tap_check status_source_complete expect_status hsrc complete "$out/status-source.json"
		tap_check source_pages_sent test "$(json "$out/status-source.json" pages_sent)" = "$(data_pages)"
		for _ in $(seq 50); do "$hecactl" region destroy hsrc 2>/dev/null && break; sleep 0.2; done
	fi
}

if [ ! -x "$hecactl" ]; then
	tap fail hecactl_built "no $hecactl: make -C tools/hecactl"
elif [ "${LAB_NVMS:-1}" = 2 ]; then
	two_vms
else
	one_vm
fi
tap_end
if [ -n "${loaded:-}" ]; then
	heca_unload || echo "rmmod heca_rdma heca failed" >&2
fi
exit 0
