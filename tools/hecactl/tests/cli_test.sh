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

# the module is not loaded: exit 1 with the reason; version still works
run 1 "$missing" "" -- region list
run 1 "$missing" "" -- region list --json
run 1 "$missing" "" -- region create vm1 --size 64M
run 1 "$missing" "" -- region create vm1 --size 1GiB
run 2 "invalid region name '-vm': a name must not start with '-'" "" -- region create --size 64M -- -vm
run 1 "$missing" "" -- region destroy vm1
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

	export FAKE_HECA_REGIONS="vm1:$mib64:0:0,vm2:2147483648:1536:2"
	run 1 "^hecactl: region create vm1: a region with that name already exists \(EEXIST\)$" "" -- \
		region create vm1 --size 64M
	run 1 "^hecactl: region destroy vm3: no region with that name \(ENOENT\): see 'hecactl region list'$" "" -- \
		region destroy vm3
	run 1 "^hecactl: region destroy vm2: region is in use \(EBUSY\): close every mapping first" "" -- \
		region destroy vm2
	rm -f "$tmp/log"

	# list: the count-in/count-out protocol and both outputs
	run 0 "" "^NAME +SIZE +RESIDENT +USERS$" -- region list
	log_is "LIST count=0
LIST count=2"
	run 0 "" "^vm1 +64MiB +0B +0$" -- region list
	run 0 "" "^vm2 +2GiB +6MiB +2$" -- region list
	run 0 "" '"name": "vm2"' -- region list --json
	run 0 "" '"size_bytes": 2147483648,' -- region list --json
	run 0 "" '"resident_pages": 1536,' -- region list --json
	run 0 "" '"resident_bytes": 6291456,' -- region list --json
	run 0 "" '"users": 2' -- region list --json
	rm -f "$tmp/log"
	if command -v python3 >/dev/null; then
		"$HECACTL" region list --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["name"] for x in r] == ["vm1", "vm2"], r
assert r[0] == {"name": "vm1", "size_bytes": 67108864, "resident_pages": 0,
		"resident_bytes": 0, "users": 0}, r[0]
' && passed=$((passed + 1)) || fail "region list --json is not the expected JSON"
		FAKE_HECA_REGIONS= "$HECACTL" region list --json |
			python3 -c 'import json, sys; assert json.load(sys.stdin) == []' &&
			passed=$((passed + 1)) || fail "region list --json: no regions is not []"
		rm -f "$tmp/log"
	fi
	FAKE_HECA_GROW=3 run 0 "" "^new4 +4KiB +0B +0$" -- region list
	log_is "LIST count=0
LIST count=2
LIST count=5"
	FAKE_HECA_REGIONS= run 0 "" "^NAME +SIZE +RESIDENT +USERS$" -- region list
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

	# version
	run 0 "" "^heca.ko: ABI 1, at most 64 regions of at most 1TiB, page size 4KiB$" -- version
	FAKE_HECA_ABI=2 run 1 "^hecactl: heca.ko speaks ABI 2 but hecactl speaks ABI 1" "^heca.ko: ABI 2," -- version
	FAKE_HECA_VERSION_ERRNO=1 run 1 "^hecactl: version: permission denied \(EPERM\)" "^hecactl " -- version
	unset LD_PRELOAD FAKE_HECA_REGIONS
fi

echo "hecactl command-line tests"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
