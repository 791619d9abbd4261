/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: printing results, as a table for people or JSON for scripts.
 */
#ifndef HECACTL_OUTPUT_H
#define HECACTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/heca.h>

/*
 * Regions as a table "NAME SIZE RESIDENT USERS" with human-readable sizes,
 * or as a JSON array of objects { "name", "size_bytes", "resident_pages",
 * "resident_bytes", "users" }.  @page_size converts resident pages to bytes.
 * Return 0, or -1 when out of memory.
 */
int hc_print_regions_table(FILE *f, const struct heca_region_info *r, size_t n,
			   uint64_t page_size);
int hc_print_regions_json(FILE *f, const struct heca_region_info *r, size_t n,
			  uint64_t page_size);

#endif /* HECACTL_OUTPUT_H */
