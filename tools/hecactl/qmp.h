/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: a QMP client (QEMU's machine protocol), enough to drive a
 * migration: connect to QEMU's QMP UNIX socket, negotiate capabilities, run
 * a command and take its answer.  JSON is json-c's.  Events that arrive
 * meanwhile are skipped (hecactl polls query-migrate instead).
 */
#ifndef HECACTL_QMP_H
#define HECACTL_QMP_H

#include <stddef.h>

#include <json.h>

/* The longest a command may take before QEMU answers. */
#define HC_QMP_CMD_TIMEOUT_MS	30000

struct hc_qmp {
	int fd;				/* -1: not connected */
	struct json_tokener *tok;
	char buf[4096];			/* read, not parsed yet */
	size_t len, off;
	char version[32];		/* QEMU's, from the greeting */
};

/*
 * Connect to the QMP socket at @path (trying again for up to @wait_ms while
 * it does not exist yet or nobody listens), read the greeting and leave
 * capabilities negotiation mode.  Returns 0, or -1 with what went wrong
 * in @err.
 */
int hc_qmp_open(struct hc_qmp *q, const char *path, unsigned int wait_ms,
		char *err, size_t errlen);

void hc_qmp_close(struct hc_qmp *q);

/*
 * Run @cmd with @args (a JSON object, or NULL; always consumed) and take
 * its "return" in *@ret (a reference the caller puts; NULL if @ret is
 * NULL).  Returns 0, or -1 with the reason in @err: QEMU's own error as
 * "<class>: <desc>" verbatim, or a broken/timed-out connection.
 */
int hc_qmp_cmd(struct hc_qmp *q, const char *cmd, struct json_object *args,
	       struct json_object **ret, char *err, size_t errlen);

/* A string member of @o, or NULL. */
const char *hc_json_str(struct json_object *o, const char *key);

#endif /* HECACTL_QMP_H */
