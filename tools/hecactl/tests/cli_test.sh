#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Command-line tests of hecactl that need no module: argument handling,
# help, exit codes, and the error paths of a missing or wrong control device
# (HECA_CONTROL points at a path that does not exist, at /dev/null, which
# answers every ioctl with ENOTTY, and at a regular file).  With FAKE, a
# stand-in for the module (tests/fake_heca.c) is preloaded to check the
# ioctl arguments and what hecactl makes of the module's answers.
#
#   tests/cli_test.sh [PATH/TO/hecactl [PATH/TO/fake_heca.so]]
#
# Ends with "N passed, N failed"; exits 1 if anything failed.
set -u

HECACTL=${1:-./hecactl}
FAKE=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# run WANT_RC STDERR_PATTERN [STDOUT_PATTERN] -- ARGS...: run hecactl ARGS,
# check the exit code and that stderr (stdout) matches the extended regex
# ("" = must be empty, "*" = anything).
run() {
	local want_rc=$1 err_pat=$2 out_pat='*' rc
	shift 2
	if [ "$1" != -- ]; then out_pat=$1; shift; fi
	shift
	"$HECACTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		fail "hecactl $*: exit $rc, want $want_rc"
	elif ! match "$tmp/err" "$err_pat"; then
		fail "hecactl $*: stderr does not match /$err_pat/"
	elif ! match "$tmp/out" "$out_pat"; then
		fail "hecactl $*: stdout does not match /$out_pat/"
	else
		passed=$((passed + 1))
	fi
}

match() {
	case $2 in
	'*') return 0 ;;
	'') [ ! -s "$1" ] ;;
	*) grep -Eq -- "$2" "$1" ;;
	esac
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	sed 's/^/  stdout: /' "$tmp/out" | head -5
	sed 's/^/  stderr: /' "$tmp/err" | head -5
}

export HECA_CONTROL="$tmp/no/such/control"
missing="^hecactl: cannot open $tmp/no/such/control: No such file or directory \(is heca.ko loaded\?\)$"

# help: stdout, exit 0
run 0 "" "^Usage: hecactl \[--help\]" -- --help
run 0 "" "^Usage: hecactl" -- -h
run 0 "" "^Usage: hecactl \[--help\]" -- help
run 0 "" "^Usage: hecactl region COMMAND" -- region --help
run 0 "" "^Usage: hecactl region COMMAND" -- help region
run 0 "" "^Usage: hecactl region create NAME --size SIZE" -- region create --help
run 0 "" "^Usage: hecactl region create NAME --size SIZE" -- region create -h
run 0 "" "^Usage: hecactl region create" -- region create vm1 --bogus --help
run 0 "" "^Usage: hecactl region create" -- help region create
run 0 "" "^Usage: hecactl region list \[--json\]" -- region list --help
run 0 "" "^Usage: hecactl region destroy NAME" -- region destroy --help
run 0 "" "^Usage: hecactl version" -- version --help
run 0 "" "^  region +create, list and destroy" -- --help
run 0 "" "^Usage: hecactl region create NAME --size SIZE \[--dest\]" -- region create --help
run 0 "" "^      --dest +create a destination region" -- region create --help
run 0 "" "^  receive +destination: " -- --help
run 0 "" "^  migrate +source: " -- --help
run 0 "" "^  status +show the session" -- --help
run 0 "" "^  abort +end the session" -- --help
run 0 "" "^  token +print a fresh random session token" -- --help
run 0 "" "^Usage: hecactl receive NAME --listen ADDR:PORT \(--token HEX \| --token-file PATH\)" -- receive --help
run 0 "" "^      --no-wait " -- receive --help
run 0 "" "^Usage: hecactl receive" -- help receive
run 0 "" "^Usage: hecactl migrate NAME --to ADDR:PORT \(--token HEX \| --token-file PATH\)$" -- migrate --help
run 0 "" "^ +\[--mode precopy\|postcopy\|hybrid\] \[--timeout SEC\] \[--downtime-ms MS\]$" -- migrate --help
run 0 "" "^  -m, --mode MODE +precopy, postcopy or hybrid \(default hybrid\)$" -- migrate --help
run 0 "" "^      --pause-cmd CMD +pause the VM here$" -- migrate --help
run 0 "" "^      --connect-timeout SEC +how long to try to reach the destination:$" -- migrate --help
run 0 "" "^HECA_REGION=NAME and HECA_PHASE=pause, handover or resume" -- migrate --help
run 0 "" "^Usage: hecactl migrate" -- migrate src --mode precopy --help
run 0 "" "^Usage: hecactl status NAME \[--json\]" -- status --help
run 0 "" "^Usage: hecactl abort NAME \[--force\]" -- abort --help
run 0 "" "^Usage: hecactl token" -- token --help

# usage errors: exit 2, nothing tried (the device is never opened)
run 2 "^hecactl: missing command" "" --
run 2 "^hecactl: region: missing command" "" -- region
run 2 "^hecactl: unknown command 'frobnicate'" "" -- frobnicate
run 2 "^hecactl: unknown option '--bogus'" "" -- --bogus
run 2 "^hecactl: region: unknown command 'resize'" "" -- region resize
run 2 "^hecactl: unknown command 'bogus'" "" -- help bogus
run 2 "^hecactl: region create: missing NAME" "" -- region create
run 2 "^hecactl: region create: missing NAME" "" -- region create --size 64M
run 2 "^hecactl: region create: missing --size SIZE" "" -- region create vm1
run 2 "^hecactl: region create: unexpected argument 'vm2'" "" -- region create vm1 vm2 --size 64M
run 2 "^hecactl: region create: option '--size' needs a value" "" -- region create vm1 --size
run 2 "^hecactl: region create: option '--size' given more than once" "" -- region create vm1 -s 1G --size 2G
run 2 "^hecactl: region create: unknown option '--json'" "" -- region create vm1 --size 1G --json
run 2 "Try 'hecactl region create --help'" "" -- region create vm1
run 2 "invalid size '0': must not be zero" "" -- region create vm1 --size 0
run 2 "invalid size '0M': must not be zero" "" -- region create vm1 --size 0M
run 2 "invalid size '-1': must not be negative" "" -- region create vm1 --size -1
run 2 "invalid size '64Q': unknown unit" "" -- region create vm1 --size 64Q
run 2 "invalid size 'lots': not a number" "" -- region create vm1 --size lots
run 2 "invalid size '1.5G': fractions are not supported" "" -- region create vm1 --size 1.5G
run 2 "invalid size '99999999999999999999': too large" "" -- region create vm1 --size 99999999999999999999
run 2 "invalid size '99999999T': too large" "" -- region create vm1 --size 99999999T
run 2 "invalid size '2T': 2TiB is larger than the largest region \(1TiB\)" "" -- region create vm1 --size 2T
run 2 "invalid size '1000': 1000 bytes is not a multiple of the page size \($(getconf PAGESIZE) bytes\)" "" -- region create vm1 --size 1000
run 2 "invalid size '': empty" "" -- region create vm1 --size=
run 2 "invalid region name 'control': 'control' is reserved" "" -- region create control --size 64M
run 2 "invalid region name '.x': a name must not start with '.'" "" -- region create .x --size 64M
run 2 "invalid region name 'a/b': '/' is not allowed" "" -- region create a/b --size 64M
run 2 "invalid region name '': a name must not be empty" "" -- region create "" --size 64M
run 2 "invalid region name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': longer than 31" "" -- \
	region create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --size 64M
run 2 "^hecactl: region create: unknown option '-x'" "" -- region create -x --size 64M
run 2 "^hecactl: region list: unexpected argument 'vm1'" "" -- region list vm1
run 2 "^hecactl: region list: option '--json' takes no value" "" -- region list --json=yes
run 2 "^hecactl: region destroy: missing NAME" "" -- region destroy
run 2 "^hecactl: region destroy: unexpected argument 'b'" "" -- region destroy a b
run 2 "^hecactl: region destroy: invalid region name 'control'" "" -- region destroy control
run 2 "^hecactl: version: unexpected argument 'x'" "" -- version x

# sessions: usage errors
tok=00112233445566778899aabbccddeeff
run 2 "^hecactl: receive: missing NAME" "" -- receive --listen 0.0.0.0:7000 --token $tok
run 2 "^hecactl: receive: unexpected argument 'b'" "" -- receive a b --listen 0.0.0.0:7000 --token $tok
run 2 "^hecactl: receive: invalid region name 'control'" "" -- receive control --listen 0.0.0.0:7000 --token $tok
run 2 "^hecactl: receive: missing --listen ADDR:PORT" "" -- receive vm1 --token $tok
run 2 "^hecactl: receive: missing --token HEX or --token-file PATH" "" -- receive vm1 --listen 0.0.0.0:7000
run 2 "^hecactl: receive: give either --token or --token-file, not both" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --token-file /dev/null
run 2 "^hecactl: receive: invalid token: 31 hex digits, not 32" "" -- receive vm1 --listen 0.0.0.0:7000 --token ${tok%f}
run 2 "^hecactl: receive: invalid token: all zero" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token 00000000000000000000000000000000
run 2 "^hecactl: receive: invalid token: 'z' is not a hex digit" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token z0112233445566778899aabbccddeeff
run 2 "^hecactl: receive: invalid address '7000': missing ':PORT'" "" -- receive vm1 --listen 7000 --token $tok
run 2 "^hecactl: receive: invalid address '::1:7000': an IPv6 address goes in brackets" "" -- \
	receive vm1 --listen ::1:7000 --token $tok
run 2 "^hecactl: receive: invalid address 'localhost:7000': 'localhost' is not an IPv4 address \(host names are not looked up\)" "" -- \
	receive vm1 --listen localhost:7000 --token $tok
run 2 "^hecactl: receive: invalid address '0.0.0.0:0': the port must be a number from 1 to 65535" "" -- \
	receive vm1 --listen 0.0.0.0:0 --token $tok
run 2 "^hecactl: receive: invalid size '1000': 1000 bytes is not a multiple of the page size" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --size 1000
run 2 "^hecactl: receive: unknown transport 'udp' \(auto, rdma or tcp\)" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --transport udp
run 2 "^hecactl: receive: invalid --timeout '0': expected a whole number from 1 to 3600 \(seconds\)" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --timeout 0
run 2 "^hecactl: receive: invalid --timeout '3601'" "" -- receive vm1 --listen 0.0.0.0:7000 --token $tok --timeout 3601
run 2 "^hecactl: receive: invalid --timeout '10s'" "" -- receive vm1 --listen 0.0.0.0:7000 --token $tok --timeout 10s
run 2 "^hecactl: receive: invalid --fault-timeout '3600001': expected a whole number from 1 to 3600000 \(milliseconds\)" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --fault-timeout 3600001
run 2 "^hecactl: receive: option '--no-wait' takes no value" "" -- \
	receive vm1 --listen 0.0.0.0:7000 --token $tok --no-wait=1
# migrate: rounds need --pause-cmd (the VM runs during them); --timeout is
# the rounds' (hybrid: 0 is post-copy), --connect-timeout the connection's
run 2 "^hecactl: migrate: --mode hybrid copies while the VM runs, then pauses it: give --pause-cmd CMD \(or, for a VM paused already, --mode postcopy\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok
run 2 "^hecactl: migrate: --mode precopy copies while the VM runs, then pauses it: give --pause-cmd CMD" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode precopy --resume-cmd true
run 2 "^hecactl: migrate: --mode hybrid copies while the VM runs" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode hybrid --timeout 5
run 2 "^hecactl: migrate: --timeout 0 \(post-copy at once\) is hybrid's: precopy stops and copies after 1-86400 s$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode precopy --timeout 0 --pause-cmd true
run 2 "^hecactl: migrate: invalid --timeout '00x': expected a whole number from 1 to 86400 \(seconds\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode precopy --timeout 00x --pause-cmd true
run 2 "^hecactl: migrate: invalid --timeout '86401': expected a whole number from 0 to 86400 \(seconds\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --timeout 86401 --pause-cmd true
run 2 "^hecactl: migrate: --timeout is the rounds' and postcopy has none \(the connection's bound is --connect-timeout\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --timeout 30
run 2 "^hecactl: migrate: --max-rounds is the rounds' and postcopy has none$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --max-rounds 3
run 2 "^hecactl: migrate: --downtime-ms is the rounds' and postcopy has none$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --downtime-ms 100
run 2 "^hecactl: migrate: invalid --downtime-ms '0': expected a whole number from 1 to 3600000 \(milliseconds\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --downtime-ms 0 --pause-cmd true
run 2 "^hecactl: migrate: invalid --max-rounds '0': expected a whole number from 1 to 10000 \(rounds\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --max-rounds 0 --pause-cmd true
run 2 "^hecactl: migrate: invalid --connect-timeout '0': expected a whole number from 1 to 3600 \(seconds\)$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --connect-timeout 0
run 2 "^hecactl: migrate: --pause-cmd must not be empty$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --pause-cmd ""
run 2 "^hecactl: migrate: --resume-cmd must not be empty$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --resume-cmd=
run 2 "^hecactl: migrate: option '--json' takes no value$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy --json=1
run 2 "^hecactl: migrate: unknown mode 'fast' \(precopy, postcopy or hybrid\)" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token $tok --mode fast
run 2 "^hecactl: migrate: missing --to ADDR:PORT" "" -- migrate vm1 --token $tok --mode postcopy
run 2 "^hecactl: migrate: invalid address '0.0.0.0:7000': 0.0.0.0 is not an address to connect to" "" -- \
	migrate vm1 --to 0.0.0.0:7000 --token $tok --mode postcopy
run 2 "^hecactl: migrate: invalid address '\[::\]:7000': \[::\] is not an address to connect to" "" -- \
	migrate vm1 --to "[::]:7000" --token $tok --mode postcopy
run 2 "^hecactl: migrate: missing NAME" "" -- migrate --to 192.0.2.2:7000 --token $tok --mode postcopy
run 2 "^hecactl: migrate: unknown option '--listen'" "" -- \
	migrate vm1 --listen 192.0.2.2:7000 --token $tok --mode postcopy
printf '%s\n' "$tok" >"$tmp/token"
printf 'not a token\n' >"$tmp/badtoken"
: >"$tmp/emptytoken"
run 2 "^hecactl: migrate: invalid token file $tmp/badtoken: 'n' is not a hex digit" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token-file "$tmp/badtoken" --mode postcopy
run 2 "^hecactl: migrate: invalid token file $tmp/emptytoken: the file is empty" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token-file "$tmp/emptytoken" --mode postcopy
run 1 "^hecactl: migrate: cannot read the token file $tmp/nonexistent: No such file or directory$" "" -- \
	migrate vm1 --to 192.0.2.2:7000 --token-file "$tmp/nonexistent" --mode postcopy
run 2 "^hecactl: status: missing NAME" "" -- status
run 2 "^hecactl: status: unexpected argument 'b'" "" -- status a b
run 2 "^hecactl: status: option '--json' takes no value" "" -- status vm1 --json=1
run 2 "^hecactl: abort: missing NAME" "" -- abort
run 2 "^hecactl: abort: invalid region name '.x'" "" -- abort .x
run 2 "^hecactl: token: unexpected argument 'x'" "" -- token x

# tokens: 32 hex digits, fresh every time
run 0 "" "^[0-9a-f]{32}$" -- token
t1=$("$HECACTL" token)
t2=$("$HECACTL" token)
if [ "$t1" != "$t2" ] && [ "${#t1}" -eq 32 ]; then
	passed=$((passed + 1))
else
	fail "hecactl token: '$t1' and '$t2'"
fi

# the module is not loaded: exit 1 with the reason; version still works
run 1 "$missing" "" -- region list
run 1 "$missing" "" -- region list --json
run 1 "$missing" "" -- region create vm1 --size 64M
run 1 "$missing" "" -- region create vm1 --size 1GiB
run 2 "invalid region name '-vm': a name must not start with '-'" "" -- region create --size 64M -- -vm
run 1 "$missing" "" -- region destroy vm1
run 1 "$missing" "" -- receive vm1 --listen 0.0.0.0:7000 --token-file "$tmp/token" --size 64M
run 1 "$missing" "" -- migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy
run 1 "$missing" "" -- status vm1
run 1 "$missing" "" -- abort vm1
run 0 "" "^hecactl [0-9.]+ \(ABI [0-9]+\)
heca.ko: not loaded" -- version
run 0 "" "^heca.ko: not loaded \($tmp/no/such/control: No such file or directory\)$" -- --version

# a character device that is not heca: every ioctl fails with ENOTTY
export HECA_CONTROL=/dev/null
run 1 "^hecactl: region list: the device does not know this request \(ENOTTY\): it is not the heca control device" "" -- region list
run 1 "^hecactl: region create vm1: the device does not know this request \(ENOTTY\)" "" -- region create vm1 --size 64M
run 1 "^hecactl: region destroy vm1: the device does not know this request \(ENOTTY\)" "" -- region destroy vm1
run 1 "^hecactl: version: the device does not know HECA_IOC_VERSION \(ENOTTY\)" "^hecactl " -- version

# not a character device
: >"$tmp/plain"
export HECA_CONTROL="$tmp/plain"
run 1 "^hecactl: $tmp/plain is not a character device" "" -- region list
run 1 "^hecactl: $tmp/plain is not a character device" "^hecactl " -- version

# every failure message is one line
export HECA_CONTROL="$tmp/no/such/control"
"$HECACTL" region create vm1 --size 64M 2>"$tmp/err"
if [ "$(wc -l <"$tmp/err")" -eq 1 ]; then passed=$((passed + 1)); else fail "failure message is not one line"; fi

# a closed stdout is a failure, not silence
if "$HECACTL" --help >&- 2>/dev/null; then fail "--help with stdout closed exits 0"; else passed=$((passed + 1)); fi

# ---- against the stand-in module -------------------------------------------
if [ -n "$FAKE" ]; then
	[ "${FAKE#/}" != "$FAKE" ] || FAKE=$PWD/$FAKE
	export LD_PRELOAD=$FAKE HECA_CONTROL=/dev/null FAKE_HECA_LOG=$tmp/log
	# --transport auto looks for RDMA devices here: none, unless a test says
	export HECA_SYSFS_IB=$tmp/no-rdma-devices
	mib64=67108864

	# log_is TEXT: the ioctls of the last run were exactly TEXT
	log_is() {
		if [ "$(cat "$tmp/log" 2>/dev/null)" = "$1" ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL: ioctl log: want '$1', got '$(cat "$tmp/log" 2>/dev/null)'"
		fi
		rm -f "$tmp/log"
	}

	run 0 "" "" -- region create vm1 --size 64M
	log_is "CREATE vm1 $mib64"
	run 0 "" "" -- region create vm1 --size 64M --dest
	log_is "CREATE vm1 $mib64 dest"
	run 0 "" "" -- region create --size=1GiB vm-2.x_y
	log_is "CREATE vm-2.x_y 1073741824"
	run 0 "" "" -- region create -s 1T -- dash
	log_is "CREATE dash 1099511627776"
	run 0 "" "" -- region create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --size 4096
	log_is "CREATE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 4096"
	FAKE_HECA_REGIONS=vm1:4096:0:0 run 0 "" "" -- region destroy vm1
	log_is "DESTROY vm1"

	# a plain file where the new region's node belongs (QEMU made it)
	mkdir "$tmp/dev"
	ln -s /dev/null "$tmp/dev/control"
	: >"$tmp/dev/vm1"
	ln -s /dev/null "$tmp/dev/vm2"
	HECA_CONTROL=$tmp/dev/control run 1 "^hecactl: region create vm1: created, but $tmp/dev/vm1 is not its device but a plain file .*: destroy the region, remove $tmp/dev/vm1 and create it again$" "" -- \
		region create vm1 --size 64M
	HECA_CONTROL=$tmp/dev/control run 0 "" "" -- region create vm2 --size 64M
	HECA_CONTROL=$tmp/dev/control run 0 "" "" -- region create vm3 --size 64M
	log_is "CREATE vm1 $mib64
CREATE vm2 $mib64
CREATE vm3 $mib64"

	export FAKE_HECA_REGIONS="vm1:$mib64:0:0,vm2:2147483648:1536:2:dest"
	run 1 "^hecactl: region create vm1: a region with that name already exists \(EEXIST\)$" "" -- \
		region create vm1 --size 64M
	run 1 "^hecactl: region destroy vm3: no region with that name \(ENOENT\): see 'hecactl region list'$" "" -- \
		region destroy vm3
	run 1 "^hecactl: region destroy vm2: region is in use \(EBUSY\): close every mapping first" "" -- \
		region destroy vm2
	rm -f "$tmp/log"

	# list: the count-in/count-out protocol and both outputs
	run 0 "" "^NAME +SIZE +RESIDENT +USERS +ROLE$" -- region list
	log_is "LIST count=0
LIST count=2"
	run 0 "" "^vm1 +64MiB +0B +0  source$" -- region list
	run 0 "" "^vm2 +2GiB +6MiB +2  dest$" -- region list
	run 0 "" '"name": "vm2"' -- region list --json
	run 0 "" '"size_bytes": 2147483648,' -- region list --json
	run 0 "" '"resident_pages": 1536,' -- region list --json
	run 0 "" '"resident_bytes": 6291456,' -- region list --json
	run 0 "" '"users": 2,' -- region list --json
	run 0 "" '"role": "dest"' -- region list --json
	rm -f "$tmp/log"
	if command -v python3 >/dev/null; then
		"$HECACTL" region list --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["name"] for x in r] == ["vm1", "vm2"], r
assert r[0] == {"name": "vm1", "size_bytes": 67108864, "resident_pages": 0,
		"resident_bytes": 0, "users": 0, "role": "source"}, r[0]
assert r[1]["role"] == "dest", r[1]
' && passed=$((passed + 1)) || fail "region list --json is not the expected JSON"
		FAKE_HECA_REGIONS= "$HECACTL" region list --json |
			python3 -c 'import json, sys; assert json.load(sys.stdin) == []' &&
			passed=$((passed + 1)) || fail "region list --json: no regions is not []"
		rm -f "$tmp/log"
	fi
	FAKE_HECA_GROW=3 run 0 "" "^new4 +4KiB +0B +0  source$" -- region list
	log_is "LIST count=0
LIST count=2
LIST count=5"
	FAKE_HECA_REGIONS= run 0 "" "^NAME +SIZE +RESIDENT +USERS +ROLE$" -- region list
	FAKE_HECA_REGIONS= run 0 "" "^\]$" -- region list --json
	rm -f "$tmp/log"

	# errors every ioctl may give
	FAKE_HECA_ERRNO=1 run 1 "^hecactl: region list: permission denied \(EPERM\): heca needs CAP_SYS_ADMIN \(run as root\)$" "" -- region list
	FAKE_HECA_ERRNO=28 run 1 "^hecactl: region create vm9: too many regions \(ENOSPC\): at most 64 can exist at once; destroy one first$" "" -- \
		region create vm9 --size 64M
	FAKE_HECA_ERRNO=12 run 1 "^hecactl: region create vm9: out of memory \(ENOMEM\)$" "" -- region create vm9 --size 64M
	FAKE_HECA_ERRNO=22 run 1 "^hecactl: region create vm9: the module refused the name, the size or the request \(EINVAL\)" "" -- \
		region create vm9 --size 64M
	FAKE_HECA_ERRNO=22 FAKE_HECA_ABI=2 run 1 "^hecactl: region create vm9: heca.ko speaks ABI 2 but hecactl speaks ABI 1 \(EINVAL\)" "" -- \
		region create vm9 --size 64M
	FAKE_HECA_ERRNO=22 run 1 "^hecactl: region list: the module refused the request as malformed \(EINVAL\)" "" -- region list
	FAKE_HECA_ERRNO=25 run 1 "^hecactl: region destroy vm1: the device does not know this request \(ENOTTY\)" "" -- region destroy vm1
	FAKE_HECA_ERRNO=5 run 1 "^hecactl: region destroy vm1: Input/output error \(EIO\)$" "" -- region destroy vm1

	# ---- sessions --------------------------------------------------------
	# Region nodes are symlinks to /dev/null beside the control device (the
	# stand-in reports /dev/null's numbers for every region); "plain" is a
	# file a VMM left where a node belongs.
	mkdir "$tmp/sdev"
	for n in control vm1 src; do ln -s /dev/null "$tmp/sdev/$n"; done
	: >"$tmp/sdev/plain"
	export HECA_CONTROL=$tmp/sdev/control
	rm -f "$tmp/log"
	defaults="timeout 30000 fault 0 token $tok"

	# last_has out|err PATTERN: a line of the last run's stdout (stderr) matches
	last_has() {
		if grep -Eq -- "$2" "$tmp/$1"; then
			passed=$((passed + 1))
		else
			fail "no line of std$1 matches /$2/"
		fi
	}

	# receive: a missing region is created as a destination with --size
	FAKE_HECA_REGIONS= run 0 "" "^vm1: created the destination region \(64MiB\)$" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok --size 64M
	log_is "LIST count=0
CREATE vm1 $mib64 dest
LIST count=0
LIST count=1
START vm1 dest tcp 0.0.0.0 port 7000 scope 0 $defaults"

	export FAKE_HECA_REGIONS="vm1:$mib64:0:1:dest,src:$mib64:1000:1,plain:4096:0:0:dest"
	# receive: listen, connected, switchover, complete, figures; no progress
	# line (stderr is not a terminal)
	run 0 "" "^vm1: the source connected; waiting for the switchover$" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	last_has out "^vm1: waiting for the source on 0\.0\.0\.0:7000 \(tcp, up to 30 s\)$"
	last_has out "^vm1: switchover: 8192 pages to fetch; the VM may run here now$"
	last_has out "^vm1: complete in 0\.50 s: 8192 pages received \(32\.0MiB on the wire, [0-9.]+ MB/s\) in 1024 requests$"
	last_has out "^  1024 on demand, 7168 prefetched, 3 zero pages made here$"
	last_has out "^  faults: 1025 asked for a page, 1024 nowait answers, 1 async waits; service min 80 us, avg 470 us, p50 ~192 us, p99 ~1\.5 ms, max 1\.5 ms$"
	log_is "LIST count=0
LIST count=3
START vm1 dest tcp 0.0.0.0 port 7000 scope 0 $defaults"
	# the options reach the module
	run 0 "" "^vm1: not waiting: 'hecactl status vm1' shows the session$" -- \
		receive vm1 --listen "[2001:db8::2]:7001" --token-file "$tmp/token" --timeout 5 \
		--fault-timeout 2500 --no-wait
	last_has out "^vm1: waiting for the source on \[2001:db8::2\]:7001 \(tcp, up to 5 s\)$"
	log_is "LIST count=0
LIST count=3
START vm1 dest tcp 2001:db8::2 port 7001 scope 0 timeout 5000 fault 2500 token $tok"
	run 0 "" "*" -- receive vm1 --listen "[fe80::1%7]:7000" --token $tok --size 64MiB --no-wait
	log_is "LIST count=0
LIST count=3
START vm1 dest tcp fe80::1 port 7000 scope 7 $defaults"

	FAKE_HECA_RDMA=1 run 0 "" "^vm1: waiting for the source on 192\.0\.2\.2:7000 \(rdma, up to 30 s\)$" -- \
		receive vm1 --listen 192.0.2.2:7000 --token $tok --transport rdma --no-wait
	log_is "LIST count=0
LIST count=3
START vm1 dest rdma 192.0.2.2 port 7000 scope 0 $defaults"

	# receive: the region must be a destination, of --size, unused
	run 1 "^hecactl: receive src: src is a source region, not a destination: is this the destination host\?" "" -- \
		receive src --listen 0.0.0.0:7000 --token $tok
	run 1 "^hecactl: receive vm1: vm1 exists with 64MiB, not the 1GiB of --size$" "" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok --size 1G
	run 1 "^hecactl: receive vm9: no region named vm9: pass --size SIZE to create it, or create it with 'hecactl region create vm9 --size SIZE --dest'$" "" -- \
		receive vm9 --listen 0.0.0.0:7000 --token $tok
	run 1 "^hecactl: receive plain: $tmp/sdev/plain is not the region's device \(a file left by a VMM" "" -- \
		receive plain --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_STATE=complete run 1 "^hecactl: receive vm1: vm1 already received a migration \(its session is complete\): a destination region takes one; destroy it and create it again$" "" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_STATE=running run 1 "^hecactl: receive vm1: a session is already running on vm1 \(EBUSY\): see 'hecactl status vm1'; 'hecactl abort vm1' ends it$" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	rm -f "$tmp/log"
	# receive: what the module's errors mean
	FAKE_HECA_START_ERRNO=110 run 1 "^hecactl: receive vm1: no source connected within 5 s \(ETIMEDOUT\): start 'hecactl migrate' on the source in time, with the same token; a source with another token or region size is refused and logged in the kernel log \(dmesg\)$" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok --timeout 5
	FAKE_HECA_START_ERRNO=98 run 1 "^hecactl: receive vm1: 0\.0\.0\.0:7000 is already in use \(EADDRINUSE\)" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_START_ERRNO=99 run 1 "^hecactl: receive vm1: 192\.0\.2\.9:7000 is not an address of this host \(EADDRNOTAVAIL\)" "*" -- \
		receive vm1 --listen 192.0.2.9:7000 --token $tok
	run 1 "^hecactl: receive vm1: transport not available \(EPROTONOSUPPORT\): this heca.ko has no RDMA transport \(an older heca.ko\): use --transport tcp$" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok --transport rdma
	FAKE_HECA_START_ERRNO=22 run 1 "^hecactl: receive vm1: the module refused an argument \(EINVAL\): a bad argument is likely" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_START_ERRNO=22 FAKE_HECA_ABI=2 run 1 "^hecactl: receive vm1: heca.ko speaks ABI 2 but hecactl speaks ABI 1 \(EINVAL\)" "*" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_FAIL=110 run 1 "^hecactl: receive vm1: the session failed: Connection timed out \(ETIMEDOUT\): a page did not come within the fault timeout, or the source stopped answering; see the kernel log \(dmesg\)$" \
		"^vm1: switchover: 8192 pages to fetch" -- receive vm1 --listen 0.0.0.0:7000 --token $tok
	FAKE_HECA_ERRNO=1 run 1 "^hecactl: receive vm1: permission denied \(EPERM\): heca needs CAP_SYS_ADMIN" "" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok
	rm -f "$tmp/log"

	# migrate: connect, switch over, wait, figures
	run 0 "" "^src: switched over: resume the VM at the destination now$" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	last_has out "^src: connecting to 192\.0\.2\.2:7000 \(tcp\)$"
	last_has out "^src: connected to 192\.0\.2\.2:7000 \(tcp\)$"
	last_has out "^src: complete in [0-9.]+ s: postcopy, no rounds$"
	last_has out "^  downtime: [0-9.]+ [mu]?s \(pause to resume\), switchover [0-9.]+ [mu]?s$"
	last_has out "^  on the wire: 1000 pages sent, 3\.9MiB sent, 4\.9KiB received, 125 requests served$"
	last_has out "^  pages on demand after the resume: counted at the destination"
	if grep -Eq "^(  round|src: pre-copy)" "$tmp/out"; then fail "migrate --mode postcopy: no rounds"; else passed=$((passed + 1)); fi
	log_is "LIST count=0
LIST count=3
START src source tcp 192.0.2.2 port 7000 scope 0 $defaults
SWITCHOVER src"
	# nobody listens yet: try again
	FAKE_HECA_REFUSE=2 run 0 "" "^src: nobody listens at \[::1\]:7000 yet; trying again for up to 30 s$" -- \
		migrate src --to "[::1]:7000" --token-file "$tmp/token" --mode postcopy
	if [ "$(grep -c "^START src source tcp ::1 port 7000 scope 0 timeout [0-9]* fault 0 token $tok$" "$tmp/log")" -eq 3 ] &&
	   grep -q "^SWITCHOVER src$" "$tmp/log"; then
		passed=$((passed + 1))
	else
		fail "migrate: three connection attempts, then the switchover: $(cat "$tmp/log")"
	fi
	rm -f "$tmp/log"
	FAKE_HECA_REFUSE=1000 run 1 "^hecactl: migrate src: nobody listens at 192\.0\.2\.2:7000 \(ECONNREFUSED\): start 'hecactl receive' on the destination first \(migrate retries until --connect-timeout\)$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy --connect-timeout 1
	FAKE_HECA_START_ERRNO=13 run 1 "^hecactl: migrate src: the destination refused our token \(EACCES\): give both hosts the same --token or --token-file$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_START_ERRNO=22 run 1 "^hecactl: migrate src: the destination or the module refused the request as invalid \(EINVAL\): most likely the destination region is not 64MiB like src here" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_START_ERRNO=110 run 1 "^hecactl: migrate src: no answer from 192\.0\.2\.2:7000 within 7 s \(ETIMEDOUT\)" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy --connect-timeout 7
	FAKE_HECA_START_ERRNO=104 run 1 "^hecactl: migrate src: the destination closed the connection during the handshake \(ECONNRESET\)" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_START_ERRNO=113 run 1 "^hecactl: migrate src: no route to 192\.0\.2\.2:7000 \(EHOSTUNREACH\)$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	run 1 "^hecactl: migrate src: transport not available, or the destination speaks another protocol version \(EPROTONOSUPPORT\): this heca.ko has no RDMA transport \(an older heca.ko\): use --transport tcp$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy --transport rdma
	FAKE_HECA_RDMA=1 FAKE_HECA_START_ERRNO=19 run 1 "^hecactl: migrate src: no RDMA device reaches 192\.0\.2\.2:7000 \(ENODEV\): is an RDMA device \(or rdma_rxe\) set up for that address\? else use --transport tcp$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy --transport rdma
	FAKE_HECA_START_ERRNO=19 run 1 "^hecactl: migrate src: the region was destroyed meanwhile \(ENODEV\)$" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_STATE=connected run 1 "^hecactl: migrate src: a session is already running on src \(EBUSY\)" "*" -- \
		migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_SWITCH_ERRNO=110 run 1 "^hecactl: migrate src: the destination did not take the list of pages in time \(ETIMEDOUT\): unless the destination's session got to running \('hecactl status src' there\), resume the VM here" \
		"^src: connected to" -- migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	FAKE_HECA_FAIL=104 run 1 "^hecactl: migrate src: the session failed: Connection reset by peer \(ECONNRESET\): the connection to the peer was lost" \
		"^src: switched over" -- migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy
	run 1 "^hecactl: migrate vm1: vm1 is a destination region: migrate runs on the source host" "" -- \
		migrate vm1 --to 192.0.2.2:7000 --token $tok --mode postcopy
	run 1 "^hecactl: migrate vm9: no region named vm9: see 'hecactl region list'$" "" -- \
		migrate vm9 --to 192.0.2.2:7000 --token $tok --mode postcopy
	rm -f "$tmp/log"

	# ---- migrate through the policy: rounds, the VMM's commands ----------
	# vmm WORD: a command that logs "WORD region phase" beside the ioctls
	vmm() { printf 'echo "%s $HECA_REGION $HECA_PHASE" >>"%s"' "$1" "$tmp/log"; }
	started="LIST count=0
LIST count=3
START src source tcp 192.0.2.2 port 7000 scope 0 $defaults"
	to="src --to 192.0.2.2:7000 --token $tok"
	# hybrid (the default): rounds until they converge (the second one fits
	# 300 ms), pause, switch over, hand over, resume; no progress on stderr
	# when it is not a terminal
	run 0 "" "^src: complete in [0-9.]+ s: hybrid, 2 rounds \(converged\)$" -- \
		migrate $to --pause-cmd "$(vmm PAUSE)" --handover-cmd "$(vmm HANDOVER)" \
		--resume-cmd "$(vmm RESUME)"
	last_has out "^src: pre-copy rounds while the VM runs \(post-copy after 60 s at most\)$"
	last_has out "^src: pausing the VM: echo \"PAUSE "
	last_has out "^src: switched over$"
	last_has out "^src: moving the VM's state: echo \"HANDOVER "
	last_has out "^src: resuming the VM at the destination: echo \"RESUME "
	last_has out "^  round 1: 1000 pages, [0-9.]+ ms, [0-9.]+ MB/s$"
	last_has out "^  round 2: 250 pages, [0-9.]+ ms, [0-9.]+ MB/s$"
	last_has out "^  pages in rounds: 1250$"
	last_has out "^  downtime: [0-9.]+ [mu]?s \(pause to resume\), switchover [0-9.]+ [mu]?s$"
	last_has out "^  timeline: pause asked \+0, paused \+[0-9.]+ [mu]?s, heca switched over \(SWITCHED\) \+[0-9.]+ [mu]?s, handed over \+[0-9.]+ [mu]?s, running at the destination \+[0-9.]+ [mu]?s$"
	last_has out "^  on the wire: 1312 pages sent, 5\.1MiB sent, [0-9.]+[KMG]?i?B received, 8 requests served$"
	last_has out "^  pages on demand after the resume: counted at the destination \('hecactl receive' there prints them\)$"
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
PAUSE src pause
SWITCHOVER src
HANDOVER src handover
RESUME src resume"
	# precopy: the VM resumes once the destination has every page
	run 0 "" "^src: complete in [0-9.]+ s: precopy, 2 rounds \(converged\)$" -- \
		migrate src --to 192.0.2.2:7000 --token-file "$tmp/token" -m precopy --timeout 5 \
		--pause-cmd "$(vmm PAUSE)"
	last_has out "^src: pre-copy rounds while the VM runs \(stop and copy after 5 s at most\)$"
	last_has out "^src: switched over, every page is at the destination: resume the VM at the destination now$"
	last_has out "^  pages on demand after the resume: none \(pre-copy: every page was there before\)$"
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
PAUSE src pause
SWITCHOVER src"
	# how the rounds end: a dirty set that stops shrinking, the round limit,
	# the timeout (the destination never has round 1)
	FAKE_HECA_DIRTY=1000,800,800 run 0 "" "^src: complete in [0-9.]+ s: precopy, 3 rounds \(dirty set stopped shrinking\)$" -- \
		migrate $to --mode precopy --pause-cmd true --downtime-ms 1
	last_has out "^  round 3: 800 pages, "
	last_has out "^  pages in rounds: 2600$"
	log_is "$started
ROUND src 1 1000
ROUND src 2 800
ROUND src 3 800
SWITCHOVER src"
	run 0 "" "^src: complete in [0-9.]+ s: hybrid, 2 rounds \(round limit\)$" -- \
		migrate $to --pause-cmd true --downtime-ms 1 --max-rounds 2
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
SWITCHOVER src"
	FAKE_HECA_RATE=0 run 0 "" "^src: complete in [0-9.]+ s: hybrid, 1 round \(timeout\)$" -- \
		migrate $to --pause-cmd true --timeout 1
	last_has out "^  round 1: 1000 pages, not all at the destination when the rounds ended$"
	last_has out "^src: switched over: resume the VM at the destination now$"
	FAKE_HECA_RATE=0 run 0 "" "^src: complete in [0-9.]+ s: precopy, 1 round \(timeout\)$" -- \
		migrate $to --mode precopy --pause-cmd true --timeout 1
	rm -f "$tmp/log"
	# hybrid with --timeout 0 is post-copy: no round, and without --pause-cmd
	# the VM was paused already; postcopy may run --pause-cmd too
	run 0 "" "^src: complete in [0-9.]+ s: hybrid, no rounds$" -- migrate $to --timeout 0
	last_has out "^src: switched over: resume the VM at the destination now$"
	log_is "$started
SWITCHOVER src"
	run 0 "" "^src: complete in [0-9.]+ s: hybrid, no rounds$" -- \
		migrate $to --timeout 0 --pause-cmd "$(vmm PAUSE)"
	log_is "$started
PAUSE src pause
SWITCHOVER src"
	run 0 "" "^src: complete in [0-9.]+ s: postcopy, no rounds$" -- \
		migrate $to --mode postcopy --pause-cmd "$(vmm PAUSE)" --resume-cmd "$(vmm RESUME)"
	log_is "$started
PAUSE src pause
SWITCHOVER src
RESUME src resume"

	# a command that fails stops the migration; before the switchover the
	# session is aborted
	run 1 "^hecactl: migrate src: --pause-cmd 'exit 3' exited with status 3: the session was aborted before the switchover; the VM stays here \(resume it here if the command paused it\)$" \
		"^src: pausing the VM: exit 3$" -- migrate $to --pause-cmd 'exit 3' --resume-cmd "$(vmm RESUME)"
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
ABORT src"
	run 1 "^hecactl: migrate src: --pause-cmd 'kill -TERM \\\$\\\$' was killed by signal 15 \(SIGTERM\): the session was aborted before the switchover" "*" -- \
		migrate $to --mode postcopy --pause-cmd 'kill -TERM $$'
	log_is "$started
ABORT src"
	run 1 "^hecactl: migrate src: --pause-cmd 'no-such-vmm-command' exited with status 127 \(command not found\?\): the session was aborted" "*" -- \
		migrate $to --timeout 0 --pause-cmd no-such-vmm-command
	rm -f "$tmp/log"
	run 1 "^hecactl: migrate src: --handover-cmd 'exit 1' exited with status 1: the switchover was done, so the session goes on: start the VM at the destination by other means, never here \('hecactl status src' shows the session\)$" \
		"^src: switched over$" -- migrate $to --pause-cmd true --handover-cmd 'exit 1' --resume-cmd "$(vmm RESUME)"
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
SWITCHOVER src"
	run 1 "^hecactl: migrate src: --resume-cmd 'exit 4' exited with status 4: the switchover was done, so the session goes on" "*" -- \
		migrate $to --mode precopy --pause-cmd true --resume-cmd 'exit 4'
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
SWITCHOVER src"

	# the rounds fail; the session fails
	FAKE_HECA_ROUND_ERRNO=95 run 1 "^hecactl: migrate src: pre-copy round: the session's transport has no pre-copy rounds \(EOPNOTSUPP\): pre-copy and hybrid need --transport tcp \(for now\); else use --mode postcopy$" "*" -- \
		migrate $to --pause-cmd true
	last_has err "^hecactl: migrate src: the session was aborted before the switchover; the VM runs on here$"
	log_is "$started
ROUND src failed 95
ABORT src"
	FAKE_HECA_ROUND_ERRNO=104 run 1 "^hecactl: migrate src: pre-copy round: the peer closed the connection \(ECONNRESET\)$" "*" -- \
		migrate $to --pause-cmd true
	last_has err "^hecactl: migrate src: the VM runs on here$"
	FAKE_HECA_SWITCH_ERRNO=110 run 1 "^hecactl: migrate src: the destination did not take the list of pages in time \(ETIMEDOUT\): unless the destination's session got to running" \
		"^src: pausing the VM: true$" -- migrate $to --pause-cmd true
	rm -f "$tmp/log"
	FAKE_HECA_FAIL=104 run 1 "^hecactl: migrate src: the session failed: Connection reset by peer \(ECONNRESET\): the connection to the peer was lost" "*" -- \
		migrate $to --mode precopy --pause-cmd true --resume-cmd "$(vmm RESUME)"
	last_has err "^hecactl: migrate src: the VM is paused here and did not resume at the destination: resume it here$"
	log_is "$started
ROUND src 1 1000
ROUND src 2 250
SWITCHOVER src"

	# --json: one object on stdout; the messages and the commands' output
	# go to stderr
	if command -v python3 >/dev/null; then
		"$HECACTL" migrate $to --pause-cmd 'echo paused' --json 2>"$tmp/err" | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert set(m) == {"name", "to", "transport", "mode", "timeout_s", "downtime_budget_ms",
		  "max_rounds", "end", "rounds", "round_pages", "round_list", "downtime_ns",
		  "switchover_ns", "total_ns", "timeline", "pages_sent", "bytes_tx", "bytes_rx",
		  "requests", "pages_on_demand", "qemu"}, sorted(m)
t = m["timeline"]
assert set(t) == {"paused_ns", "switched_ns", "last_pages_ns", "handed_over_ns", "running_ns"}, t
assert t["last_pages_ns"] is None, t
assert 0 <= t["paused_ns"] <= t["switched_ns"] <= t["handed_over_ns"] <= t["running_ns"], t
assert t["switched_ns"] - t["paused_ns"] == m["switchover_ns"] and t["running_ns"] == m["downtime_ns"], (t, m)
assert (m["name"], m["to"], m["transport"], m["mode"]) == ("src", "192.0.2.2:7000", "tcp", "hybrid"), m
assert m["qemu"] is None, m
assert (m["timeout_s"], m["downtime_budget_ms"], m["max_rounds"]) == (60, 300, 30), m
assert (m["end"], m["rounds"], m["round_pages"]) == ("converged", 2, 1250), m
r = m["round_list"]
assert [x["round"] for x in r] == [1, 2] and [x["pages"] for x in r] == [1000, 250], r
assert all(x["synced"] is True and x["ns"] > 0 and x["mb_per_s"] > 0 for x in r), r
assert m["downtime_ns"] > 0 and m["switchover_ns"] > 0 and m["total_ns"] >= m["downtime_ns"], m
assert (m["pages_sent"], m["requests"], m["bytes_rx"]) == (1312, 8, 376), m
assert m["bytes_tx"] == 1312 * 4096 + 8 * 40 + 64, m
assert m["pages_on_demand"] is None, m
' && grep -q "^paused$" "$tmp/err" && grep -q "^src: connected to" "$tmp/err" &&
			passed=$((passed + 1)) || fail "migrate --json (hybrid)"
		FAKE_HECA_RATE=0 "$HECACTL" migrate $to --mode precopy --timeout 1 --pause-cmd true --json 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert (m["mode"], m["end"], m["rounds"], m["round_pages"]) == ("precopy", "timeout", 1, 1000), m
assert m["round_list"] == [{"round": 1, "pages": 1000, "ns": None, "mb_per_s": None, "synced": False}], m
assert m["pages_on_demand"] == 0, m
t = m["timeline"]
assert t["switched_ns"] <= t["last_pages_ns"] <= t["handed_over_ns"] <= t["running_ns"], t
' && passed=$((passed + 1)) || fail "migrate --json (precopy, timeout)"
		"$HECACTL" migrate $to --mode postcopy --json 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert (m["mode"], m["end"], m["rounds"], m["round_list"]) == ("postcopy", "no rounds", 0, []), m
assert m["timeout_s"] is None and m["downtime_budget_ms"] is None and m["max_rounds"] is None, m
assert (m["pages_sent"], m["requests"]) == (1000, 125), m
' && passed=$((passed + 1)) || fail "migrate --json (postcopy)"
		FAKE_HECA_FAIL=104 "$HECACTL" migrate $to --mode postcopy --json >"$tmp/out" 2>/dev/null
		if [ $? -eq 1 ] && [ ! -s "$tmp/out" ]; then passed=$((passed + 1)); else fail "migrate --json: no JSON when it fails"; fi
		rm -f "$tmp/log"
	fi

	# status: text
	FAKE_HECA_STATE=complete run 0 "" "^vm1: complete \(dest, tcp\)$" -- status vm1
	last_has out "^  pages: +16384 total \(64MiB\), 8192 at the source, 8192 present \(100\.0%\), 3 zero made here$"
	last_has out "^ +1024 on demand, 7168 prefetched$"
	last_has out "^  prefetch: 1792 pages around faults, 1344 touched \(accuracy 75%, coverage 57%\)$"
	last_has out "^  traffic: +32\.0MiB received, 40\.1KiB sent, 1024 requests, 0\.50 s since the switchover$"
	last_has out "^  faults: +1025 asked for a page, 1024 nowait answers, 1 async waits$"
	last_has out "^  service: +1024 measured: min 80 us, avg 470 us, p50 ~192 us, p99 ~1\.5 ms, max 1\.5 ms$"
	last_has out "^ +64-128 us  #{15} {17}256$"
	last_has out "^ +128-256 us  #{30}  512$"
	last_has out "^ +1024-2048 us  #{15} {17}256$"
	if [ "$(grep -c ' us  #' "$tmp/out")" -eq 3 ]; then passed=$((passed + 1)); else fail "status: the histogram shows only its 3 non-empty buckets"; fi
	FAKE_HECA_STATE=failed:110 run 0 "" "^vm1: failed \(dest, tcp\): Connection timed out \(ETIMEDOUT\)$" -- status vm1
	FAKE_HECA_STATE=connected run 0 "" "^  traffic: .*, no switchover yet$" -- status vm1
	FAKE_HECA_STATE=running run 0 "" "^src: running \(source, tcp\)$" -- status src
	last_has out "^  pages: +16384 total \(64MiB\), 1000 at the source, 500 sent$"
	run 0 "" "^src: no session \(source\)$" -- status src
	run 1 "^hecactl: status vm9: no region named vm9" "" -- status vm9
	rm -f "$tmp/log"
	# status: JSON
	if command -v python3 >/dev/null; then
		FAKE_HECA_STATE=complete "$HECACTL" status vm1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["name"] == "vm1" and s["state"] == "complete" and s["role"] == "dest", s
assert s["transport"] == "tcp" and s["error"] == 0 and s["error_name"] is None, s
assert s["pages_total"] == 16384 and s["pages_remote"] == 8192, s
assert s["pages_present"] == 8192 and s["pages_on_demand"] == 1024, s
assert s["pages_prefetched"] == 7168 and s["pages_zero"] == 3, s
assert s["prefetch_pages"] == 1792 and s["prefetch_used"] == 1344, s
assert s["faults"] == 1025 and s["faults_nowait"] == 1024 and s["faults_async"] == 1, s
assert s["fault_count"] == 1024 and s["fault_ns_min"] == 80000, s
assert s["fault_ns_max"] == 1500000 and s["fault_ns_sum"] == 481280000, s
assert (s["fault_us_avg"], s["fault_us_p50"], s["fault_us_p99"]) == (470, 192, 1500), s
assert s["elapsed_ns"] == 500000000 and s["requests"] == 1024, s
h = s["fault_hist"]
assert len(h) == 24, len(h)
assert h[0] == {"lo_us": 0, "hi_us": 2, "count": 0}, h[0]
assert h[7] == {"lo_us": 128, "hi_us": 256, "count": 512}, h[7]
assert h[23] == {"lo_us": 8388608, "hi_us": None, "count": 0}, h[23]
assert sum(b["count"] for b in h) == s["fault_count"]
' && passed=$((passed + 1)) || fail "status --json of a complete session"
		FAKE_HECA_STATE=failed:110 "$HECACTL" status vm1 --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["state"] == "failed" and s["error"] == 110, s
assert s["error_name"] == "ETIMEDOUT" and s["error_message"] == "Connection timed out", s
' && passed=$((passed + 1)) || fail "status --json of a failed session"
		"$HECACTL" status src --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["state"] == "none" and s["role"] == "source" and s["transport"] is None, s
assert s["fault_us_avg"] is None and s["fault_us_p50"] is None and s["fault_us_p99"] is None, s
' && passed=$((passed + 1)) || fail "status --json without a session"
		rm -f "$tmp/log"
	fi

	# abort
	run 1 "^hecactl: abort vm1: no session on vm1 \(ENOTCONN\): see 'hecactl status vm1'$" "" -- abort vm1
	log_is "LIST count=0
LIST count=3
ABORT vm1"
	FAKE_HECA_STATE=connected run 0 "" "" -- abort vm1
	log_is "LIST count=0
LIST count=3
ABORT vm1"
	FAKE_HECA_STATE=running run 1 "^hecactl: abort vm1: the session is running: pages the destination does not have yet would be lost \(its VM gets a machine check on each\); pass --force to abort anyway$" "" -- \
		abort vm1
	log_is "LIST count=0
LIST count=3"
	FAKE_HECA_STATE=running run 0 "" "" -- abort vm1 --force
	log_is "LIST count=0
LIST count=3
ABORT vm1"

	# a signal ends the wait, not the session; or the listening, before it starts
	# wait_for_line FILE PATTERN: up to 10 s
	wait_for_line() {
		for _ in $(seq 100); do
			grep -q -- "$2" "$1" 2>/dev/null && return 0
			sleep 0.1
		done
		return 1
	}
	FAKE_HECA_STEPS=100000 FAKE_HECA_SLEEP=100 "$HECACTL" receive vm1 --listen 0.0.0.0:7000 \
		--token $tok >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_for_line "$tmp/out" "switchover:"
	sleep 0.3
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^hecactl: receive vm1: interrupted; the session goes on in the kernel: 'hecactl status vm1' shows it, 'hecactl abort vm1' ends it$" "$tmp/err"; then
		passed=$((passed + 1))
	else
		fail "receive, interrupted while waiting: exit $rc"
	fi
	FAKE_HECA_SLEEP=20000 "$HECACTL" receive vm1 --listen 0.0.0.0:7000 --token $tok >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_for_line "$tmp/out" "waiting for the source"
	sleep 0.3
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^hecactl: receive vm1: interrupted before the source connected (EINTR): no session was started$" "$tmp/err"; then
		passed=$((passed + 1))
	else
		fail "receive, interrupted while listening: exit $rc"
	fi
	FAKE_HECA_REFUSE=100000 "$HECACTL" migrate src --to 192.0.2.2:7000 --token $tok --mode postcopy \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_for_line "$tmp/out" "trying again"
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^hecactl: migrate src: interrupted before the session started (EINTR): nothing was started$" "$tmp/err" &&
	   ! grep -q SWITCHOVER "$tmp/log"; then
		passed=$((passed + 1))
	else
		fail "migrate, interrupted while connecting: exit $rc"
	fi
	rm -f "$tmp/log"
	# during the rounds: the session is aborted once the round is over, the
	# VM is not paused (round 1 takes 1 s)
	FAKE_HECA_RATE=1 "$HECACTL" migrate src --to 192.0.2.2:7000 --token $tok --downtime-ms 1 \
		--pause-cmd "$(vmm PAUSE)" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_for_line "$tmp/log" "^ROUND src 1 "
	sleep 0.3
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^hecactl: migrate src: interrupted: the session was aborted before the switchover; the VM runs on here$" "$tmp/err" &&
	   grep -q "^ABORT src$" "$tmp/log" && ! grep -Eq "^(PAUSE|SWITCHOVER)" "$tmp/log"; then
		passed=$((passed + 1))
	else
		fail "migrate, interrupted during the rounds: exit $rc: $(cat "$tmp/log")"
	fi
	rm -f "$tmp/log"
	# after the switchover: the wait ends, not the session
	FAKE_HECA_STEPS=100000 FAKE_HECA_SLEEP=100 "$HECACTL" migrate src --to 192.0.2.2:7000 --token $tok \
		--mode postcopy >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_for_line "$tmp/out" "switched over"
	sleep 0.3
	kill -INT $pid
	wait $pid
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^hecactl: migrate src: interrupted; the session goes on in the kernel: 'hecactl status src' shows it, 'hecactl abort src' ends it$" "$tmp/err" &&
	   ! grep -q "^ABORT" "$tmp/log"; then
		passed=$((passed + 1))
	else
		fail "migrate, interrupted after the switchover: exit $rc"
	fi
	rm -f "$tmp/log"

	# the progress line, on a terminal
	if command -v script >/dev/null; then
		FAKE_HECA_STEPS=3 script -qec "'$HECACTL' receive vm1 --listen 0.0.0.0:7000 --token $tok" \
			/dev/null >"$tmp/tty" 2>&1 </dev/null
		if grep -q "vm1:  33\.3% present (2730/8192 pages), 341 on demand, 2389 prefetched, [0-9.]* MB/s, 0\.25 s" "$tmp/tty" &&
		   grep -q "vm1: complete in 0\.75 s" "$tmp/tty"; then
			passed=$((passed + 1))
		else
			fail "receive on a terminal shows no progress line: $(tr '\r' '|' <"$tmp/tty" | head -c 600)"
		fi
		rm -f "$tmp/log"
		# migrate: a line per round as it ends, and in the report
		script -qec "'$HECACTL' migrate src --to 192.0.2.2:7000 --token $tok --pause-cmd true" \
			/dev/null >"$tmp/tty" 2>&1 </dev/null
		if grep -Eq "^src: round 1: 1000 pages, [0-9.]+ ms, [0-9.]+ MB/s" "$tmp/tty" &&
		   grep -Eq "^src: round 2: 250 pages, " "$tmp/tty" &&
		   grep -Eq "^  round 2: 250 pages, [0-9.]+ ms, [0-9.]+ MB/s" "$tmp/tty"; then
			passed=$((passed + 1))
		else
			fail "migrate on a terminal shows no rounds: $(tr '\r' '|' <"$tmp/tty" | head -c 600)"
		fi
		rm -f "$tmp/log"
	fi

	# --transport auto: rdma when the address is a GID of an active RDMA port
	mkdir -p "$tmp/ib/rxe0/ports/1/gids" "$tmp/ib/mlx0/ports/1/gids"
	echo "4: ACTIVE" >"$tmp/ib/rxe0/ports/1/state"
	echo "fe80:0000:0000:0000:0000:00ff:fe00:0001" >"$tmp/ib/rxe0/ports/1/gids/0"
	echo "0000:0000:0000:0000:0000:ffff:7f00:0001" >"$tmp/ib/rxe0/ports/1/gids/1"
	echo "0000:0000:0000:0000:0000:ffff:c000:0209" >"$tmp/ib/rxe0/ports/1/gids/2"
	echo "1: DOWN" >"$tmp/ib/mlx0/ports/1/state"
	echo "0000:0000:0000:0000:0000:ffff:c000:0208" >"$tmp/ib/mlx0/ports/1/gids/0"
	rm -f "$tmp/log"
	HECA_SYSFS_IB=$tmp/ib FAKE_HECA_RDMA=1 run 0 "" "^vm1: transport rdma \(auto: the address is on RDMA device rxe0\)$" -- \
		receive vm1 --listen 192.0.2.9:7000 --token $tok --no-wait
	grep -q "^START vm1 dest rdma 192.0.2.9 port 7000" "$tmp/log" && passed=$((passed + 1)) ||
		fail "receive --transport auto: not started over rdma: $(cat "$tmp/log")"
	rm -f "$tmp/log"
	HECA_SYSFS_IB=$tmp/ib run 0 "" "^vm1: transport tcp \(auto: no RDMA device has the address\)$" -- \
		receive vm1 --listen 192.0.2.8:7000 --token $tok --no-wait
	HECA_SYSFS_IB=$tmp/ib run 0 "" "^vm1: transport tcp \(auto: listening on every address; --transport rdma listens over RDMA\)$" -- \
		receive vm1 --listen 0.0.0.0:7000 --token $tok --no-wait
	grep -q "^START vm1 dest tcp 0.0.0.0 port 7000" "$tmp/log" && passed=$((passed + 1)) ||
		fail "receive --transport auto on 0.0.0.0: not tcp: $(cat "$tmp/log")"
	rm -f "$tmp/log"
	HECA_SYSFS_IB=$tmp/ib FAKE_HECA_RDMA=1 run 0 "" "^src: transport rdma \(auto: 127\.0\.0\.1 reaches 127\.0\.0\.1:7000, and it is on RDMA device rxe0\)$" -- \
		migrate src --to 127.0.0.1:7000 --token $tok --mode postcopy
	last_has out "^src: connected to 127\.0\.0\.1:7000 \(rdma\)$"
	# a destination that refuses may listen over tcp: try both in turn
	rm -f "$tmp/log"
	HECA_SYSFS_IB=$tmp/ib FAKE_HECA_RDMA=1 FAKE_HECA_REFUSE=2 run 0 "" "^src: nobody listens at 127\.0\.0\.1:7000 yet; trying again for up to 30 s, over rdma and tcp in turn$" -- \
		migrate src --to 127.0.0.1:7000 --token $tok --mode postcopy
	last_has out "^src: connected to 127\.0\.0\.1:7000 \(rdma\)$"
	if [ "$(grep '^START' "$tmp/log" | awk '{ print $4 }' | tr '\n' ' ')" = "rdma tcp rdma " ]; then
		passed=$((passed + 1))
	else
		fail "migrate --transport auto: attempts $(grep '^START' "$tmp/log" | awk '{ print $4 }' | tr '\n' ' ')"
	fi
	rm -f "$tmp/log"
	sed -i 's/7f00:0001/7f00:0002/' "$tmp/ib/rxe0/ports/1/gids/1"
	HECA_SYSFS_IB=$tmp/ib run 0 "" "^src: transport tcp \(auto: 127\.0\.0\.1 reaches 127\.0\.0\.1:7000, and no RDMA device has it\)$" -- \
		migrate src --to 127.0.0.1:7000 --token $tok --mode postcopy --transport auto
	rm -f "$tmp/log"

	# migrate --qmp / receive --qmp: tests/fake_qmp.sh answers as QEMU 7.2
	if command -v socat >/dev/null; then
		fake_qmp=$(cd "$(dirname "$0")" && pwd)/fake_qmp.sh
		qsock=$tmp/qmp.sock
		# qmp_start [VAR=VALUE...]: a fake QEMU on $qsock, its commands in $tmp/qmp.log
		qmp_start() {
			rm -f "$qsock" "$tmp/qmp.log"
			env "$@" FAKE_QMP_LOG="$tmp/qmp.log" socat "UNIX-LISTEN:$qsock,fork" "EXEC:$fake_qmp" &
			qmp_pid=$!
			for _ in $(seq 100); do [ -S "$qsock" ] && break; sleep 0.05; done
		}
		qmp_stop() { kill "$qmp_pid" 2>/dev/null; wait "$qmp_pid" 2>/dev/null; }
		qmp_cmds() { awk '{ print $1 }' "$tmp/qmp.log" 2>/dev/null | grep -v '^query-\|^qom-\|^qmp_capabilities$' | tr '\n' ' '; }
		quri="--qmp $qsock --qemu-uri tcp:192.0.2.2:4444"

		run 2 "^hecactl: migrate: --qmp needs --qemu-uri URI: where the destination QEMU listens" "" -- \
			migrate $to --qmp "$qsock"
		run 2 "^hecactl: migrate: --qmp drives QEMU: --pause-cmd is for other VMMs$" "" -- \
			migrate $to $quri --pause-cmd true
		run 2 "^hecactl: migrate: --qemu-uri is QEMU's, with --qmp SOCKET$" "" -- \
			migrate $to --qemu-uri tcp:192.0.2.2:4444 --pause-cmd true
		run 2 "^hecactl: receive: --qmp must not be empty$" "" -- \
			receive vm1 --listen 0.0.0.0:7000 --token $tok --qmp ""
		# nobody there: nothing is started
		run 1 "^hecactl: migrate src: QEMU at $qsock: cannot connect to QEMU's QMP socket $qsock: No such file or directory; nothing was started$" "*" -- \
			migrate $to $quri
		log_is "LIST count=0
LIST count=3"

		# hybrid: rounds, then QEMU's migrate, pre-switchover, heca's
		# switchover, migrate-continue, completed; QEMU's figures
		qmp_start
		run 0 "" "^src: QEMU completed: the guest runs at the destination; serving the pages it lacks$" -- \
			migrate $to $quri
		last_has out "^src: QEMU 7\.2\.0 at $qsock: guest running, x-ignore-shared and pause-before-switchover set$"
		last_has out "^src: QEMU: migrate to tcp:192\.0\.2\.2:4444, waiting for it to stop the guest \(pre-switchover\)$"
		last_has out "^src: switched over; QEMU sends the CPU and device state \(migrate-continue\)$"
		last_has out "^  QEMU: downtime 42 ms \(its own figure: guest stopped here until its state was sent\), of which heca [0-9.]+ [mu]?s"
		last_has out "^  QEMU: migration 1234 ms in all, 554\.6KiB on its own channel"
		if [ "$(qmp_cmds)" = "migrate-set-capabilities migrate migrate-continue " ] &&
		   grep -q '"x-ignore-shared","state":true' "$tmp/qmp.log" &&
		   grep -q '"pause-before-switchover","state":true' "$tmp/qmp.log" &&
		   grep -q '"uri":"tcp:192.0.2.2:4444"' "$tmp/qmp.log"; then
			passed=$((passed + 1))
		else
			fail "migrate --qmp: QMP commands: $(qmp_cmds)"
		fi
		log_is "$started
ROUND src 1 1000
ROUND src 2 250
SWITCHOVER src"
		"$HECACTL" migrate $to $quri --mode postcopy --json 2>/dev/null >"$tmp/out"
		if grep -q '"downtime_ms": 42' "$tmp/out" && grep -q '"total_ms": 1234' "$tmp/out" &&
		   grep -q '"bytes": 567890' "$tmp/out"; then
			passed=$((passed + 1))
		else
			fail "migrate --qmp --json: no QEMU figures: $(tr '\n' ' ' <"$tmp/out")"
		fi
		rm -f "$tmp/log"
		qmp_stop

		# QEMU's migration fails at the pause: rolled back, QEMU's words shown
		qmp_start FAKE_QMP_FAIL=migrate
		run 1 "^hecactl: migrate src: QEMU's migration failed: Failed to connect to '192\.0\.2\.2:4999': Connection refused; the session was aborted before the switchover; rolled back: QEMU's migration was cancelled and the guest runs on here$" "*" -- \
			migrate $to $quri
		[ "$(qmp_cmds)" = "migrate-set-capabilities migrate migrate_cancel " ] && passed=$((passed + 1)) ||
			fail "migrate --qmp, QEMU fails: QMP commands: $(qmp_cmds)"
		log_is "$started
ROUND src 1 1000
ROUND src 2 250
ABORT src"
		qmp_stop
		# heca's switchover fails with the guest stopped by QEMU: cancel
		qmp_start
		FAKE_HECA_SWITCH_ERRNO=110 run 1 "^hecactl: migrate src: the destination did not take the list of pages in time \(ETIMEDOUT\)" "*" -- \
			migrate $to $quri
		last_has err "rolled back: QEMU's migration was cancelled and the guest runs on here$"
		rm -f "$tmp/log"
		qmp_stop
		# QEMU fails after heca's switchover: the guest must not run here
		qmp_start FAKE_QMP_FAIL=continue
		run 1 "^hecactl: migrate src: QEMU's migration failed: Unable to write to socket: Broken pipe, after heca's switchover: the guest's memory is at the destination, so do not run the guest here \(hecactl stopped it: it is paused\)" "*" -- \
			migrate $to $quri
		[ "$(qmp_cmds)" = "migrate-set-capabilities migrate migrate-continue stop " ] && passed=$((passed + 1)) ||
			fail "migrate --qmp, QEMU fails after the switchover: QMP commands: $(qmp_cmds)"
		rm -f "$tmp/log"
		qmp_stop
		# QEMU refuses, or is not set up for heca: nothing is started
		qmp_start FAKE_QMP_FAIL=caps
		run 1 "^hecactl: migrate src: QEMU at $qsock: migrate-set-capabilities: QEMU: GenericError: Capability x-ignore-shared is not supported; nothing was started$" "*" -- \
			migrate $to $quri
		qmp_stop
		qmp_start FAKE_QMP_MEMPATH=/dev/shm/ram
		run 1 "^hecactl: migrate src: QEMU at $qsock: QEMU's RAM is not on /dev/heca/src: no memory-backend-file with that mem-path \(it has /dev/shm/ram\)" "*" -- \
			migrate $to $quri
		qmp_stop
		qmp_start FAKE_QMP_SHARE=false
		run 1 "^hecactl: migrate src: QEMU at $qsock: QEMU maps /dev/heca/src with share=off" "*" -- \
			migrate $to $quri
		qmp_stop
		qmp_start FAKE_QMP_RUNSTATE=inmigrate
		run 1 "this QEMU waits for an incoming migration \(-incoming\): it is a destination" "*" -- \
			migrate $to $quri
		qmp_stop
		rm -f "$tmp/log"

		# receive --qmp: x-ignore-shared only, at a QEMU started with -incoming
		qmp_start FAKE_QMP_RUNSTATE=inmigrate FAKE_QMP_REGION=vm1
		run 0 "" "^vm1: QEMU 7\.2\.0 waits for the migration; x-ignore-shared set$" -- \
			receive vm1 --listen 0.0.0.0:7000 --token $tok --qmp "$qsock" --no-wait
		if grep -q '"x-ignore-shared","state":true' "$tmp/qmp.log" &&
		   ! grep -q 'pause-before-switchover' "$tmp/qmp.log"; then
			passed=$((passed + 1))
		else
			fail "receive --qmp: capabilities: $(cat "$tmp/qmp.log")"
		fi
		qmp_stop
		qmp_start FAKE_QMP_RUNSTATE=running FAKE_QMP_REGION=vm1
		run 1 "^hecactl: receive vm1: QEMU at $qsock: QEMU is running, not waiting for an incoming migration: start it with -incoming tcp:ADDR:PORT; no session was started$" "*" -- \
			receive vm1 --listen 0.0.0.0:7000 --token $tok --qmp "$qsock" --no-wait
		qmp_stop
		rm -f "$tmp/log"
	else
		echo "SKIP: migrate --qmp tests: no socat (apt-get install socat)"
	fi
	export HECA_CONTROL=/dev/null

	# version
	run 0 "" "^heca.ko: ABI 1, at most 64 regions of at most 1TiB, page size 4KiB$" -- version
	FAKE_HECA_ABI=2 run 1 "^hecactl: heca.ko speaks ABI 2 but hecactl speaks ABI 1" "^heca.ko: ABI 2," -- version
	FAKE_HECA_VERSION_ERRNO=1 run 1 "^hecactl: version: permission denied \(EPERM\)" "^hecactl " -- version
	unset LD_PRELOAD FAKE_HECA_REGIONS
fi

echo "hecactl command-line tests"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
