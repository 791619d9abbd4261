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

/* Pages [@first, @first + @count) to prefetch, those still wanted. */
struct heca_hint {
	pgoff_t first;
	unsigned int count;
};

#define HECA_PF_HIST	8

/**
 * struct heca_prefetch - the trend of a destination's faults
 * (dest_prefetch.c); guarded by the lock of its struct heca_dest
 * @hist:	the last faulting pages, a ring
 * @head:	the next slot of @hist
 * @nhist:	entries in @hist
 * @window:	pages planned per step along the trend
 * @issued:	pages prefetched since the window was last judged
 * @touched:	prefetched pages a fault found since then
 * @stride:	the trend planned along, 0: none
 * @next:	the next page along it not planned yet (ULONG_MAX: none)
 */
struct heca_prefetch {
	pgoff_t hist[HECA_PF_HIST];
	unsigned int head;
	unsigned int nhist;
	unsigned int window;
	unsigned int issued;
	unsigned int touched;
	long stride;
	pgoff_t next;
};

/**
 * struct heca_dest - page state of a destination region
 * @lock:	guards every field below
 * @present:	pages that hold their final data (in region->pages)
 * @want:	pages the source has that are neither present nor being fetched;
 *		also searched without the lock, for a hint
 * @remote:	pages the source has; the others are zero, never sent
 * @redo:	pages invalidated while being fetched: fetch them again
 * @prefetched:	pages read by a prefetch that no fault has found yet
 * @ready:	the switchover was received: @remote is final
 * @switch_ack:	SWITCH was taken: the puller owes the source SWITCHED
 * @urgent:	pages faults wait for, for the puller to fetch first
 * @hints:	pages to prefetch, planned by faults (dest_prefetch.c)
 * @pf:		the trend of the faults
 * @cursor:	where the background pull goes on; also read without the
 *		lock, as a hint (heca_dest_pull_hint())
 * @round:	the last pre-copy round received
 * @synced:	the last round reported to the source as held entirely
 * @nr_remote:	bits in @remote
 * @nr_want:	bits in @want
 * @nr_fetched:	pages of @remote now present
 * @inflight:	fetches outstanding
 * @inflight_urgent: of those, the ones a fault asked for
 * @inflight_prefetch: of those, the prefetches
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
	unsigned long *prefetched;
	bool ready;
	bool switch_ack;
	DECLARE_KFIFO(urgent, struct heca_urgent, 64);
	DECLARE_KFIFO(hints, struct heca_hint, 64);
	struct heca_prefetch pf;
	pgoff_t cursor;
	u32 round;
	u32 synced;
	unsigned long nr_remote;
	unsigned long nr_want;
	unsigned long nr_fetched;
	unsigned int inflight;
	unsigned int inflight_urgent;
	unsigned int inflight_prefetch;
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

/* dest_prefetch.c: adaptive prefetch, under the destination's lock */
void heca_prefetch_reset(struct heca_dest *d);
bool heca_prefetch_note(struct heca_dest *d, pgoff_t npages, pgoff_t idx,
			bool miss);
bool heca_prefetch_next(struct heca_dest *d, struct heca_hint *h);
void heca_prefetch_issued(struct heca_dest *d, unsigned int n);
void heca_prefetch_touched(struct heca_dest *d);

/* dest_fault.c */
extern const struct vm_operations_struct heca_dest_vm_ops;

/* dest_pull.c */
int heca_puller_start(struct heca_session *s);
void heca_puller_stop(struct heca_session *s);

#endif /* _HECA_DEST_H */
