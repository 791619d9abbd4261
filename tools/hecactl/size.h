/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: sizes, parsed from and formatted for people.  Pure functions.
 */
#ifndef HECACTL_SIZE_H
#define HECACTL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Room for any hc_format_size() result ("1023.9KiB", "16EiB", ...). */
#define HC_SIZE_BUF	16

/*
 * Parse @s: decimal digits, then nothing (bytes) or a binary unit K, M, G or
 * T (x 1024^1..4), optionally followed by "iB" or "B"; a bare "B" means
 * bytes.  Units are case-insensitive: 4096, 4096B, 64M, 64MiB, 2g, 1GiB.
 * No sign, space, fraction or hex.  Returns 0 and sets *@out, or -1 and sets
 * *@why to a static reason.  Zero parses: range checks are separate.
 */
int hc_parse_size(const char *s, uint64_t *out, const char **why);

/*
 * Is @size acceptable for a region: non-zero, a multiple of @page_size
 * (a power of two), at most @max?  Returns 0, or -1 with a reason in @why.
 */
int hc_check_region_size(uint64_t size, uint64_t page_size, uint64_t max,
			 char *why, size_t whylen);

/*
 * Format @bytes with binary units: exact multiples print without a
 * fraction ("64MiB", "4KiB", "512B"), others rounded to one decimal
 * ("1.5GiB", "1.0GiB" for a bit more than 1 GiB).  Returns @buf.
 */
char *hc_format_size(uint64_t bytes, char *buf, size_t len);

#endif /* HECACTL_SIZE_H */
