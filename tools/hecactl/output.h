/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: printing results, as a table for people or JSON for scripts
 * (both from the same calls, print.h).
 */
#ifndef HECACTL_OUTPUT_H
#define HECACTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/heca.h>

/*
 * Regions as a table "NAME SIZE RESIDENT USERS ROLE" with human-readable
 * sizes, or (@json) as a JSON array of objects { "name", "size_bytes",
 * "resident_pages", "resident_bytes", "users", "role" }; the role is
 * "source" or "dest".  @page_size converts resident pages to bytes.
 * Return 0, or -1 when out of memory.
 */
int hc_print_regions(FILE *f, bool json, const struct heca_region_info *r,
		     size_t n, uint64_t page_size);

/*
 * HECA_IOC_STATS of the region @name.  For people: state, role,
 * transport, pages, traffic, faults, fault service times (min, avg, max,
 * and p50 and p99 estimated from the histogram) and a bar chart of the
 * histogram's non-empty buckets.  With @json one object: the fields of
 * struct heca_stats under their names, with state, role and transport as
 * words, error_name and error_message, fault_us_avg/p50/p99 (null without
 * measurements) and fault_hist, an array of { "lo_us", "hi_us", "count" }
 * (hi_us null for the open last bucket).  Returns 0, or -1 when out of
 * memory.
 */
int hc_print_stats(FILE *f, bool json, const char *name, const struct heca_stats *st,
		   uint64_t page_size);
/* The figures of a completed session, a few lines. */
void hc_print_figures(FILE *f, const char *name, const struct heca_stats *st);

#endif /* HECACTL_OUTPUT_H */
