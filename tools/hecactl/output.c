// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: regions and session statistics, as text or JSON from the same
 * calls (see output.h, print.h).
 */
#include <inttypes.h>
#include <string.h>

#include "control.h"
#include "output.h"
#include "print.h"
#include "heca.h"
#include "stats.h"

/* The kernel NUL-terminates names; do not trust it to. */
static int name_len(const struct heca_region_info *r)
{
	return (int)strnlen(r->name, sizeof(r->name));
}

static const char *region_role(const struct heca_region_info *r)
{
	return hc_role_name(r->flags & HECA_REGION_DEST);
}

static uint64_t resident_bytes(const struct heca_region_info *r, uint64_t page_size)
{
	if (page_size && r->resident > UINT64_MAX / page_size)
		return UINT64_MAX;
	return r->resident * page_size;
}

int hc_print_regions(FILE *f, bool json, const struct heca_region_info *r,
		     size_t n, uint64_t page_size)
{
	int wname = (int)strlen("NAME"), wsize = (int)strlen("SIZE");
	int wres = (int)strlen("RESIDENT");
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF], name[HECA_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		int l;

		if (name_len(&r[i]) > wname)
			wname = name_len(&r[i]);
		l = (int)strlen(heca_format_size(r[i].size, a, sizeof(a)));
		if (l > wsize)
			wsize = l;
		l = (int)strlen(heca_format_size(resident_bytes(&r[i], page_size), a, sizeof(a)));
		if (l > wres)
			wres = l;
	}
	hc_print_start(f, json, true);
	hc_print_fp("%-*s  %*s  %*s  %s  %s\n", wname, "NAME", wsize, "SIZE", wres,
		    "RESIDENT", "USERS", "ROLE");
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", name_len(&r[i]), r[i].name);
		hc_print_open_object(NULL);
		hc_print_string(HC_PRINT_JSON, "name", NULL, name);
		hc_print_fp("%-*s  ", wname, name);
		hc_print_u64(HC_PRINT_JSON, "size_bytes", NULL, r[i].size);
		hc_print_fp("%*s  ", wsize, heca_format_size(r[i].size, a, sizeof(a)));
		hc_print_u64(HC_PRINT_JSON, "resident_pages", NULL, r[i].resident);
		hc_print_u64(HC_PRINT_JSON, "resident_bytes", NULL,
			     resident_bytes(&r[i], page_size));
		hc_print_fp("%*s  ", wres,
			    heca_format_size(resident_bytes(&r[i], page_size), b, sizeof(b)));
		hc_print_u64(HC_PRINT_ANY, "users", "%5" PRIu64 "  ", r[i].users);
		hc_print_string(HC_PRINT_ANY, "role", "%s\n", region_role(&r[i]));
		hc_print_close_object();
	}
	return hc_print_end();
}

/* ---- session statistics ----------------------------------------------- */

static char *error_text(uint32_t err, char *buf, size_t len)
{
	char nb[24];

	snprintf(buf, len, "%s (%s)", strerror((int)err),
		 hc_errno_name((int)err, nb, sizeof(nb)));
	return buf;
}

static double avg_us(const struct heca_stats *st)
{
	return st->fault_count ?
	       (double)st->fault_ns_sum / (double)st->fault_count / 1000.0 : -1;
}

static double pct_us(const struct heca_stats *st, double p)
{
	return hc_hist_percentile(st->fault_hist, HECA_HIST_BUCKETS, p,
				  (double)st->fault_ns_min / 1000.0,
				  (double)st->fault_ns_max / 1000.0);
}

/* "min 85 us, avg 310 us, p50 ~256 us, p99 ~2.1 ms, max 5.2 ms" */
static void print_service(FILE *f, const struct heca_stats *st)
{
	char a[HC_TIME_BUF], b[HC_TIME_BUF], c[HC_TIME_BUF], d[HC_TIME_BUF],
	     e[HC_TIME_BUF];

	fprintf(f, "min %s, avg %s, p50 ~%s, p99 ~%s, max %s",
		hc_format_us((double)st->fault_ns_min / 1000.0, a, sizeof(a)),
		hc_format_us(avg_us(st), b, sizeof(b)),
		hc_format_us(pct_us(st, 0.50), c, sizeof(c)),
		hc_format_us(pct_us(st, 0.99), d, sizeof(d)),
		hc_format_us((double)st->fault_ns_max / 1000.0, e, sizeof(e)));
}

static void print_hist(FILE *f, const struct heca_stats *st)
{
	const int width = 30;
	uint64_t top = 0, lo, hi;
	char range[48];
	int cw;

	for (unsigned int i = 0; i < HECA_HIST_BUCKETS; i++)
		if (st->fault_hist[i] > top)
			top = st->fault_hist[i];
	if (!top)
		return;
	cw = snprintf(range, sizeof(range), "%" PRIu64, top);
	fputs("  histogram of fault service times:\n", f);
	for (unsigned int i = 0; i < HECA_HIST_BUCKETS; i++) {
		uint64_t n = st->fault_hist[i];
		int bar;

		if (!n)
			continue;
		hc_hist_bounds(i, &lo, &hi);
		if (hi)
			snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64 " us", lo, hi);
		else
			snprintf(range, sizeof(range), "%" PRIu64 "+ us", lo);
		bar = (int)((n * (uint64_t)width + top - 1) / top);
		fprintf(f, "    %18s  %-*.*s  %*" PRIu64 "\n", range, width, bar,
			"##############################", cw, n);
	}
}

/* What a call prints: both, or the JSON only when the text leaves it out. */
/* Prefetched pages a fault touched later, of those prefetched, in %. */
static double prefetch_accuracy(const struct heca_stats *st)
{
	return st->prefetch_pages ?
	       100.0 * (double)st->prefetch_used / (double)st->prefetch_pages : 0.0;
}

/* Faults that found their page prefetched, of all that fetched, in %. */
static double prefetch_coverage(const struct heca_stats *st)
{
	uint64_t all = st->prefetch_used + st->pages_on_demand;

	return all ? 100.0 * (double)st->prefetch_used / (double)all : 0.0;
}

static int text_if(bool shown)
{
	return shown ? HC_PRINT_ANY : HC_PRINT_JSON;
}

/* Microseconds, rounded, or null when there is none (@us < 0). */
static void print_us(const char *key, double us)
{
	if (us < 0)
		hc_print_null(HC_PRINT_JSON, key, NULL);
	else
		hc_print_u64(HC_PRINT_JSON, key, NULL, (uint64_t)(us + 0.5));
}

static void hist_json(const struct heca_stats *st)
{
	uint64_t lo, hi;

	hc_print_open_array("fault_hist");
	for (unsigned int i = 0; i < HECA_HIST_BUCKETS; i++) {
		hc_hist_bounds(i, &lo, &hi);
		hc_print_open_object(NULL);
		hc_print_u64(HC_PRINT_JSON, "lo_us", NULL, lo);
		if (hi)
			hc_print_u64(HC_PRINT_JSON, "hi_us", NULL, hi);
		else
			hc_print_null(HC_PRINT_JSON, "hi_us", NULL);
		hc_print_u64(HC_PRINT_JSON, "count", NULL, st->fault_hist[i]);
		hc_print_close_object();
	}
	hc_print_close_array();
}

int hc_print_stats(FILE *f, bool json, const char *name, const struct heca_stats *st,
		   uint64_t page_size)
{
	const char *transport = hc_transport_name(st->transport);
	bool none = st->state == HECA_STATE_NONE, dest = st->role;
	bool faults = !none && dest, measured = faults && st->fault_count;
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF], t[HC_TIME_BUF], e[96], nb[24];

	hc_print_start(f, json, false);
	hc_print_string(HC_PRINT_ANY, "name", "%s: ", name);
	hc_print_string(HC_PRINT_JSON, "state", NULL, hc_state_name(st->state));
	hc_print_fp("%s (", none ? "no session" : hc_state_name(st->state));
	hc_print_u64(HC_PRINT_JSON, "error", NULL, st->error);
	hc_print_string(HC_PRINT_JSON, "error_name", NULL, st->error ?
			hc_errno_name((int)st->error, nb, sizeof(nb)) : NULL);
	hc_print_string(HC_PRINT_JSON, "error_message", NULL, st->error ?
			strerror((int)st->error) : NULL);
	hc_print_string(HC_PRINT_ANY, "role", "%s", hc_role_name(st->role));
	if (transport)
		hc_print_string(HC_PRINT_ANY, "transport", ", %s", transport);
	else
		hc_print_null(HC_PRINT_JSON, "transport", NULL);
	hc_print_fp(")");
	if (st->state == HECA_STATE_FAILED)
		hc_print_fp(": %s", error_text(st->error, e, sizeof(e)));
	hc_print_fp("\n");

	hc_print_u64(HC_PRINT_JSON, "page_size", NULL, page_size);
	hc_print_u64(HC_PRINT_ANY, "pages_total", "  pages:    %" PRIu64 " total", st->pages_total);
	hc_print_fp(" (%s)", heca_format_size(st->pages_total * page_size, a, sizeof(a)));
	if (none)
		hc_print_fp("\n");
	hc_print_u64(text_if(!none), "pages_remote", ", %" PRIu64 " at the source",
		     st->pages_remote);
	hc_print_u64(text_if(!none && dest), "pages_present", ", %" PRIu64 " present",
		     st->pages_present);
	if (!none && dest)
		hc_print_fp(" (%.1f%%)", st->pages_remote ? 100.0 * (double)st->pages_present /
					 (double)st->pages_remote : 0.0);
	hc_print_u64(text_if(!none && dest), "pages_zero", ", %" PRIu64 " zero made here\n",
		     st->pages_zero);
	hc_print_u64(text_if(!none && dest), "pages_on_demand",
		     "            %" PRIu64 " on demand", st->pages_on_demand);
	hc_print_u64(text_if(!none && dest), "pages_prefetched",
		     ", %" PRIu64 " prefetched\n", st->pages_prefetched);
	hc_print_u64(text_if(!none && !dest), "pages_sent", ", %" PRIu64 " sent\n",
		     st->pages_sent);
	hc_print_u64(text_if(!none && dest), "prefetch_pages",
		     "  prefetch: %" PRIu64 " pages around faults", st->prefetch_pages);
	hc_print_u64(text_if(!none && dest), "prefetch_used", ", %" PRIu64 " touched",
		     st->prefetch_used);
	if (!none && dest)
		hc_print_fp(" (accuracy %.0f%%, coverage %.0f%%)\n",
			    prefetch_accuracy(st), prefetch_coverage(st));

	hc_print_u64(HC_PRINT_JSON, "bytes_rx", NULL, st->bytes_rx);
	hc_print_u64(HC_PRINT_JSON, "bytes_tx", NULL, st->bytes_tx);
	if (!none)
		hc_print_fp("  traffic:  %s received, %s sent, ",
			    heca_format_size(st->bytes_rx, a, sizeof(a)),
			    heca_format_size(st->bytes_tx, b, sizeof(b)));
	hc_print_u64(text_if(!none), "requests", "%" PRIu64 " requests, ", st->requests);
	hc_print_u64(HC_PRINT_JSON, "elapsed_ns", NULL, st->elapsed_ns);
	if (!none && st->elapsed_ns)
		hc_print_fp("%s since the switchover\n",
			    hc_format_seconds(st->elapsed_ns, t, sizeof(t)));
	else if (!none)
		hc_print_fp("no switchover yet\n");

	hc_print_u64(text_if(faults), "faults", "  faults:   %" PRIu64 " asked for a page",
		     st->faults);
	hc_print_u64(text_if(faults), "faults_nowait", ", %" PRIu64 " nowait answers",
		     st->faults_nowait);
	hc_print_u64(text_if(faults), "faults_async", ", %" PRIu64 " async waits\n",
		     st->faults_async);
	if (faults && !measured)
		hc_print_fp("  service:  none measured\n");
	hc_print_u64(text_if(measured), "fault_count", "  service:  %" PRIu64 " measured: ",
		     st->fault_count);
	hc_print_u64(HC_PRINT_JSON, "fault_ns_min", NULL, st->fault_ns_min);
	hc_print_u64(HC_PRINT_JSON, "fault_ns_max", NULL, st->fault_ns_max);
	hc_print_u64(HC_PRINT_JSON, "fault_ns_sum", NULL, st->fault_ns_sum);
	print_us("fault_us_avg", avg_us(st));
	print_us("fault_us_p50", pct_us(st, 0.50));
	print_us("fault_us_p99", pct_us(st, 0.99));
	if (measured && !json) {
		print_service(f, st);
		fputc('\n', f);
		print_hist(f, st);
	}
	hist_json(st);
	return hc_print_end();
}

void hc_print_figures(FILE *f, const char *name, const struct heca_stats *st)
{
	uint64_t bytes = st->role ? st->bytes_rx : st->bytes_tx;
	char a[HECA_SIZE_BUF], t[HC_TIME_BUF];

	fprintf(f, "%s: complete in %s: %" PRIu64 " pages %s (%s on the wire, %.1f MB/s) in %" PRIu64 " requests\n",
		name, hc_format_seconds(st->elapsed_ns, t, sizeof(t)),
		(uint64_t)(st->role ? st->pages_present : st->pages_sent),
		st->role ? "received" : "sent", heca_format_size(bytes, a, sizeof(a)),
		hc_rate_mbps(bytes, st->elapsed_ns), (uint64_t)st->requests);
	if (!st->role)
		return;
	fprintf(f, "  %" PRIu64 " on demand, %" PRIu64 " prefetched, %" PRIu64 " zero pages made here\n",
		(uint64_t)st->pages_on_demand, (uint64_t)st->pages_prefetched,
		(uint64_t)st->pages_zero);
	fprintf(f, "  faults: %" PRIu64 " asked for a page, %" PRIu64 " nowait answers, %" PRIu64 " async waits",
		(uint64_t)st->faults, (uint64_t)st->faults_nowait,
		(uint64_t)st->faults_async);
	if (st->fault_count) {
		fputs("; service ", f);
		print_service(f, st);
	}
	fputc('\n', f);
}

