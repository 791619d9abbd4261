/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: making sense of HECA_IOC_STATS, and the session command line's
 * small values (transport, timeouts).  Pure functions.
 */
#ifndef HECACTL_STATS_H
#define HECACTL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/heca.h>

/* Room for any hc_format_us() or hc_format_seconds() result. */
#define HC_TIME_BUF	24

/* "none", "connected", "running", "complete", "failed", or "unknown". */
const char *hc_state_name(uint32_t state);
/* "source" (role 0) or "dest" (role 1), as 'region list' says. */
const char *hc_role_name(uint32_t role);
/* "tcp", "rdma", or NULL for 0 (no session) and unknown values. */
const char *hc_transport_name(uint32_t transport);
/* "tcp" or "rdma" into HECA_TRANSPORT_*.  Returns 0 or -1. */
int hc_parse_transport(const char *s, uint32_t *out);

/*
 * A decimal number from @min to @max, digits only.  Returns 0, or -1 with
 * a reason in @why.
 */
int hc_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  char *why, size_t whylen);

/*
 * The range of fault_hist bucket @i in microseconds, [*@lo, *@hi): the
 * kernel counts a time of t us in bucket min(log2(t), HECA_HIST_BUCKETS - 1),
 * and t = 0 in bucket 0, so bucket 0 is [0, 2) and the last bucket has no
 * upper end (*@hi = 0).
 */
void hc_hist_bounds(unsigned int i, uint64_t *lo, uint64_t *hi);

/*
 * Estimate the @p quantile (0 < p <= 1) of the times counted in @hist
 * (@n buckets as above), in microseconds: the bucket where the running
 * count reaches p x total, and a linear interpolation inside it.  The
 * estimate is clamped to [@min_us, @max_us], the measured extremes, when
 * @max_us > 0; the open last bucket ends at @max_us (or twice its start).
 * Returns -1 when the histogram is empty.
 */
double hc_hist_percentile(const __u64 *hist, unsigned int n, double p,
			  double min_us, double max_us);

/* "850 ns"-free time for people: "7.5 us", "85 us", "5.2 ms", "1.25 s". */
char *hc_format_us(double us, char *buf, size_t len);
/* Nanoseconds as seconds: "0.35 s", "4.21 s", "125.0 s". */
char *hc_format_seconds(uint64_t ns, char *buf, size_t len);
/* @bytes over @ns as decimal megabytes per second; 0 when @ns is 0. */
double hc_rate_mbps(uint64_t bytes, uint64_t ns);

/*
 * The one-line progress of a session for a terminal (no newline): the
 * state and, once running, pages present (destination) or sent (source),
 * on-demand and prefetched pages, @mbps and the time since the switchover.
 */
char *hc_format_progress(char *buf, size_t len, const char *name,
			 const struct heca_stats *st, double mbps);

#endif /* HECACTL_STATS_H */
