/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the destination role: page state, faults, the puller.
 */
#ifndef _HECA_DEST_H
#define _HECA_DEST_H

#include <linux/kfifo.h>
#include <linux/mm_types.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "heca.h"
#include "transport.h"

struct heca_session;

struct heca_urgent {
	pgoff_t idx;
	u64 t_fault;
};

/**
 * struct heca_dest - page state of a destination region
 * @lock:	guards every field below
 * @present:	pages that hold their final data (in region->pages)
 * @want:	pages the source has that are neither present nor being fetched
 * @remote:	pages the source has; the others are zero, never sent
 * @redo:	pages invalidated while being fetched: fetch them again
 * @ready:	the switchover was received: @remote is final
 * @switch_ack:	SWITCH was taken: the puller owes the source SWITCHED
 * @urgent:	pages faults wait for, for the puller to fetch first
 * @cursor:	where the background pull goes on
 * @round:	the last pre-copy round received
 * @synced:	the last round reported to the source as held entirely
 * @nr_remote:	bits in @remote
 * @nr_want:	bits in @want
 * @nr_fetched:	pages of @remote now present
 * @inflight:	fetches outstanding
 * @inflight_urgent: of those, the ones a fault asked for
 * @last_progress: jiffies of the last completed fetch (stall detection)
 * @timeout:	how long a fault waits, in jiffies (0: the default); set
 *		by the session, read without the lock
 * @page_wq:	faults waiting for a page; woken on every completion and
 *		on failure
 * @pull_wq:	the puller waiting for work
 */
struct heca_dest {
	spinlock_t lock;	/* guards every field below */
	unsigned long *present;
	unsigned long *want;
	unsigned long *remote;
	unsigned long *redo;
	bool ready;
	bool switch_ack;
	DECLARE_KFIFO(urgent, struct heca_urgent, 64);
	pgoff_t cursor;
	u32 round;
	u32 synced;
	unsigned long nr_remote;
	unsigned long nr_want;
	unsigned long nr_fetched;
	unsigned int inflight;
	unsigned int inflight_urgent;
	unsigned long last_progress;
	unsigned long timeout;
	wait_queue_head_t page_wq;
	wait_queue_head_t pull_wq;
};

enum heca_page_kind {
	HECA_PAGE_MAP,		/* present: map it */
	HECA_PAGE_ZERO,		/* the source has none: a local zero page */
	HECA_PAGE_WAIT,		/* absent: wait for it */
	HECA_PAGE_FAIL,		/* the session failed: SIGBUS */
};

/* dest.c: page state */
int heca_dest_alloc(struct heca_region *r);
void heca_dest_free(struct heca_region *r);
int heca_dest_prepare(struct heca_region *r);
int heca_dest_recv(struct heca_session *s, u16 type, const void *payload,
		   size_t len);
void heca_dest_fill_stats(struct heca_region *r, struct heca_stats *st);
unsigned long heca_dest_timeout(struct heca_dest *d);
enum heca_page_kind heca_dest_classify(struct heca_region *r, pgoff_t idx,
				       bool queue, bool *queued);
bool heca_dest_settled(struct heca_region *r, pgoff_t idx);
void heca_dest_wake(struct heca_region *r);
void heca_fetch_done(struct heca_fetch *f, int err);

/* dest_fault.c */
extern const struct vm_operations_struct heca_dest_vm_ops;

/* dest_pull.c */
int heca_puller_start(struct heca_session *s);
void heca_puller_stop(struct heca_session *s);

#endif /* _HECA_DEST_H */
