// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: QEMU as the VMM, over QMP (see qemu.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qemu.h"

#define HC_HECA_DEV_DIR		"/dev/heca/"
/* Between two query-migrate: a guest stopped waits at most this more. */
#define QEMU_POLL_NS		(2 * 1000 * 1000)

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmd(struct hc_qemu *qe, const char *name, struct json_object *args,
	       struct json_object **ret)
{
	char why[sizeof(qe->err) - 64];

	if (!hc_qmp_cmd(&qe->qmp, name, args, ret, why, sizeof(why)))
		return 0;
	snprintf(qe->err, sizeof(qe->err), "%s: %s", name, why);
	return -1;
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

int hc_qemu_run_state(struct hc_qemu *qe, char *buf, size_t len)
{
	struct json_object *r;
	const char *st;

	if (cmd(qe, "query-status", NULL, &r))
		return -1;
	st = hc_json_str(r, "status");
	snprintf(buf, len, "%s", st ? st : "unknown");
	json_object_put(r);
	return 0;
}

/* query-migrate: its status into qe->status ("none" before any), figures. */
static int mig_status(struct hc_qemu *qe)
{
	struct json_object *r, *ram;
	const char *st;

	if (cmd(qe, "query-migrate", NULL, &r))
		return -1;
	st = hc_json_str(r, "status");
	snprintf(qe->status, sizeof(qe->status), "%s", st ? st : "none");
	if (!strcmp(qe->status, "completed")) {
		qe->downtime_ms = get_int(r, "downtime");
		qe->total_ms = get_int(r, "total-time");
		if (json_object_object_get_ex(r, "ram", &ram) && get_int(ram, "transferred") >= 0)
			qe->transferred = (uint64_t)get_int(ram, "transferred");
	}
	if (!strcmp(qe->status, "failed")) {
		const char *desc = hc_json_str(r, "error-desc");

		snprintf(qe->err, sizeof(qe->err), "QEMU's migration failed: %s",
			 desc ? desc : "(QEMU gave no reason)");
	}
	json_object_put(r);
	return 0;
}

static bool mig_is(const struct hc_qemu *qe, const char *st)
{
	return !strcmp(qe->status, st);
}

/*
 * Poll query-migrate until its status is @want.  A failed or cancelled
 * migration, or none, stops the wait.  Returns 0 or -1 (qe->err).
 */
static int wait_status(struct hc_qemu *qe, const char *want)
{
	uint64_t deadline = mono_ns() + (uint64_t)HC_QEMU_STATE_TIMEOUT_MS * 1000000u;
	struct timespec t = { .tv_nsec = QEMU_POLL_NS };

	for (;;) {
		if (mig_status(qe))
			return -1;
		if (mig_is(qe, want))
			return 0;
		if (mig_is(qe, "failed"))
			return -1;
		if (mig_is(qe, "cancelled") || mig_is(qe, "none")) {
			snprintf(qe->err, sizeof(qe->err),
				 "QEMU's migration is %s, not %s (was it cancelled by someone else?)",
				 qe->status, want);
			return -1;
		}
		if (mono_ns() > deadline) {
			snprintf(qe->err, sizeof(qe->err),
				 "QEMU's migration did not reach %s within %u s (it is %s)",
				 want, HC_QEMU_STATE_TIMEOUT_MS / 1000, qe->status);
			return -1;
		}
		nanosleep(&t, NULL);
	}
}

static int set_caps(struct hc_qemu *qe, bool pause_before_switchover)
{
	static const char *const names[] = { "x-ignore-shared", "pause-before-switchover" };
	struct json_object *args = json_object_new_object(), *arr = json_object_new_array();

	if (!args || !arr) {
		json_object_put(args);
		json_object_put(arr);
		snprintf(qe->err, sizeof(qe->err), "out of memory");
		return -1;
	}
	for (int i = 0; i < (pause_before_switchover ? 2 : 1); i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "capability", json_object_new_string(names[i]));
		json_object_object_add(c, "state", json_object_new_boolean(1));
		json_object_array_add(arr, c);
	}
	json_object_object_add(args, "capabilities", arr);
	return cmd(qe, "migrate-set-capabilities", args, NULL);
}

/* qom-get @prop of the object at @path. */
static struct json_object *qom_get(struct hc_qemu *qe, const char *path, const char *prop)
{
	struct json_object *args = json_object_new_object(), *r;

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property", json_object_new_string(prop));
	return cmd(qe, "qom-get", args, &r) ? NULL : r;
}

/*
 * Is one of QEMU's memory-backend-file objects /dev/heca/@region, shared?
 * Anything else means QEMU's RAM is not heca's to carry.
 */
static int check_backend(struct hc_qemu *qe, const char *region)
{
	char want[128], seen[256] = "", path[160];
	struct json_object *args = json_object_new_object(), *list;
	bool found = false, shared = false;
	size_t n;

	snprintf(want, sizeof(want), HC_HECA_DEV_DIR "%s", region);
	json_object_object_add(args, "path", json_object_new_string("/objects"));
	if (cmd(qe, "qom-list", args, &list))
		return -1;
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < n && !found; i++) {
		struct json_object *o = json_object_array_get_idx(list, i), *mp, *sh;
		const char *type = hc_json_str(o, "type"), *name = hc_json_str(o, "name");

		if (!type || !name || strcmp(type, "child<memory-backend-file>"))
			continue;
		snprintf(path, sizeof(path), "/objects/%s", name);
		mp = qom_get(qe, path, "mem-path");
		if (!mp) {
			json_object_put(list);
			return -1;
		}
		if (json_object_is_type(mp, json_type_string) &&
		    !strcmp(json_object_get_string(mp), want)) {
			found = true;
			sh = qom_get(qe, path, "share");
			shared = sh && json_object_get_boolean(sh);
			json_object_put(sh);
		} else if (strlen(seen) + 40 < sizeof(seen)) {
			snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s",
				 *seen ? ", " : "", json_object_get_string(mp));
		}
		json_object_put(mp);
	}
	json_object_put(list);
	if (!found) {
		snprintf(qe->err, sizeof(qe->err),
			 "QEMU's RAM is not on %s: no memory-backend-file with that mem-path%s%s%s (start QEMU with -object memory-backend-file,id=ram0,size=SIZE,mem-path=%s,share=on -machine memory-backend=ram0)",
			 want, *seen ? " (it has " : "", seen, *seen ? ")" : "", want);
		return -1;
	}
	if (!shared) {
		snprintf(qe->err, sizeof(qe->err),
			 "QEMU maps %s with share=off: its RAM is a private copy that heca cannot see; use share=on",
			 want);
		return -1;
	}
	return 0;
}

static int open_qmp(struct hc_qemu *qe, unsigned int wait_ms)
{
	char why[sizeof(qe->err) - 64];

	qe->downtime_ms = qe->total_ms = -1;
	snprintf(qe->status, sizeof(qe->status), "none");
	if (!hc_qmp_open(&qe->qmp, qe->sock, wait_ms, why, sizeof(why)))
		return 0;
	snprintf(qe->err, sizeof(qe->err), "%s", why);
	return -1;
}

int hc_qemu_source_prepare(struct hc_qemu *qe, const char *region,
			   unsigned int wait_ms)
{
	char state[32];

	if (open_qmp(qe, wait_ms))
		return -1;
	if (hc_qemu_run_state(qe, state, sizeof(state)) || check_backend(qe, region) ||
	    mig_status(qe))
		return -1;
	if (!strcmp(state, "inmigrate")) {
		snprintf(qe->err, sizeof(qe->err),
			 "this QEMU waits for an incoming migration (-incoming): it is a destination; 'hecactl receive --qmp' drives that one");
		return -1;
	}
	if (!mig_is(qe, "none") && !mig_is(qe, "completed") && !mig_is(qe, "failed") &&
	    !mig_is(qe, "cancelled")) {
		snprintf(qe->err, sizeof(qe->err),
			 "QEMU runs a migration already (status %s): cancel it first (migrate_cancel)",
			 qe->status);
		return -1;
	}
	qe->was_running = !strcmp(state, "running");
	return set_caps(qe, true);
}

int hc_qemu_dest_prepare(struct hc_qemu *qe, const char *region,
			 unsigned int wait_ms)
{
	char state[32];

	if (open_qmp(qe, wait_ms))
		return -1;
	if (hc_qemu_run_state(qe, state, sizeof(state)))
		return -1;
	if (strcmp(state, "inmigrate")) {
		snprintf(qe->err, sizeof(qe->err),
			 "QEMU is %s, not waiting for an incoming migration: start it with -incoming tcp:ADDR:PORT",
			 state);
		return -1;
	}
	if (check_backend(qe, region))
		return -1;
	return set_caps(qe, false);
}

int hc_qemu_pause(struct hc_qemu *qe)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "uri", json_object_new_string(qe->uri));
	if (cmd(qe, "migrate", args, NULL))
		return -1;
	qe->migrating = true;
	if (wait_status(qe, "pre-switchover"))
		return -1;
	qe->paused_ns = mono_ns();
	return 0;
}

int hc_qemu_continue(struct hc_qemu *qe)
{
	struct json_object *args = json_object_new_object();
	struct timespec t = { .tv_nsec = QEMU_POLL_NS };

	qe->heca_ns = mono_ns() - qe->paused_ns;
	json_object_object_add(args, "state", json_object_new_string("pre-switchover"));
	if (cmd(qe, "migrate-continue", args, NULL))
		return -1;
	qe->continued = true;
	if (wait_status(qe, "completed"))
		return -1;
	qe->migrating = false;
	/* QEMU says completed a moment before it has its figures. */
	for (int i = 0; i < 500 && qe->total_ms <= 0; i++) {
		nanosleep(&t, NULL);
		if (mig_status(qe))
			return -1;
	}
	return 0;
}

int hc_qemu_wait_resumed(struct hc_qemu *qe, char *state, size_t len)
{
	uint64_t deadline = mono_ns() + (uint64_t)HC_QEMU_STATE_TIMEOUT_MS * 1000000u;
	struct timespec t = { .tv_nsec = QEMU_POLL_NS };

	for (;;) {
		if (hc_qemu_run_state(qe, state, len))
			return -1;
		if (strcmp(state, "inmigrate"))
			return 0;
		if (mono_ns() > deadline) {
			snprintf(qe->err, sizeof(qe->err),
				 "QEMU still waits for the migration %u s after heca's switchover: did the source's QEMU send its state? (see its migration status)",
				 HC_QEMU_STATE_TIMEOUT_MS / 1000);
			return -1;
		}
		nanosleep(&t, NULL);
	}
}

int hc_qemu_cancel(struct hc_qemu *qe)
{
	uint64_t deadline = mono_ns() + (uint64_t)HC_QEMU_STATE_TIMEOUT_MS * 1000000u;
	struct timespec t = { .tv_nsec = 10 * 1000 * 1000 };
	char state[32];

	if (cmd(qe, "migrate_cancel", NULL, NULL))
		return -1;
	/* QEMU restarts the guest once the migration thread has ended. */
	for (;;) {
		if (mig_status(qe) || hc_qemu_run_state(qe, state, sizeof(state)))
			return -1;
		if ((mig_is(qe, "cancelled") || mig_is(qe, "failed")) &&
		    strcmp(state, "finish-migrate"))
			break;
		if (mono_ns() > deadline) {
			snprintf(qe->err, sizeof(qe->err),
				 "QEMU's migration is still %s %u s after migrate_cancel",
				 qe->status, HC_QEMU_STATE_TIMEOUT_MS / 1000);
			return -1;
		}
		nanosleep(&t, NULL);
	}
	qe->migrating = false;
	if (qe->was_running && strcmp(state, "running")) {
		snprintf(qe->err, sizeof(qe->err),
			 "QEMU cancelled its migration but the guest is %s, not running", state);
		return -1;
	}
	return 0;
}

void hc_qemu_close(struct hc_qemu *qe)
{
	hc_qmp_close(&qe->qmp);
}
