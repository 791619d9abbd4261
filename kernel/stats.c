// SPDX-License-Identifier: GPL-2.0
/*
 * heca: session statistics (HECA_IOC_STATS).
 */

#include <linux/log2.h>
#include <linux/math64.h>

#include "heca.h"

/**
 * heca_stats_fault_time() - account one fault's service time
 * @r:  the region
 * @ns: from the fault asking for the page to the page being present
 */
void heca_stats_fault_time(struct heca_region *r, u64 ns)
{
	struct heca_region_stats *st = &r->stats;
	u64 us = div_u64(ns, NSEC_PER_USEC);
	unsigned int b = us ? min_t(unsigned int, ilog2(us),
				    HECA_HIST_BUCKETS - 1) : 0;

	spin_lock(&st->lock);
	if (!st->fault_count || ns < st->fault_ns_min)
		st->fault_ns_min = ns;
	if (ns > st->fault_ns_max)
		st->fault_ns_max = ns;
	st->fault_ns_sum += ns;
	st->fault_count++;
	st->fault_hist[b]++;
	spin_unlock(&st->lock);
}

/**
 * heca_stats_reset() - zero the counters for a new session
 * @r: the region; no session runs
 */
void heca_stats_reset(struct heca_region *r)
{
	struct heca_region_stats *st = &r->stats;

	atomic64_set(&st->pages_zero, 0);
	atomic64_set(&st->pages_on_demand, 0);
	atomic64_set(&st->pages_prefetched, 0);
	atomic64_set(&st->prefetch_pages, 0);
	atomic64_set(&st->prefetch_used, 0);
	atomic64_set(&st->pages_sent, 0);
	atomic64_set(&st->bytes_rx, 0);
	atomic64_set(&st->bytes_tx, 0);
	atomic64_set(&st->requests, 0);
	atomic64_set(&st->faults, 0);
	atomic64_set(&st->faults_nowait, 0);
	atomic64_set(&st->faults_async, 0);
	spin_lock(&st->lock);
	st->fault_ns_min = 0;
	st->fault_ns_max = 0;
	st->fault_ns_sum = 0;
	st->fault_count = 0;
	memset(st->fault_hist, 0, sizeof(st->fault_hist));
	spin_unlock(&st->lock);
}

/**
 * heca_stats_fill() - the output fields of HECA_IOC_STATS
 * @r:  the region
 * @st: argsz and flags checked; every other field is overwritten
 */
void heca_stats_fill(struct heca_region *r, struct heca_stats *st)
{
	struct heca_region_stats *rs = &r->stats;
	u64 t_switch, t_end;

	spin_lock_irq(&r->state_lock);
	st->state = r->state;
	st->error = r->error;
	st->transport = r->transport;
	t_switch = r->t_switch;
	t_end = r->t_end;
	st->synced_round = r->synced_round;
	spin_unlock_irq(&r->state_lock);

	st->role = r->role->stats_role;
	st->pages_total = r->npages;
	r->role->fill_stats(r, st);
	st->pages_zero = atomic64_read(&rs->pages_zero);
	st->pages_on_demand = atomic64_read(&rs->pages_on_demand);
	st->pages_prefetched = atomic64_read(&rs->pages_prefetched);
	st->prefetch_pages = atomic64_read(&rs->prefetch_pages);
	st->prefetch_used = atomic64_read(&rs->prefetch_used);
	st->pages_sent = atomic64_read(&rs->pages_sent);
	st->bytes_rx = atomic64_read(&rs->bytes_rx);
	st->bytes_tx = atomic64_read(&rs->bytes_tx);
	st->requests = atomic64_read(&rs->requests);
	st->faults = atomic64_read(&rs->faults);
	st->faults_nowait = atomic64_read(&rs->faults_nowait);
	st->faults_async = atomic64_read(&rs->faults_async);
	if (t_switch)
		st->elapsed_ns = (t_end ?: ktime_get_ns()) - t_switch;
	else
		st->elapsed_ns = 0;

	spin_lock(&rs->lock);
	st->fault_ns_min = rs->fault_ns_min;
	st->fault_ns_max = rs->fault_ns_max;
	st->fault_ns_sum = rs->fault_ns_sum;
	st->fault_count = rs->fault_count;
	memcpy(st->fault_hist, rs->fault_hist, sizeof(st->fault_hist));
	spin_unlock(&rs->lock);
	memset(st->reserved, 0, sizeof(st->reserved));
}
