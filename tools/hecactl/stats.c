// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: session statistics and values (see stats.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

const char *hc_state_name(uint32_t state)
{
	static const char *const names[] = {
		[HECA_STATE_NONE] = "none",
		[HECA_STATE_CONNECTED] = "connected",
		[HECA_STATE_RUNNING] = "running",
		[HECA_STATE_COMPLETE] = "complete",
		[HECA_STATE_FAILED] = "failed",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *hc_role_name(uint32_t role)
{
	return role ? "dest" : "source";
}

const char *hc_transport_name(uint32_t transport)
{
	switch (transport) {
	case HECA_TRANSPORT_TCP:
		return "tcp";
	case HECA_TRANSPORT_RDMA:
		return "rdma";
	default:
		return NULL;
	}
}

int hc_parse_transport(const char *s, uint32_t *out)
{
	if (!strcmp(s, "tcp"))
		*out = HECA_TRANSPORT_TCP;
	else if (!strcmp(s, "rdma"))
		*out = HECA_TRANSPORT_RDMA;
	else
		return -1;
	return 0;
}

int hc_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		  char *why, size_t whylen)
{
	uint64_t v = 0;

	if (!*s || *s < '0' || *s > '9')
		goto bad;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			goto bad;
	}
	if (*s || v < min)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(why, whylen, "expected a whole number from %" PRIu64 " to %" PRIu64,
		 min, max);
	return -1;
}

void hc_hist_bounds(unsigned int i, uint64_t *lo, uint64_t *hi)
{
	*lo = i ? 1ULL << i : 0;
	*hi = i + 1 < HECA_HIST_BUCKETS ? 1ULL << (i + 1) : 0;
}

double hc_hist_percentile(const __u64 *hist, unsigned int n, double p,
			  double min_us, double max_us)
{
	uint64_t total = 0, below = 0, lo, hi;
	double rank, top, est;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += hist[i];
	if (!total || p <= 0)
		return -1;
	rank = (p > 1 ? 1 : p) * (double)total;
	for (i = 0; i < n; i++) {
		if ((double)(below + hist[i]) >= rank && hist[i])
			break;
		below += hist[i];
	}
	if (i == n)	/* cannot happen: rank <= total */
		return -1;
	hc_hist_bounds(i, &lo, &hi);
	if (hi)
		top = (double)hi;
	else	/* the open last bucket */
		top = max_us > (double)lo ? max_us : 2.0 * (double)lo;
	est = (double)lo + (top - (double)lo) * ((rank - (double)below) / (double)hist[i]);
	if (max_us > 0) {
		if (est > max_us)
			est = max_us;
		if (est < min_us)
			est = min_us;
	}
	return est;
}

char *hc_format_us(double us, char *buf, size_t len)
{
	if (us < 0)
		snprintf(buf, len, "-");
	else if (us < 10)
		snprintf(buf, len, "%.1f us", us);
	else if (us < 1000)
		snprintf(buf, len, "%.0f us", us);
	else if (us < 1000000)
		snprintf(buf, len, "%.1f ms", us / 1000);
	else
		snprintf(buf, len, "%.2f s", us / 1000000);
	return buf;
}

char *hc_format_seconds(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	snprintf(buf, len, s < 100 ? "%.2f s" : "%.1f s", s);
	return buf;
}

double hc_rate_mbps(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes * 1000.0 / (double)ns : 0;
}

static double percent(uint64_t part, uint64_t whole)
{
	if (!whole)
		return 100;
	return part >= whole ? 100 : 100.0 * (double)part / (double)whole;
}

char *hc_format_progress(char *buf, size_t len, const char *name,
			 const struct heca_stats *st, double mbps)
{
	char t[HC_TIME_BUF];

	if (st->state != HECA_STATE_RUNNING) {
		snprintf(buf, len, "%s: %s%s", name, hc_state_name(st->state),
			 st->state == HECA_STATE_CONNECTED ?
			 ", waiting for the switchover" : "");
		return buf;
	}
	hc_format_seconds(st->elapsed_ns, t, sizeof(t));
	if (st->role)
		snprintf(buf, len,
			 "%s: %5.1f%% present (%" PRIu64 "/%" PRIu64 " pages), %" PRIu64
			 " on demand, %" PRIu64 " prefetched, %.1f MB/s, %s",
			 name, percent(st->pages_present, st->pages_remote),
			 (uint64_t)st->pages_present, (uint64_t)st->pages_remote,
			 (uint64_t)st->pages_on_demand,
			 (uint64_t)st->pages_prefetched, mbps, t);
	else
		snprintf(buf, len,
			 "%s: %5.1f%% sent (%" PRIu64 "/%" PRIu64 " pages), %" PRIu64
			 " requests, %.1f MB/s, %s",
			 name, percent(st->pages_sent, st->pages_remote),
			 (uint64_t)st->pages_sent, (uint64_t)st->pages_remote,
			 (uint64_t)st->requests, mbps, t);
	return buf;
}
