// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination role: the puller, the thread of a destination's
 * session that issues its fetches (the pages faults wait for first, each
 * alone, then the pages along the faults' trend, dest_prefetch.c, then the
 * background pull of everything else), acknowledges
 * rounds (SYNCED) and the switchover (SWITCHED), and completes the session
 * (DONE) when every page the source has is here.
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

/*
 * Background reads in flight.  Few: the link is kept busy by two, and every
 * background read ahead of an urgent one on the wire delays a fault.
 */
static unsigned int max_inflight = 2;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight, "background fetch requests in flight per session (default 2)");

static unsigned int max_urgent = 16;
module_param(max_urgent, uint, 0644);
MODULE_PARM_DESC(max_urgent, "fault-driven fetch requests in flight per session, and as many prefetches (default 16)");

static unsigned int heca_max_urgent(void)
{
	return max(READ_ONCE(max_urgent), 1U);
}

/* A page a fault waits for, alone: nothing else in its READ delays it. */
static bool heca_dest_claim_urgent(struct heca_dest *d, struct heca_fetch *f)
{
	struct heca_urgent u;

	lockdep_assert_held(&d->lock);
	if (d->inflight_urgent >= heca_max_urgent() ||
	    !kfifo_get(&d->urgent, &u))
		return false;
	/* The fault cleared want for u.idx: the page is ours. */
	f->first = u.idx;
	f->count = 1;
	f->urgent = true;
	f->fault_idx = u.idx;
	f->t_fault = u.t_fault;
	d->inflight_urgent++;
	return true;
}

/*
 * The wanted pages of the next prefetch hint: from its first wanted page,
 * as many as follow it wanted and within the hint.
 */
static bool heca_dest_claim_prefetch(struct heca_region *r,
				     struct heca_fetch *f)
{
	struct heca_dest *d = r->dest;
	struct heca_hint h;
	pgoff_t idx, end;
	unsigned int count;

	lockdep_assert_held(&d->lock);
	if (d->inflight_prefetch >= heca_max_urgent())
		return false;
	while (heca_prefetch_next(d, &h)) {
		end = min_t(pgoff_t, h.first + h.count, r->npages);
		idx = h.first;
		while (idx < end && !test_bit(idx, d->want))
			idx++;
		count = 0;
		while (idx + count < end && count < HECA_PROTO_MAX_READ &&
		       test_bit(idx + count, d->want)) {
			__clear_bit(idx + count, d->want);
			__set_bit(idx + count, d->prefetched);
			count++;
		}
		if (!count)
			continue;
		d->nr_want -= count;
		heca_prefetch_issued(d, count);
		f->first = idx;
		f->count = count;
		f->prefetch = true;
		d->inflight_prefetch++;
		return true;
	}
	return false;
}

/*
 * Where the background pull goes on: the first wanted page from the
 * cursor, wrapping around.  Found without the lock, so that no fault spins
 * on it while a sparse bitmap of a large region is searched: a hint, which
 * heca_dest_claim_pull() checks under the lock.
 */
static pgoff_t heca_dest_pull_hint(struct heca_region *r)
{
	struct heca_dest *d = r->dest;
	pgoff_t idx;

	/* A stale word only misleads the hint, which is checked under the lock. */
	idx = data_race(find_next_bit(d->want, r->npages, READ_ONCE(d->cursor)));
	if (idx >= r->npages)
		/* As above. */
		idx = data_race(find_first_bit(d->want, r->npages));
	return idx;
}

/*
 * The next run of the background pull, from @hint (heca_dest_pull_hint()).
 * Returns 0 with @f set, -ENOSPC when there is nothing to pull or its
 * window is full, -EAGAIN when @hint is no longer wanted.
 */
static int heca_dest_claim_pull(struct heca_region *r, struct heca_fetch *f,
				pgoff_t hint)
{
	struct heca_dest *d = r->dest;
	unsigned int count = 0;
	pgoff_t idx = hint;

	lockdep_assert_held(&d->lock);
	if (!d->nr_want ||
	    d->inflight - d->inflight_urgent - d->inflight_prefetch >=
	    max(READ_ONCE(max_inflight), 1U))
		return -ENOSPC;
	if (idx >= r->npages || !test_bit(idx, d->want))
		return -EAGAIN;
	f->first = idx;
	while (count < HECA_PROTO_MAX_READ && idx < r->npages &&
	       test_bit(idx, d->want)) {
		__clear_bit(idx, d->want);
		idx++;
		count++;
	}
	d->nr_want -= count;
	WRITE_ONCE(d->cursor, idx);
	f->count = count;
	return 0;
}

/*
 * Claim the next read into @f: a page a fault waits for first, then pages
 * along the faults' trend, then the next run of the background pull.
 * Returns false when there is nothing to fetch.
 */
static bool heca_dest_claim(struct heca_region *r, struct heca_fetch *f)
{
	struct heca_dest *d = r->dest;
	pgoff_t hint = r->npages;	/* none yet: only looked for if needed */
	unsigned int tries;
	int err;

	for (tries = 0; tries < 8; tries++) {
		spin_lock(&d->lock);
		if (heca_dest_claim_urgent(d, f) ||
		    heca_dest_claim_prefetch(r, f))
			goto claimed;
		err = heca_dest_claim_pull(r, f, hint);
		if (!err)
			goto claimed;
		spin_unlock(&d->lock);
		if (err != -EAGAIN)
			return false;
		/* No hint yet, or taken meanwhile (a fault, a prefetch). */
		hint = heca_dest_pull_hint(r);
	}
	return false;

claimed:
	/* Stall detection counts from the start of a busy period. */
	if (!d->inflight++)
		d->last_progress = jiffies;
	spin_unlock(&d->lock);
	return true;
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
		d->inflight_urgent < heca_max_urgent()) ||
	       (!kfifo_is_empty(&d->hints) && d->nr_want &&
		d->inflight_prefetch < heca_max_urgent()) ||
	       (d->nr_want && d->inflight - d->inflight_urgent -
		d->inflight_prefetch < max(READ_ONCE(max_inflight), 1U));
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
		trace_heca_fetch_issue(r->name, f->first, f->count,
				       f->urgent ? 1 : f->prefetch ? 2 : 0);
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

