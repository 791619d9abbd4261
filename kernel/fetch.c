// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination engine.
 *
 * A destination region starts with every page absent.  At the switchover
 * the source says which pages it has (the others are zero and are filled
 * locally, never sent).  From then on a fault on an absent page queues an
 * urgent fetch of it (and a few neighbours), which the puller thread issues
 * ahead of the background pull of everything else; when every page the
 * source has is here, the destination tells the source and the session
 * completes.
 *
 * Fault contract (Documentation/design.rst, "Fault path"): with
 * FAULT_FLAG_RETRY_NOWAIT (KVM's first try) answer VM_FAULT_RETRY at once,
 * holding mmap_lock, so KVM can run the vCPU on while the page comes; with
 * ALLOW_RETRY alone pin the region, drop mmap_lock, wait (killable, bounded)
 * and answer VM_FAULT_RETRY; without ALLOW_RETRY wait holding the lock,
 * then map the page or answer SIGBUS.  Every wait is bounded by the
 * session's fault timeout (without a session, the default 30 s); a page
 * that does not come in time fails the session, and a failed session
 * answers SIGBUS, or VM_FAULT_HWPOISON to KVM's first try (see
 * heca_dest_map()).
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
#include "session.h"
#include "trace.h"

static unsigned int prefetch_ahead = 8;
module_param(prefetch_ahead, uint, 0644);
MODULE_PARM_DESC(prefetch_ahead, "pages fetched after a faulting page (default 8)");

static unsigned int prefetch_behind = 2;
module_param(prefetch_behind, uint, 0644);
MODULE_PARM_DESC(prefetch_behind, "pages fetched before a faulting page (default 2)");

/*
 * Background reads in flight.  Few: the link is kept busy by two, and every
 * background read ahead of an urgent one on the wire delays a fault.
 */
static unsigned int max_inflight = 2;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight, "background fetch requests in flight per session (default 2)");

static unsigned int max_urgent = 16;
module_param(max_urgent, uint, 0644);
MODULE_PARM_DESC(max_urgent, "fault-driven fetch requests in flight per session (default 16)");

#define HECA_DEFAULT_TIMEOUT	(30 * HZ)

/* Used until a session sets its own: a destination without a session. */
static unsigned long heca_dest_timeout(struct heca_dest *d)
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
	if (!d->present || !d->want || !d->remote || !d->redo) {
		kvfree(d->present);
		kvfree(d->want);
		kvfree(d->remote);
		kvfree(d->redo);
		kfree(d);
		return -ENOMEM;
	}
	spin_lock_init(&d->lock);
	INIT_KFIFO(d->urgent);
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

enum heca_page_kind {
	HECA_PAGE_MAP,		/* present: map it */
	HECA_PAGE_ZERO,		/* the source has none: a local zero page */
	HECA_PAGE_WAIT,		/* absent: wait for it */
	HECA_PAGE_FAIL,		/* the session failed: SIGBUS */
};

/*
 * What a fault on @idx has to do; with @queue, an absent page nobody
 * fetches yet is queued for an urgent fetch (and *@queued set).
 */
static enum heca_page_kind heca_dest_classify(struct heca_region *r,
					      pgoff_t idx, bool queue,
					      bool *queued)
{
	struct heca_dest *d = r->dest;
	struct heca_urgent u;

	lockdep_assert_held(&d->lock);
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

static bool heca_dest_settled(struct heca_region *r, pgoff_t idx)
{
	struct heca_dest *d = r->dest;

	return test_bit(idx, d->present) ||
	       (READ_ONCE(d->ready) && !test_bit(idx, d->remote)) ||
	       heca_region_state(r) == HECA_STATE_FAILED;
}

/*
 * Wait for page @idx, at most the session's fault timeout.  Returns 0 when
 * it is settled (present, zero, or the session failed), -EINTR on a fatal
 * signal (@killable), -ETIMEDOUT after failing the session.
 */
static int heca_dest_wait(struct heca_region *r, pgoff_t idx, bool killable)
{
	struct heca_dest *d = r->dest;
	unsigned long timeout = heca_dest_timeout(d);
	long ret;

	if (killable)
		ret = wait_event_killable_timeout(d->page_wq,
						  heca_dest_settled(r, idx),
						  timeout);
	else
		ret = wait_event_timeout(d->page_wq, heca_dest_settled(r, idx),
					 timeout);
	if (ret > 0)
		return 0;
	if (ret < 0)
		return -EINTR;
	heca_session_fail(r, -ETIMEDOUT, "a page did not arrive in time");
	return -ETIMEDOUT;
}

static vm_fault_t heca_dest_map(struct heca_region *r, struct vm_fault *vmf,
				enum heca_page_kind kind)
{
	struct page *page;

	switch (kind) {
	case HECA_PAGE_MAP:
		/*
		 * Map it locked: a set from the source that invalidates the
		 * page takes the lock before it unmaps, so it unmaps this
		 * mapping too.  If it got here first, wait for the new data.
		 */
		page = xa_load(&r->pages, vmf->pgoff);
		if (WARN_ON_ONCE(!page))
			return VM_FAULT_SIGBUS;
		lock_page(page);
		if (!test_bit(vmf->pgoff, r->dest->present)) {
			unlock_page(page);
			return VM_FAULT_NOPAGE;
		}
		get_page(page);
		vmf->page = page;
		return VM_FAULT_LOCKED;
	case HECA_PAGE_ZERO:
		page = heca_region_page(r, vmf->pgoff);
		if (IS_ERR(page))
			return vmf_error(PTR_ERR(page));
		break;
	default:
		/*
		 * A page the failed session will never bring.  KVM's first try
		 * (RETRY_NOWAIT) takes a plain GUP failure as a reason to go
		 * asynchronous and would retry forever; a poisoned page it
		 * turns into SIGBUS (BUS_MCEERR_AR) for the vCPU thread, as
		 * for a memory error.  Everybody else gets SIGBUS.
		 */
		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
			return VM_FAULT_HWPOISON;
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

/**
 * heca_dest_fault() - a fault on a destination region
 * @r:   the region (pinned by the mapping's file)
 * @vmf: the fault, vmf->pgoff inside the region
 *
 * Return: 0 with vmf->page set, VM_FAULT_RETRY (see the file comment for
 * whether mmap_lock is still held), VM_FAULT_SIGBUS or VM_FAULT_OOM.
 */
vm_fault_t heca_dest_fault(struct heca_region *r, struct vm_fault *vmf)
{
	struct heca_dest *d = r->dest;
	enum heca_page_kind kind;
	bool queued = false;
	vm_fault_t ret;

	spin_lock(&d->lock);
	kind = heca_dest_classify(r, vmf->pgoff, true, &queued);
	spin_unlock(&d->lock);
	trace_heca_fault(r->name, vmf->pgoff, vmf->flags, kind);
	if (queued)
		atomic64_inc(&r->stats.faults);
	if (kind != HECA_PAGE_WAIT)
		return heca_dest_map(r, vmf, kind);

	if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
			/* KVM goes asynchronous: mmap_lock stays held. */
			atomic64_inc(&r->stats.faults_nowait);
			return VM_FAULT_RETRY;
		}
		if (vmf->flags & FAULT_FLAG_REMOTE)
			atomic64_inc(&r->stats.faults_async);
		/* The VMA may go once the lock is dropped: pin the region. */
		heca_region_get(r);
		mmap_read_unlock(vmf->vma->vm_mm);
		heca_dest_wait(r, vmf->pgoff,
			       vmf->flags & FAULT_FLAG_KILLABLE);
		trace_heca_fault_done(r->name, vmf->pgoff,
				      (__force unsigned int)VM_FAULT_RETRY);
		heca_region_put(r);
		return VM_FAULT_RETRY;
	}

	/* No retry allowed: wait with mmap_lock held, then map or fail. */
	if (heca_dest_wait(r, vmf->pgoff, false)) {
		ret = VM_FAULT_SIGBUS;
	} else {
		spin_lock(&d->lock);
		kind = heca_dest_classify(r, vmf->pgoff, false, &queued);
		spin_unlock(&d->lock);
		ret = heca_dest_map(r, vmf, kind);
	}
	trace_heca_fault_done(r->name, vmf->pgoff, (__force unsigned int)ret);
	return ret;
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
int heca_dest_set_exists(struct heca_region *r, const void *payload,
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
int heca_dest_round(struct heca_region *r, const void *payload, size_t len)
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
int heca_dest_switch(struct heca_region *r, const void *payload, size_t len)
{
	const struct heca_msg_switch *sw = payload;
	struct heca_dest *d = r->dest;
	unsigned long nr;

	if (len != sizeof(*sw))
		return -EPROTO;
	spin_lock(&d->lock);
	nr = bitmap_weight(d->remote, r->npages);
	if (d->ready || nr != le64_to_cpu(sw->remote) ||
	    nr != d->nr_remote) {
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

/*
 * Claim the next run of pages to fetch into @f: an urgent page with its
 * neighbours first, else the next run of the background pull.  Returns
 * false when there is nothing to fetch.
 */
static bool heca_dest_claim(struct heca_region *r, struct heca_fetch *f)
{
	struct heca_dest *d = r->dest;
	unsigned int ahead = min_t(unsigned int, READ_ONCE(prefetch_ahead),
				   HECA_PROTO_MAX_READ - 1);
	unsigned int behind = min_t(unsigned int, READ_ONCE(prefetch_behind),
				    HECA_PROTO_MAX_READ - 1 - ahead);
	struct heca_urgent u;
	pgoff_t first, idx;
	unsigned int count;

	spin_lock(&d->lock);
	if (d->inflight_urgent < max(READ_ONCE(max_urgent), 1U) &&
	    kfifo_get(&d->urgent, &u)) {
		/* The fault cleared want for u.idx: the page is ours. */
		first = u.idx;
		count = 1;
		while (count <= ahead && first + count < r->npages &&
		       test_bit(first + count, d->want)) {
			__clear_bit(first + count, d->want);
			count++;
		}
		while (behind-- && first > 0 && test_bit(first - 1, d->want)) {
			first--;
			__clear_bit(first, d->want);
			count++;
		}
		d->nr_want -= count - 1;
		f->urgent = true;
		f->fault_idx = u.idx;
		f->t_fault = u.t_fault;
		d->inflight_urgent++;
	} else {
		if (!d->nr_want ||
		    d->inflight - d->inflight_urgent >=
		    max(READ_ONCE(max_inflight), 1U)) {
			spin_unlock(&d->lock);
			return false;
		}
		idx = find_next_bit(d->want, r->npages, d->cursor);
		if (idx >= r->npages)
			idx = find_first_bit(d->want, r->npages);
		first = idx;
		count = 0;
		while (count < HECA_PROTO_MAX_READ && idx < r->npages &&
		       test_bit(idx, d->want)) {
			__clear_bit(idx, d->want);
			idx++;
			count++;
		}
		d->nr_want -= count;
		d->cursor = idx;
		f->urgent = false;
	}
	/* Stall detection counts from the start of a busy period. */
	if (!d->inflight++)
		d->last_progress = jiffies;
	spin_unlock(&d->lock);
	f->first = first;
	f->count = count;
	return true;
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
			d->nr_want++;
			continue;
		}
		__set_bit(f->first + i, d->present);
		d->nr_fetched++;
	}
	d->inflight--;
	if (f->urgent)
		d->inflight_urgent--;
	d->last_progress = jiffies;
	spin_unlock(&d->lock);

	atomic64_inc(&r->stats.requests);
	if (f->urgent && stored == f->count) {
		atomic64_inc(&r->stats.pages_on_demand);
		atomic64_add(stored - 1, &r->stats.pages_prefetched);
		heca_stats_fault_time(r, ktime_get_ns() - f->t_fault);
	} else {
		atomic64_add(stored, &r->stats.pages_prefetched);
	}
	if (err)
		heca_session_fail(r, err, "a fetch failed");
	heca_dest_wake(r);
	kfree(f);
}

static int heca_fetch_alloc_pages(struct heca_region *r, struct heca_fetch *f)
{
	unsigned int i;

	for (i = 0; i < f->count; i++) {
		/* A page fetched before and invalidated is filled again. */
		f->pages[i] = xa_load(&r->pages, f->first + i) ?:
			      heca_region_alloc_page(r);
		if (!f->pages[i])
			return -ENOMEM;
	}
	return 0;
}

/* A round received and not acknowledged yet is all here. */
static bool heca_dest_round_synced(struct heca_dest *d)
{
	lockdep_assert_held(&d->lock);
	return !d->ready && d->round > d->synced && !d->nr_want &&
	       !d->inflight && kfifo_is_empty(&d->urgent);
}

/* Pages move in rounds before the switchover, and after it. */
static bool heca_dest_pulling(struct heca_region *r)
{
	enum heca_state st = heca_region_state(r);

	return st == HECA_STATE_CONNECTED || st == HECA_STATE_RUNNING;
}

/* Whether heca_dest_claim() would find a fetch to issue now. */
static bool heca_dest_can_claim(struct heca_dest *d)
{
	lockdep_assert_held(&d->lock);
	return (!kfifo_is_empty(&d->urgent) &&
		d->inflight_urgent < max(READ_ONCE(max_urgent), 1U)) ||
	       (d->nr_want && d->inflight - d->inflight_urgent <
		max(READ_ONCE(max_inflight), 1U));
}

static bool heca_pull_has_work(struct heca_region *r)
{
	struct heca_dest *d = r->dest;
	bool work;

	if (!heca_dest_pulling(r))
		return false;
	spin_lock(&d->lock);
	work = d->switch_ack || heca_dest_can_claim(d) ||
	       (d->ready && d->nr_fetched == d->nr_remote && !d->inflight) ||
	       heca_dest_round_synced(d);
	spin_unlock(&d->lock);
	return work;
}

/*
 * Issue fetches until the windows are full or nothing is left.  A fetch is
 * allocated only when there is one to claim: the puller also comes here
 * once a second with nothing to do, and a failed allocation fails the
 * session.
 */
static void heca_pull_issue(struct heca_session *s)
{
	struct heca_region *r = s->r;
	struct heca_dest *d = r->dest;
	struct heca_fetch *f;
	bool can;
	int err;

	for (;;) {
		if (!heca_dest_pulling(r))
			return;
		spin_lock(&d->lock);
		can = heca_dest_can_claim(d);
		spin_unlock(&d->lock);
		if (!can)
			return;

		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f) {
			heca_session_fail(r, -ENOMEM, "no memory for a fetch");
			return;
		}
		f->s = s;
		if (!heca_dest_claim(r, f)) {
			kfree(f);
			return;
		}
		err = heca_fetch_alloc_pages(r, f);
		trace_heca_fetch_issue(r->name, f->first, f->count, f->urgent);
		if (!err)
			err = s->t->read_pages(s->conn, f);
		if (err) {
			/* Not accepted by the transport: complete it here. */
			heca_fetch_done(f, err);
			return;
		}
	}
}

/* Fail the session when fetches are outstanding but nothing came back. */
static void heca_pull_check_stall(struct heca_session *s)
{
	struct heca_dest *d = s->r->dest;
	bool stalled;

	spin_lock(&d->lock);
	stalled = d->inflight &&
		  time_after(jiffies, d->last_progress + s->timeout);
	spin_unlock(&d->lock);
	if (stalled)
		heca_session_fail(s->r, -ETIMEDOUT,
				  "the source stopped answering");
}

/*
 * Tell the source that SWITCH was taken: the final set is applied here, so
 * the VM may run here now (the source's HECA_IOC_SWITCHOVER returns).
 * Before anything else this thread sends, DONE included.
 */
static void heca_pull_ack_switch(struct heca_session *s)
{
	struct heca_dest *d = s->r->dest;
	bool ack;
	int err;

	spin_lock(&d->lock);
	ack = d->switch_ack;
	d->switch_ack = false;
	spin_unlock(&d->lock);
	if (!ack)
		return;
	err = s->t->send_msg(s->conn, HECA_MSG_SWITCHED, NULL, 0);
	if (err)
		heca_session_fail(s->r, err,
				  "could not acknowledge the switchover");
}

/* Tell the source when every page of its last round is here. */
static void heca_pull_sync(struct heca_session *s)
{
	struct heca_dest *d = s->r->dest;
	struct heca_msg_round m = { 0 };
	bool sync;
	int err;

	spin_lock(&d->lock);
	sync = heca_dest_round_synced(d);
	if (sync)
		d->synced = d->round;
	m.round = cpu_to_le32(d->round);
	spin_unlock(&d->lock);
	if (!sync)
		return;
	err = s->t->send_msg(s->conn, HECA_MSG_SYNCED, &m, sizeof(m));
	if (err)
		heca_session_fail(s->r, err, "could not acknowledge a round");
}

/**
 * heca_pull_finish() - everything the source has is here: complete, tell it
 * @s: the destination's session
 *
 * COMPLETE comes before DONE goes.  Once the source has DONE it completes,
 * ends its session and hangs up; the other way round, our receiver could
 * see that hang-up before this thread set COMPLETE and fail, as a lost
 * connection, a destination that holds every page.  The teardown queued by
 * COMPLETE stops this thread (kthread_stop) before it closes the
 * connection, so DONE still goes out first.  If it cannot be sent, the
 * destination stays complete (it is) and the source, seeing the connection
 * end without DONE, fails.
 */
static void heca_pull_finish(struct heca_session *s)
{
	struct heca_region *r = s->r;
	struct heca_dest *d = r->dest;
	bool done;
	int err;

	spin_lock(&d->lock);
	done = d->ready && d->nr_fetched == d->nr_remote && !d->inflight;
	spin_unlock(&d->lock);
	if (!done || heca_region_state(r) != HECA_STATE_RUNNING)
		return;
	if (!heca_region_set_state(r, HECA_STATE_COMPLETE, 0))
		return;
	err = s->t->send_msg(s->conn, HECA_MSG_DONE, NULL, 0);
	if (err)
		pr_warn("%s: could not report completion to the source (%d)\n",
			r->name, err);
}

static int heca_puller(void *arg)
{
	struct heca_session *s = arg;
	struct heca_region *r = s->r;

	while (!kthread_should_stop()) {
		wait_event_interruptible_timeout(r->dest->pull_wq,
						 kthread_should_stop() ||
						 heca_pull_has_work(r),
						 HZ);
		if (kthread_should_stop())
			break;
		if (!heca_dest_pulling(r))
			continue;
		heca_pull_ack_switch(s);
		heca_pull_issue(s);
		heca_pull_check_stall(s);
		heca_pull_sync(s);
		heca_pull_finish(s);
	}
	return 0;
}

/**
 * heca_puller_start() - start the thread that issues a destination's fetches
 * @s: the session, connected
 *
 * Return: 0 or a negative errno.
 */
int heca_puller_start(struct heca_session *s)
{
	struct task_struct *t;

	WRITE_ONCE(s->r->dest->timeout, s->timeout);
	t = kthread_run(heca_puller, s, "heca-pull/%s", s->r->name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	s->puller = t;
	return 0;
}

void heca_puller_stop(struct heca_session *s)
{
	if (!s->puller)
		return;
	kthread_stop(s->puller);
	s->puller = NULL;
}
