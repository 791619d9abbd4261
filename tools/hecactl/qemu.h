/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: QEMU as the VMM of a migration, over QMP (--qmp of "migrate" and
 * "receive").  heca carries the guest's RAM (QEMU's x-ignore-shared leaves
 * a shared file-backed RAM block out of its own stream); QEMU carries CPU
 * and device state over its own migration channel (--qemu-uri).
 *
 * Source: hc_qemu_source_prepare() checks QEMU and sets the capabilities
 * x-ignore-shared and pause-before-switchover.  When heca decides to pause,
 * hc_qemu_pause() starts QEMU's "migrate" and waits for its pre-switchover
 * state (the guest stopped); heca switches over; hc_qemu_continue() runs
 * "migrate-continue" and waits until QEMU says completed, when the guest
 * starts at the destination.  Before the continue, hc_qemu_cancel() rolls
 * back: "migrate_cancel", and the guest runs on at the source.
 *
 * Destination: hc_qemu_dest_prepare() waits for the QEMU started with
 * -incoming and sets x-ignore-shared there (it must match the source's).
 */
#ifndef HECACTL_QEMU_H
#define HECACTL_QEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "qmp.h"

/* How long QEMU may take to reach pre-switchover, and then completed. */
#define HC_QEMU_STATE_TIMEOUT_MS	(120 * 1000)

struct hc_qemu {
	struct hc_qmp qmp;
	const char *sock;		/* --qmp */
	const char *uri;		/* --qemu-uri (source only) */
	bool was_running;		/* the guest ran when we started (source) */
	bool migrating;			/* "migrate" sent, not completed or cancelled */
	bool continued;			/* "migrate-continue" sent */
	/* QEMU's own figures once completed (query-migrate), -1: unknown */
	int64_t downtime_ms, total_ms;
	uint64_t transferred;		/* bytes on QEMU's channel */
	uint64_t paused_ns;		/* pre-switchover seen, CLOCK_MONOTONIC */
	uint64_t heca_ns;		/* from then to migrate-continue */
	char status[32];		/* the last migration status seen */
	char err[512];			/* what went wrong, for the message */
};

/*
 * Connect to @qe->sock (waiting up to @wait_ms for it to appear), check that
 * the guest's RAM is a shared memory-backend-file on /dev/heca/@region and
 * that no migration runs, set the capabilities.  Returns 0 or -1 (@qe->err).
 */
int hc_qemu_source_prepare(struct hc_qemu *qe, const char *region,
			   unsigned int wait_ms);
int hc_qemu_dest_prepare(struct hc_qemu *qe, const char *region,
			 unsigned int wait_ms);

/* See the top of the file.  Each returns 0 or -1 (@qe->err). */
int hc_qemu_pause(struct hc_qemu *qe);
int hc_qemu_continue(struct hc_qemu *qe);
int hc_qemu_cancel(struct hc_qemu *qe);

/*
 * Destination: wait until QEMU has left "inmigrate" (it loaded the state
 * the source's QEMU sent), its run state then in @state.  Returns 0 or -1.
 */
int hc_qemu_wait_resumed(struct hc_qemu *qe, char *state, size_t len);

/* QEMU's run state ("running", "inmigrate", ...) into @buf, or -1. */
int hc_qemu_run_state(struct hc_qemu *qe, char *buf, size_t len);

void hc_qemu_close(struct hc_qemu *qe);

#endif /* HECACTL_QEMU_H */
