// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination role: adaptive prefetch around faults.
 *
 * Every fault of a running destination is noted here (heca_dest_classify(),
 * under the destination's lock).  The last HECA_PF_HIST faulting pages give
 * the access trend: the majority stride of their deltas (Boyer-Moore vote,
 * as in Leap, Al Maruf and Chowdhury, USENIX ATC '20), per session.  While
 * there is one, the pages along it are planned as hints, @window pages at a
 * time, kept one window ahead of the faults; the puller reads them after
 * the urgent pages and never in the same READ as a faulting page.  The
 * window doubles (up to the prefetch_max parameter) while at least half of
 * the pages prefetched are touched by a later fault, and halves when fewer
 * than a quarter are.  Without a trend nothing is prefetched.
 */

#include <linux/kfifo.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>

#include "heca.h"
#include "dest.h"

static unsigned int prefetch_max = 16;
module_param(prefetch_max, uint, 0644);
MODULE_PARM_DESC(prefetch_max,
		 "most pages prefetched per step along a fault trend, 0: none (default 16)");

/* The window a new trend starts with, and when it is judged. */
#define HECA_PF_WINDOW_START	4
#define HECA_PF_JUDGE		8

/* The most pages one hint names; the most hints one step plans. */
#define HECA_PF_MAX		(HECA_PROTO_MAX_READ)
#define HECA_PF_MAX_HINTS	8

/**
 * heca_prefetch_reset() - forget the trend: a new session starts
 * @d: the destination; its lock held
 */
void heca_prefetch_reset(struct heca_dest *d)
{
	lockdep_assert_held(&d->lock);
	memset(&d->pf, 0, sizeof(d->pf));
	d->pf.window = HECA_PF_WINDOW_START;
	kfifo_reset(&d->hints);
}

/* The majority stride of the noted faults, 0 if there is none. */
static long heca_prefetch_trend(const struct heca_prefetch *pf)
{
	unsigned int i, n = pf->nhist, votes = 0, count = 0;
	long cand = 0, delta;
	pgoff_t a, b;

	if (n < 3)
		return 0;
	/* Oldest first: slot (head - n) .. (head - 1). */
	for (i = 1; i < n; i++) {
		a = pf->hist[(pf->head + HECA_PF_HIST - n + i - 1) % HECA_PF_HIST];
		b = pf->hist[(pf->head + HECA_PF_HIST - n + i) % HECA_PF_HIST];
		delta = (long)(b - a);
		if (!votes) {
			cand = delta;
			votes = 1;
		} else if (delta == cand) {
			votes++;
		} else {
			votes--;
		}
	}
	for (i = 1; i < n; i++) {
		a = pf->hist[(pf->head + HECA_PF_HIST - n + i - 1) % HECA_PF_HIST];
		b = pf->hist[(pf->head + HECA_PF_HIST - n + i) % HECA_PF_HIST];
		count += (long)(b - a) == cand;
	}
	return count * 2 > n - 1 ? cand : 0;
}

/* Grow the window while prefetches are used, shrink it when they are not. */
static void heca_prefetch_judge(struct heca_prefetch *pf, unsigned int max)
{
	if (pf->issued < HECA_PF_JUDGE)
		return;
	if (pf->touched * 2 >= pf->issued)
		pf->window = min(pf->window * 2, max);
	else if (pf->touched * 4 < pf->issued)
		pf->window = max(pf->window / 2, 1U);
	pf->issued = 0;
	pf->touched = 0;
}

/*
 * Plan @window steps along @stride from pf->next: one hint for a dense
 * trend (stride +1 or -1), one page a hint otherwise.  Stops at the ends
 * of the region.  Returns whether a hint was queued.
 */
static bool heca_prefetch_plan(struct heca_dest *d, pgoff_t npages,
			       unsigned int window)
{
	struct heca_prefetch *pf = &d->pf;
	struct heca_hint h;
	unsigned int i, n;
	long s = pf->stride;
	pgoff_t p = pf->next;
	bool queued = false;

	if (s == 1 || s == -1) {
		if (s == 1) {
			n = min_t(pgoff_t, window, npages - p);
			h.first = p;
			pf->next = p + n;
		} else {
			n = min_t(pgoff_t, window, p + 1);
			h.first = p + 1 - n;
			pf->next = h.first - 1;	/* ULONG_MAX at 0: off the end */
		}
		h.count = n;
		return n && kfifo_put(&d->hints, h);
	}
	n = min_t(unsigned int, window, HECA_PF_MAX_HINTS);
	h.count = 1;
	for (i = 0; i < n && p < npages; i++) {
		h.first = p;
		if (!kfifo_put(&d->hints, h))
			break;
		queued = true;
		if ((s < 0 && p < (pgoff_t)-s) ||
		    (s > 0 && npages - p <= (pgoff_t)s)) {
			p = ULONG_MAX;
			break;
		}
		p += s;
	}
	pf->next = p;
	return queued;
}

/**
 * heca_prefetch_note() - a fault touched page @idx: follow the trend
 * @d:      the destination, running (the switchover was received); its
 *          lock held
 * @npages: pages of the region
 * @idx:    the faulting page
 * @miss:   the fault has to wait for @idx (it was not prefetched)
 *
 * A miss, or a new stride, restarts the trend at @idx; a fault on the
 * trend plans the next window once the pages planned ahead of it are no
 * more than one window.
 *
 * Return: true if hints were queued for the puller.
 */
bool heca_prefetch_note(struct heca_dest *d, pgoff_t npages, pgoff_t idx,
			bool miss)
{
	struct heca_prefetch *pf = &d->pf;
	unsigned int max = min_t(unsigned int, READ_ONCE(prefetch_max),
				 HECA_PF_MAX);
	unsigned int window;
	pgoff_t ahead;
	long s;

	lockdep_assert_held(&d->lock);
	if (pf->nhist &&
	    pf->hist[(pf->head + HECA_PF_HIST - 1) % HECA_PF_HIST] == idx)
		return false;	/* the same fault again (a retry) */
	pf->hist[pf->head] = idx;
	pf->head = (pf->head + 1) % HECA_PF_HIST;
	pf->nhist = min(pf->nhist + 1, (unsigned int)HECA_PF_HIST);
	if (!max)
		return false;
	heca_prefetch_judge(pf, max);
	window = clamp(pf->window, 1U, max);

	s = heca_prefetch_trend(pf);
	if (!s || (s < 0 && idx < (pgoff_t)-s) ||
	    (s > 0 && npages - idx <= (pgoff_t)s)) {
		pf->stride = 0;
		return false;
	}
	if (s != pf->stride || miss || pf->next == ULONG_MAX) {
		pf->stride = s;
		pf->next = idx + s;
	} else {
		/* On the trend: how many steps are planned ahead of @idx. */
		if (s > 0)
			ahead = pf->next > idx ? (pf->next - idx) / s : 0;
		else
			ahead = idx > pf->next ? (idx - pf->next) / -s : 0;
		if (ahead > window)
			return false;
	}
	return heca_prefetch_plan(d, npages, window);
}

/**
 * heca_prefetch_next() - the next hint to read, if any
 * @d: the destination; its lock held
 * @h: the hint, on success
 *
 * Return: true if @h was set.
 */
bool heca_prefetch_next(struct heca_dest *d, struct heca_hint *h)
{
	lockdep_assert_held(&d->lock);
	return kfifo_get(&d->hints, h);
}

/**
 * heca_prefetch_issued() - @n prefetched pages are being read
 * @d: the destination; its lock held
 * @n: pages
 */
void heca_prefetch_issued(struct heca_dest *d, unsigned int n)
{
	lockdep_assert_held(&d->lock);
	d->pf.issued += n;
}

/**
 * heca_prefetch_touched() - a fault found a page that was prefetched
 * @d: the destination; its lock held
 */
void heca_prefetch_touched(struct heca_dest *d)
{
	lockdep_assert_held(&d->lock);
	d->pf.touched++;
}
