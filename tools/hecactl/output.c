// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: tables and JSON (see output.h).
 */
#include <inttypes.h>
#include <string.h>

#include <json.h>

#include "control.h"
#include "output.h"
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

int hc_print_regions_table(FILE *f, const struct heca_region_info *r, size_t n,
			   uint64_t page_size)
{
	int wname = (int)strlen("NAME"), wsize = (int)strlen("SIZE");
	int wres = (int)strlen("RESIDENT");
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF];

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
	fprintf(f, "%-*s  %*s  %*s  %s  %s\n", wname, "NAME", wsize, "SIZE", wres,
		"RESIDENT", "USERS", "ROLE");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-*.*s  %*s  %*s  %5" PRIu32 "  %s\n", wname, name_len(&r[i]),
			r[i].name, wsize, heca_format_size(r[i].size, a, sizeof(a)),
			wres, heca_format_size(resident_bytes(&r[i], page_size), b, sizeof(b)),
			(uint32_t)r[i].users, region_role(&r[i]));
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = json_object_new_uint64(v);

	if (!j || json_object_object_add(o, key, j)) {
		json_object_put(j);
		return -1;
	}
	return 0;
}

static int add_string(struct json_object *o, const char *key, const char *v)
{
	struct json_object *j = v ? json_object_new_string(v) : NULL;

	if ((v && !j) || json_object_object_add(o, key, j)) {
		json_object_put(j);
		return -1;
	}
	return 0;
}

static struct json_object *region_json(const struct heca_region_info *r,
				       uint64_t page_size)
{
	struct json_object *o = json_object_new_object();
	struct json_object *name;

	if (!o)
		return NULL;
	name = json_object_new_string_len(r->name, name_len(r));
	if (!name || json_object_object_add(o, "name", name)) {
		json_object_put(name);
		goto fail;
	}
	if (add_u64(o, "size_bytes", r->size) ||
	    add_u64(o, "resident_pages", r->resident) ||
	    add_u64(o, "resident_bytes", resident_bytes(r, page_size)) ||
	    add_u64(o, "users", r->users) ||
	    add_string(o, "role", region_role(r)))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int hc_print_regions_json(FILE *f, const struct heca_region_info *r, size_t n,
			  uint64_t page_size)
{
	struct json_object *arr = json_object_new_array();
	const char *text;

	if (!arr)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = region_json(&r[i], page_size);

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			json_object_put(arr);
			return -1;
		}
	}
	text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		json_object_put(arr);
		return -1;
	}
	fprintf(f, "%s\n", text);
	json_object_put(arr);
	return 0;
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

void hc_print_stats_text(FILE *f, const char *name, const struct heca_stats *st,
			 uint64_t page_size)
{
	const char *transport = hc_transport_name(st->transport);
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF], t[HC_TIME_BUF], e[96];

	fprintf(f, "%s: %s (%s%s%s)", name,
		st->state == HECA_STATE_NONE ? "no session" : hc_state_name(st->state),
		hc_role_name(st->role), transport ? ", " : "",
		transport ? transport : "");
	if (st->state == HECA_STATE_FAILED)
		fprintf(f, ": %s", error_text(st->error, e, sizeof(e)));
	fputc('\n', f);
	if (st->state == HECA_STATE_NONE) {
		fprintf(f, "  pages:    %" PRIu64 " total (%s)\n", (uint64_t)st->pages_total,
			heca_format_size(st->pages_total * page_size, a, sizeof(a)));
		return;
	}

	fprintf(f, "  pages:    %" PRIu64 " total (%s), %" PRIu64 " at the source",
		(uint64_t)st->pages_total,
		heca_format_size(st->pages_total * page_size, a, sizeof(a)),
		(uint64_t)st->pages_remote);
	if (st->role)
		fprintf(f, ", %" PRIu64 " present (%.1f%%), %" PRIu64 " zero made here\n"
			"            %" PRIu64 " on demand, %" PRIu64 " prefetched\n",
			(uint64_t)st->pages_present,
			st->pages_remote ? 100.0 * (double)st->pages_present /
					   (double)st->pages_remote : 0.0,
			(uint64_t)st->pages_zero, (uint64_t)st->pages_on_demand,
			(uint64_t)st->pages_prefetched);
	else
		fprintf(f, ", %" PRIu64 " sent\n", (uint64_t)st->pages_sent);
	fprintf(f, "  traffic:  %s received, %s sent, %" PRIu64 " requests, ",
		heca_format_size(st->bytes_rx, a, sizeof(a)),
		heca_format_size(st->bytes_tx, b, sizeof(b)), (uint64_t)st->requests);
	if (st->elapsed_ns)
		fprintf(f, "%s since the switchover\n",
			hc_format_seconds(st->elapsed_ns, t, sizeof(t)));
	else
		fputs("no switchover yet\n", f);
	if (!st->role)
		return;
	fprintf(f, "  faults:   %" PRIu64 " asked for a page, %" PRIu64 " nowait answers, %" PRIu64 " async waits\n",
		(uint64_t)st->faults, (uint64_t)st->faults_nowait,
		(uint64_t)st->faults_async);
	if (!st->fault_count) {
		fputs("  service:  none measured\n", f);
		return;
	}
	fprintf(f, "  service:  %" PRIu64 " measured: ", (uint64_t)st->fault_count);
	print_service(f, st);
	fputc('\n', f);
	print_hist(f, st);
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

static int add_us(struct json_object *o, const char *key, double us)
{
	if (us < 0)
		return json_object_object_add(o, key, NULL) ? -1 : 0;
	return add_u64(o, key, (uint64_t)(us + 0.5));
}

static struct json_object *hist_json(const struct heca_stats *st)
{
	struct json_object *arr = json_object_new_array();
	uint64_t lo, hi;

	if (!arr)
		return NULL;
	for (unsigned int i = 0; i < HECA_HIST_BUCKETS; i++) {
		struct json_object *b = json_object_new_object();

		hc_hist_bounds(i, &lo, &hi);
		if (!b || add_u64(b, "lo_us", lo) ||
		    (hi ? add_u64(b, "hi_us", hi) :
			  json_object_object_add(b, "hi_us", NULL)) ||
		    add_u64(b, "count", st->fault_hist[i]) ||
		    json_object_array_add(arr, b)) {
			json_object_put(b);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

int hc_print_stats_json(FILE *f, const char *name, const struct heca_stats *st,
			uint64_t page_size)
{
	struct json_object *o = json_object_new_object();
	struct json_object *hist;
	char nb[24];
	const char *text;

	if (!o)
		return -1;
	if (add_string(o, "name", name) ||
	    add_string(o, "state", hc_state_name(st->state)) ||
	    add_u64(o, "error", st->error) ||
	    add_string(o, "error_name", st->error ?
		       hc_errno_name((int)st->error, nb, sizeof(nb)) : NULL) ||
	    add_string(o, "error_message", st->error ?
		       strerror((int)st->error) : NULL) ||
	    add_string(o, "role", hc_role_name(st->role)) ||
	    add_string(o, "transport", hc_transport_name(st->transport)) ||
	    add_u64(o, "page_size", page_size) ||
	    add_u64(o, "pages_total", st->pages_total) ||
	    add_u64(o, "pages_remote", st->pages_remote) ||
	    add_u64(o, "pages_present", st->pages_present) ||
	    add_u64(o, "pages_zero", st->pages_zero) ||
	    add_u64(o, "pages_on_demand", st->pages_on_demand) ||
	    add_u64(o, "pages_prefetched", st->pages_prefetched) ||
	    add_u64(o, "pages_sent", st->pages_sent) ||
	    add_u64(o, "bytes_rx", st->bytes_rx) ||
	    add_u64(o, "bytes_tx", st->bytes_tx) ||
	    add_u64(o, "requests", st->requests) ||
	    add_u64(o, "elapsed_ns", st->elapsed_ns) ||
	    add_u64(o, "faults", st->faults) ||
	    add_u64(o, "faults_nowait", st->faults_nowait) ||
	    add_u64(o, "faults_async", st->faults_async) ||
	    add_u64(o, "fault_count", st->fault_count) ||
	    add_u64(o, "fault_ns_min", st->fault_ns_min) ||
	    add_u64(o, "fault_ns_max", st->fault_ns_max) ||
	    add_u64(o, "fault_ns_sum", st->fault_ns_sum) ||
	    add_us(o, "fault_us_avg", avg_us(st)) ||
	    add_us(o, "fault_us_p50", pct_us(st, 0.50)) ||
	    add_us(o, "fault_us_p99", pct_us(st, 0.99)))
		goto fail;
	hist = hist_json(st);
	if (!hist || json_object_object_add(o, "fault_hist", hist)) {
		json_object_put(hist);
		goto fail;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto fail;
	fprintf(f, "%s\n", text);
	json_object_put(o);
	return 0;
fail:
	json_object_put(o);
	return -1;
}
