/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: what receive, migrate, status and abort share: finding and
 * opening the region, the token options, the session ioctls and their
 * errors, and waiting for a state with a progress line.
 */
#ifndef HECACTL_SESSION_H
#define HECACTL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/heca.h>

#include "control.h"

/* One command working on one region's session. */
struct hc_session {
	const char *path;	/* the command as typed: "receive" */
	const char *name;	/* the region */
	char what[96];		/* "receive vm1", the prefix of messages */
	int ctl;		/* the control device, or -1 */
	int fd;			/* the region's node, or -1 */
	struct heca_region_info info;
};

/* Default and largest --timeout (seconds): the module's own. */
#define HC_TIMEOUT_DEFAULT_S	30
#define HC_TIMEOUT_MAX_S	3600
/* Largest --fault-timeout (milliseconds). */
#define HC_FAULT_TIMEOUT_MAX_MS	(3600 * 1000)

/*
 * The token of --token HEX or --token-file PATH (exactly one of @hex,
 * @file).  Returns 0, or an exit code after printing why (2 for a bad
 * command line or a file without a valid token, 1 for an unreadable file).
 */
int hc_token_arg(const char *path, const char *hex, const char *file,
		 uint8_t out[HECA_TOKEN_BYTES]);

/*
 * Start @s for the region @name: open the control device and look the
 * region up; *@found says whether it exists (when @found is NULL a missing
 * region is an error).  Returns 0 or an exit code (printed).
 */
int hc_session_init(struct hc_session *s, const char *path, const char *name,
		    bool *found);
/*
 * Open the region's node into s->fd with @flags (O_RDWR to start, switch
 * or abort a session; O_RDONLY is enough to wait and read statistics).
 * Returns 0 or an exit code (printed).
 */
int hc_session_open(struct hc_session *s, int flags);
void hc_session_close(struct hc_session *s);

/* HECA_IOC_STATS into *@st.  Returns 0 or -1 with errno set. */
int hc_session_stats(const struct hc_session *s, struct heca_stats *st);

/*
 * Report @err of a session ioctl: looked up in @map (may be NULL), then
 * in the session errors (EBUSY, ENOTCONN, ...), then as hc_report() does.
 * Returns HC_EXIT_FAIL.
 */
int hc_session_report(const struct hc_session *s, int err,
		      const struct hc_errmap *map);

/*
 * SIGINT, SIGTERM and SIGHUP interrupt the blocking session ioctls (once:
 * a second signal has its default effect); hc_interrupted() says whether
 * one came.
 */
void hc_catch_signals(void);
bool hc_interrupted(void);

/*
 * Wait for the session to reach @want (HECA_STATE_RUNNING or _COMPLETE)
 * with HECA_IOC_WAIT in slices of a second, showing a progress line on
 * standard error when it is a terminal.  *@st gets the last statistics.
 * Returns 0 once reached, else an exit code after printing why: the
 * session failed (its error), or a signal came (the session goes on).
 */
int hc_session_wait(const struct hc_session *s, uint32_t want,
		    struct heca_stats *st);

/*
 * "the session failed: <error> (<ENAME>): <why>" for a session that ended
 * with the positive errno @error.  Returns HC_EXIT_FAIL.
 */
int hc_session_report_failed(const struct hc_session *s, uint32_t error);
/*
 * A signal ended a wait after the switchover: the session goes on in the
 * kernel; say so, and how to see and end it.  Returns HC_EXIT_FAIL.
 */
int hc_session_report_interrupted(const struct hc_session *s);

/* printf to stdout and flush, for lines that say how far we got. */
void hc_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HECACTL_SESSION_H */
