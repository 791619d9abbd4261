/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: sessions and the destination engine.
 */
#ifndef _HECA_SESSION_H
#define _HECA_SESSION_H

#include <linux/kfifo.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "heca.h"
#include "proto.h"
#include "transport.h"

/**
 * struct heca_session - a region bound to its peer
 * @r:		the region; the session holds a reference and counts as one of
 *		its users, so the region cannot be destroyed under it
 * @t:		the transport; the session holds a reference on its module
 * @conn:	the connection, set once before the session is published
 * @params:	what the transport knows of the session (its callbacks)
 * @token:	the session secret
 * @timeout:	fault/stall timeout in jiffies
 * @sent:	source: pages sent in any set of this session (NULL until the
 *		first); used under the region's session_lock
 * @puller:	destination: the thread that issues fetches
 * @teardown:	closes the connection once the session is over
 */
struct heca_session {
	struct heca_region *r;
	const struct heca_transport *t;
	struct heca_conn *conn;
	struct heca_conn_params params;
	u8 token[HECA_TOKEN_BYTES];
	unsigned long timeout;
	unsigned long *sent;
	struct task_struct *puller;
	struct work_struct teardown;
};

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

/* session.c */
long heca_region_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
void heca_session_recv(struct heca_session *s, u16 type, const void *payload,
		       size_t len);
void heca_session_fail(struct heca_region *r, int err, const char *why);
bool heca_region_set_state(struct heca_region *r, enum heca_state next,
			   int err);
enum heca_state heca_region_state(struct heca_region *r);

/* fetch.c: the destination engine */
int heca_dest_alloc(struct heca_region *r);
void heca_dest_free(struct heca_region *r);
vm_fault_t heca_dest_fault(struct heca_region *r, struct vm_fault *vmf);
int heca_dest_set_exists(struct heca_region *r, const void *payload,
			 size_t len);
int heca_dest_switch(struct heca_region *r, const void *payload, size_t len);
int heca_dest_round(struct heca_region *r, const void *payload, size_t len);
void heca_fetch_done(struct heca_fetch *f, int err);
int heca_puller_start(struct heca_session *s);
void heca_puller_stop(struct heca_session *s);
void heca_dest_wake(struct heca_region *r);

/* serve.c: the source side */
struct page *heca_source_page(struct heca_session *s, pgoff_t idx);
int heca_source_switchover(struct heca_session *s);
int heca_source_round(struct heca_session *s, u32 *round, u64 *pages);

/* stats.c */
void heca_stats_fault_time(struct heca_region *r, u64 ns);
void heca_stats_fill(struct heca_region *r, struct heca_stats *st);
void heca_stats_reset(struct heca_region *r);

#endif /* _HECA_SESSION_H */
