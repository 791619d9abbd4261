#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A stand-in for QEMU's QMP, for the command-line tests of "migrate --qmp"
# and "receive --qmp": run by socat on each connection
# (socat UNIX-LISTEN:SOCK,fork EXEC:fake_qmp.sh), answers one command per
# line as QEMU 7.2 does, and logs each command to $FAKE_QMP_LOG.
#
# FAKE_QMP_RUNSTATE   query-status before a migration (default running)
# FAKE_QMP_MEMPATH    mem-path of the one memory-backend-file
#                     (default /dev/heca/$FAKE_QMP_REGION)
# FAKE_QMP_SHARE      its share property (default true)
# FAKE_QMP_FAIL       migrate: its migration fails ("Failed to connect...")
#                     continue: it fails after migrate-continue
#                     caps: migrate-set-capabilities is refused
set -u
log=${FAKE_QMP_LOG:-/dev/null}
state=${FAKE_QMP_RUNSTATE:-running}
mempath=${FAKE_QMP_MEMPATH:-/dev/heca/${FAKE_QMP_REGION:-src}}
mig=none polls=0

say() { printf '%s\r\n' "$1"; }
ret() { say "{\"return\": $1}"; }
err() { say "{\"error\": {\"class\": \"GenericError\", \"desc\": \"$1\"}}"; }

say '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": ["oob"]}}'
while IFS= read -r line; do
	cmd=$(sed -n 's/.*"execute": *"\([a-z_-]*\)".*/\1/p' <<<"$line")
	echo "$cmd $line" >>"$log"
	case $cmd in
	qmp_capabilities) ret '{}' ;;
	query-status) ret "{\"status\": \"$state\", \"singlestep\": false, \"running\": $([ "$state" = running ] && echo true || echo false)}" ;;
	qom-list) ret '[{"name": "type", "type": "string"}, {"name": "ram0", "type": "child<memory-backend-file>"}, {"name": "pc.ram", "type": "child<memory-backend-ram>"}]' ;;
	qom-get)
		case $line in
		*mem-path*) ret "\"$mempath\"" ;;
		*share*) ret "${FAKE_QMP_SHARE:-true}" ;;
		*) err "Property not found" ;;
		esac ;;
	migrate-set-capabilities)
		if [ "${FAKE_QMP_FAIL:-}" = caps ]; then
			err "Capability x-ignore-shared is not supported"
		else
			ret '{}'
		fi ;;
	migrate) mig=setup polls=0; ret '{}' ;;
	query-migrate)
		polls=$((polls + 1))
		case $mig in
		none) ret '{}' ;;
		setup)
			if [ "${FAKE_QMP_FAIL:-}" = migrate ]; then
				mig=failed
			elif [ $polls -ge 3 ]; then
				mig=pre-switchover state=finish-migrate
			fi
			ret "{\"status\": \"$([ $mig = setup ] && echo active || echo $mig)\"$([ $mig = failed ] && echo ', "error-desc": "Failed to connect to '"'"'192.0.2.2:4999'"'"': Connection refused"')}" ;;
		pre-switchover) ret '{"status": "pre-switchover"}' ;;
		device)
			if [ "${FAKE_QMP_FAIL:-}" = continue ]; then
				mig=failed2 state=running
				ret '{"status": "failed", "error-desc": "Unable to write to socket: Broken pipe"}'
			else
				mig=completed state=postmigrate
				ret '{"status": "completed", "setup-time": 1, "downtime": 42, "total-time": 1234, "ram": {"transferred": 567890}}'
			fi ;;
		completed) ret '{"status": "completed", "setup-time": 1, "downtime": 42, "total-time": 1234, "ram": {"transferred": 567890}}' ;;
		failed2) ret '{"status": "failed", "error-desc": "Unable to write to socket: Broken pipe"}' ;;
		*) ret "{\"status\": \"$mig\"}" ;;
		esac ;;
	migrate-continue)
		if [ $mig = pre-switchover ]; then
			mig=device
			ret '{}'
		else
			err "Migration not in expected state: $mig"
		fi ;;
	migrate_cancel)
		[ $mig = none ] || mig=cancelled
		state=running
		ret '{}' ;;
	stop) state=paused; ret '{}' ;;
	*) say "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command $cmd has not been found\"}}" ;;
	esac
done
