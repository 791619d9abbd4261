// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination role: page state.
 *
 * A destination region starts with every page absent.  Before the
 * switchover the source's sets (pre-copy rounds) make pages wanted; at the
 * switchover the source says which pages it has (the others are zero and
 * are filled locally, never sent).  Fetches (dest_pull.c) bring wanted
 * pages; faults (dest_fault.c) wait for them; when every page the source
 * has is here, the destination tells the source and the session
 * completes.  Every field of struct heca_dest is guarded by its lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "heca.h"
#include "dest.h"
#include "session.h"
#include "trace.h"

#define HECA_DEFAULT_TIMEOUT	(30 * HZ)

/* Used until a session sets its own: a destination without a session. */
unsigned long heca_dest_timeout(struct heca_dest *d)
{
	return READ_ONCE(d->timeout) ?: HECA_DEFAULT_TIMEOUT;
}

/**
 * heca_dest_alloc() - make @r a destination region: every page absent
 * @r: a region being created
 *
 * Return: 0 or -ENOMEM.
 */
int heca_dest_alloc(struct heca_region *r)
{
	struct heca_dest *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	d->present = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
			      GFP_KERNEL_ACCOUNT);
	d->want = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
			   GFP_KERNEL_ACCOUNT);
	d->remote = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
			     GFP_KERNEL_ACCOUNT);
	d->redo = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
			   GFP_KERNEL_ACCOUNT);
	d->prefetched = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
				 GFP_KERNEL_ACCOUNT);
	if (!d->present || !d->want || !d->remote || !d->redo ||
	    !d->prefetched) {
		kvfree(d->present);
		kvfree(d->want);
		kvfree(d->remote);
		kvfree(d->redo);
		kvfree(d->prefetched);
		kfree(d);
		return -ENOMEM;
	}
	spin_lock_init(&d->lock);
	INIT_KFIFO(d->urgent);
	INIT_KFIFO(d->hints);	/* d->pf: heca_prefetch_reset() per session */
	init_waitqueue_head(&d->page_wq);
	init_waitqueue_head(&d->pull_wq);
	r->dest = d;
	return 0;
}

void heca_dest_free(struct heca_region *r)
{
	struct heca_dest *d = r->dest;

	if (!d)
		return;
	kvfree(d->present);
	kvfree(d->want);
	kvfree(d->remote);
	kvfree(d->redo);
	kvfree(d->prefetched);
	kfree(d);
	r->dest = NULL;
}

/* Wake everything that waits on the destination: faults and the puller. */
void heca_dest_wake(struct heca_region *r)
{
	if (!r->dest)
		return;
	wake_up_all(&r->dest->page_wq);
	wake_up(&r->dest->pull_wq);
}

/* What a fault on @idx has to do; see heca_dest_classify(). */
static enum heca_page_kind heca_dest_kind(struct heca_region *r, pgoff_t idx,
					  bool queue, bool *queued)
{
	struct heca_dest *d = r->dest;
	struct heca_urgent u;

	if (test_bit(idx, d->present))
		return HECA_PAGE_MAP;
	if (d->ready && !test_bit(idx, d->remote))
		return HECA_PAGE_ZERO;
	if (heca_region_state(r) == HECA_STATE_FAILED)
		return HECA_PAGE_FAIL;
	if (queue && d->ready && test_bit(idx, d->want)) {
		u.idx = idx;
		u.t_fault = ktime_get_ns();
		if (kfifo_put(&d->urgent, u)) {
			__clear_bit(idx, d->want);
			d->nr_want--;
			*queued = true;
			wake_up(&d->pull_wq);
		}
		/* Full: the background pull gets to it; the fault waits. */
	}
	return HECA_PAGE_WAIT;
}

/**
 * heca_dest_classify() - what a fault on page @idx has to do
 * @r:      the destination region; its dest lock held
 * @idx:    the page
 * @queue:  the fault's first look: an absent page nobody fetches yet is
 *          queued for an urgent fetch (and *@queued set), and the fault is
 *          noted for the prefetch trend (dest_prefetch.c)
 * @queued: set when an urgent fetch was queued
 *
 * Return: the kind of page.
 */
enum heca_page_kind heca_dest_classify(struct heca_region *r, pgoff_t idx,
				       bool queue, bool *queued)
{
	struct heca_dest *d = r->dest;
	enum heca_page_kind kind;
	bool hit;

	lockdep_assert_held(&d->lock);
	kind = heca_dest_kind(r, idx, queue, queued);
	if (!queue || !d->ready || kind == HECA_PAGE_FAIL)
		return kind;
	hit = __test_and_clear_bit(idx, d->prefetched);
	if (hit) {
		heca_prefetch_touched(d);
		atomic64_inc(&r->stats.prefetch_used);
	}
	if (heca_prefetch_note(d, r->npages, idx,
			       kind == HECA_PAGE_WAIT && !hit))
		wake_up(&d->pull_wq);
	return kind;
}

bool heca_dest_settled(struct heca_region *r, pgoff_t idx)
{
	struct heca_dest *d = r->dest;

	return test_bit(idx, d->present) ||
	       (READ_ONCE(d->ready) && !test_bit(idx, d->remote)) ||
	       heca_region_state(r) == HECA_STATE_FAILED;
}

/*
 * The source has (new) data for page @idx: forget what we have of it and
 * fetch it again.  A present page is unmapped everywhere first (KVM too,
 * through the MMU notifier), under its page lock, which the fault path
 * holds while it maps a present page; a page being fetched is marked to be
 * fetched once more when that fetch completes.
 */
static void heca_dest_want_page(struct heca_region *r, pgoff_t idx)
{
	struct heca_dest *d = r->dest;
	struct page *page = NULL;

	for (;;) {
		if (page)
			lock_page(page);
		spin_lock(&d->lock);
		if (!test_bit(idx, d->present) || page)
			break;
		/* Present (maybe just now): unmap it under its page lock. */
		page = xa_load(&r->pages, idx);
		spin_unlock(&d->lock);
		if (WARN_ON_ONCE(!page))
			return;
	}
	if (!__test_and_set_bit(idx, d->remote)) {
		d->nr_remote++;
		__set_bit(idx, d->want);
		d->nr_want++;
	} else if (test_bit(idx, d->present)) {
		__clear_bit(idx, d->present);
		__clear_bit(idx, d->prefetched);
		d->nr_fetched--;
		__set_bit(idx, d->want);
		d->nr_want++;
	} else if (!test_bit(idx, d->want)) {
		/* In flight: what it brings may be older than this set. */
		__set_bit(idx, d->redo);
	}
	spin_unlock(&d->lock);

	if (page) {
		unmap_mapping_pages(r->inode->i_mapping, idx, 1, false);
		unlock_page(page);
	}
}

/*
 * The pages of @w (bit b: page @idx + b, @idx a multiple of 64) that the
 * destination has never heard of, neither remote nor present, become
 * wanted a word at a time: the switchover of a post-copy migration then
 * costs a few word operations per 64 pages, not a lock round trip per
 * page.  Returns the bits left for heca_dest_want_page().
 */
static u64 heca_dest_want_fresh(struct heca_dest *d, pgoff_t idx, u64 w)
{
#if BITS_PER_LONG == 64
	unsigned long k = idx / BITS_PER_LONG, fresh;

	spin_lock(&d->lock);
	fresh = w & ~(d->remote[k] | d->present[k]);
	d->remote[k] |= fresh;
	d->want[k] |= fresh;
	d->nr_remote += hweight64(fresh);
	d->nr_want += hweight64(fresh);
	spin_unlock(&d->lock);
	return w & ~(u64)fresh;
#else
	return w;
#endif
}

/**
 * heca_dest_set_exists() - take one chunk of a set of pages to (re)fetch
 * @r:       the destination region
 * @payload: struct heca_msg_bitmap and its words, from the peer
 * @len:     payload bytes
 *
 * Before the switchover the source sends, round by round, the pages it
 * has (first round) or that were written since the previous round; at the
 * switchover the final set.  Pages never in any set are zero.
 *
 * Return: 0, or -EPROTO for a chunk that does not fit the region or comes
 * after the switchover.
 */
static int heca_dest_set_exists(struct heca_region *r, const void *payload,
				size_t len)
{
	const struct heca_msg_bitmap *bm = payload;
	struct heca_dest *d = r->dest;
	const __le64 *words;
	u64 first, nbits, nwords, i, w;
	unsigned int b;

	if (len < sizeof(*bm))
		return -EPROTO;
	first = le64_to_cpu(bm->first);
	nbits = le64_to_cpu(bm->nbits);
	if (first % 64 || first >= r->npages || !nbits ||
	    nbits > r->npages - first)
		return -EPROTO;
	nwords = DIV_ROUND_UP(nbits, 64);
	if (len != sizeof(*bm) + nwords * sizeof(u64))
		return -EPROTO;
	if (READ_ONCE(d->ready))
		return -EPROTO;
	words = payload + sizeof(*bm);

	for (i = 0; i < nwords; i++) {
		w = le64_to_cpu(words[i]);
		if (i == nwords - 1 && nbits % 64)
			w &= (1ULL << (nbits % 64)) - 1;
		w = heca_dest_want_fresh(d, first + i * 64, w);
		while (w) {
			b = __ffs64(w);
			w &= w - 1;
			heca_dest_want_page(r, first + i * 64 + b);
		}
		if (i % 256 == 255)
			cond_resched();
	}
	wake_up(&d->pull_wq);
	return 0;
}

/**
 * heca_dest_round() - a pre-copy round's set is complete
 * @r:       the destination region
 * @payload: struct heca_msg_round, from the peer
 * @len:     payload bytes
 *
 * The puller answers SYNCED once every page of it is here.
 *
 * Return: 0, or -EPROTO for rounds out of order or after the switchover.
 */
static int heca_dest_round(struct heca_region *r, const void *payload,
			   size_t len)
{
	const struct heca_msg_round *m = payload;
	struct heca_dest *d = r->dest;
	u32 round;

	if (len != sizeof(*m) || m->reserved)
		return -EPROTO;
	round = le32_to_cpu(m->round);
	spin_lock(&d->lock);
	if (d->ready || round != d->round + 1) {
		spin_unlock(&d->lock);
		return -EPROTO;
	}
	d->round = round;
	spin_unlock(&d->lock);
	wake_up(&d->pull_wq);
	return 0;
}

/**
 * heca_dest_switch() - the source switched over: start pulling
 * @r:       the destination region
 * @payload: struct heca_msg_switch, from the peer
 * @len:     payload bytes
 *
 * Messages are taken in order, so the final set (EXISTS, before SWITCH)
 * has been applied: every page it names is unmapped and wanted.  The
 * puller then answers SWITCHED, which the source's switchover waits for
 * before the VM may run here (heca_pull_ack_switch()).
 *
 * Return: 0, or -EPROTO if the count of pages does not match the bitmap.
 */
static int heca_dest_switch(struct heca_region *r, const void *payload,
			    size_t len)
{
	const struct heca_msg_switch *sw = payload;
	struct heca_dest *d = r->dest;

	if (len != sizeof(*sw))
		return -EPROTO;
	/*
	 * nr_remote counts the bits of remote as they are set: no look at
	 * the whole bitmap (4M words for 1 TiB) while faults spin on the lock.
	 */
	spin_lock(&d->lock);
	if (d->ready || d->nr_remote != le64_to_cpu(sw->remote)) {
		spin_unlock(&d->lock);
		return -EPROTO;
	}
	d->last_progress = jiffies;
	WRITE_ONCE(d->ready, true);
	d->switch_ack = true;
	spin_unlock(&d->lock);

	heca_region_set_state(r, HECA_STATE_RUNNING, 0);
	heca_dest_wake(r);
	return 0;
}

/* Give pages [@from, f->count) of @f back to the pull and free them. */
static void heca_fetch_unclaim(struct heca_region *r, struct heca_fetch *f,
			       unsigned int from)
{
	struct heca_dest *d = r->dest;
	unsigned int i;

	spin_lock(&d->lock);
	for (i = from; i < f->count; i++) {
		__set_bit(f->first + i, d->want);
		__clear_bit(f->first + i, d->prefetched);
		d->nr_want++;
	}
	spin_unlock(&d->lock);
	for (i = from; i < f->count; i++) {
		/* Pages of the region itself (refetched) stay where they are. */
		if (f->pages[i] &&
		    xa_load(&r->pages, f->first + i) != f->pages[i])
			__free_page(f->pages[i]);
		f->pages[i] = NULL;
	}
}

/**
 * heca_fetch_done() - a fetch finished: publish its pages, or give them back
 * @f:   the fetch; freed here
 * @err: 0 if every page of @f holds the source's data
 *
 * Called exactly once per fetch, by the transport, in process context.
 */
void heca_fetch_done(struct heca_fetch *f, int err)
{
	struct heca_region *r = f->s->r;
	struct heca_dest *d = r->dest;
	unsigned int i, stored = 0;
	struct page *page;
	void *old;

	trace_heca_fetch_done(r->name, f->first, f->count, err);
	for (i = 0; !err && i < f->count; i++) {
		page = f->pages[i];
		if (xa_load(&r->pages, f->first + i) == page) {
			/* Refetched into the region's own page. */
			stored++;
			continue;
		}
		page->mapping = r->inode->i_mapping;
		page->index = f->first + i;
		old = xa_store(&r->pages, f->first + i, page, GFP_KERNEL);
		if (xa_is_err(old)) {
			page->mapping = NULL;
			err = xa_err(old);
			break;
		}
		/* Only fetches insert pages the source has. */
		WARN_ON_ONCE(old);
		atomic_long_inc(&r->resident);
		stored++;
	}
	if (stored < f->count)
		heca_fetch_unclaim(r, f, stored);

	spin_lock(&d->lock);
	for (i = 0; i < stored; i++) {
		if (__test_and_clear_bit(f->first + i, d->redo)) {
			/* Invalidated while in flight: once more. */
			__set_bit(f->first + i, d->want);
			__clear_bit(f->first + i, d->prefetched);
			d->nr_want++;
			continue;
		}
		__set_bit(f->first + i, d->present);
		d->nr_fetched++;
	}
	d->inflight--;
	if (f->urgent)
		d->inflight_urgent--;
	if (f->prefetch)
		d->inflight_prefetch--;
	d->last_progress = jiffies;
	spin_unlock(&d->lock);

	atomic64_inc(&r->stats.requests);
	if (f->urgent && stored == f->count) {
		atomic64_inc(&r->stats.pages_on_demand);
		heca_stats_fault_time(r, ktime_get_ns() - f->t_fault);
	} else if (!f->urgent) {
		atomic64_add(stored, &r->stats.pages_prefetched);
		if (f->prefetch)
			atomic64_add(stored, &r->stats.prefetch_pages);
	}
	if (err)
		heca_session_fail(r, err, "a fetch failed");
	heca_dest_wake(r);
	kfree(f);
}

/* A message from the source: a set, the end of a round, the switchover. */
int heca_dest_recv(struct heca_session *s, u16 type, const void *payload,
		   size_t len)
{
	switch (type) {
	case HECA_MSG_EXISTS:
		return heca_dest_set_exists(s->r, payload, len);
	case HECA_MSG_ROUND:
		return heca_dest_round(s->r, payload, len);
	case HECA_MSG_SWITCH:
		return heca_dest_switch(s->r, payload, len);
	default:
		return -EPROTO;
	}
}

/*
 * A new session restarts the round count, and is refused once the region
 * switched over (its pages are final or lost).
 */
int heca_dest_prepare(struct heca_region *r)
{
	struct heca_dest *d = r->dest;

	lockdep_assert_held(&r->session_lock);
	spin_lock(&d->lock);
	if (d->ready) {
		spin_unlock(&d->lock);
		return -EINVAL;
	}
	d->round = 0;
	d->synced = 0;
	d->switch_ack = false;
	heca_prefetch_reset(d);
	spin_unlock(&d->lock);
	return 0;
}

/* The destination's fields of HECA_IOC_STATS. */
void heca_dest_fill_stats(struct heca_region *r, struct heca_stats *st)
{
	struct heca_dest *d = r->dest;

	spin_lock(&d->lock);
	st->pages_present = d->nr_fetched;
	st->pages_remote = d->nr_remote;
	st->round = d->round;
	st->synced_round = d->synced;
	spin_unlock(&d->lock);
}
