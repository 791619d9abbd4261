// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: size parsing and formatting (see heca.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "heca.h"

static const char units[] = "KMGTPE";

static int parse_unit(const char *s, unsigned int *shift)
{
	static const struct {
		const char *text;
		unsigned int shift;
	} table[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MB", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GB", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TB", 40 }, { "TiB", 40 },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!strcasecmp(s, table[i].text)) {
			*shift = table[i].shift;
			return 0;
		}
	}
	return -1;
}

int heca_parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t v = 0;
	unsigned int shift;
	const char *p = s;

	if (!s || !*s) {
		*why = "empty";
		return -1;
	}
	if (*p == '-') {
		*why = "must not be negative";
		return -1;
	}
	if (*p < '0' || *p > '9') {
		*why = "not a number (expected digits, e.g. 4096, 64M or 2GiB)";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + d;
	}
	if ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
		*why = "fractions are not supported (use a smaller unit, e.g. 1536M)";
		return -1;
	}
	if (parse_unit(p, &shift)) {
		*why = "unknown unit (use K, M, G or T, optionally followed by iB or B)";
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		*why = "too large";
		return -1;
	}
	*out = v << shift;
	return 0;
}

int heca_check_region_size(uint64_t size, uint64_t page_size, uint64_t max,
			 char *why, size_t whylen)
{
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF];

	if (size == 0) {
		snprintf(why, whylen, "must not be zero");
		return -1;
	}
	if (size > max) {
		snprintf(why, whylen, "%s is larger than the largest region (%s)",
			 heca_format_size(size, a, sizeof(a)),
			 heca_format_size(max, b, sizeof(b)));
		return -1;
	}
	if (size & (page_size - 1)) {
		snprintf(why, whylen,
			 "%" PRIu64 " bytes is not a multiple of the page size (%" PRIu64 " bytes)",
			 size, page_size);
		return -1;
	}
	return 0;
}

char *heca_format_size(uint64_t bytes, char *buf, size_t len)
{
	unsigned int u = 0;	/* 1024^u is the unit; 0 means bytes */
	uint64_t q, r, tenths;

	while (u < sizeof(units) - 1 && (bytes >> (10 * (u + 1))) != 0)
		u++;
	if (u == 0) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return buf;
	}
	q = bytes >> (10 * u);			/* 1..1023 */
	r = bytes & ((1ULL << (10 * u)) - 1);
	if (r == 0) {
		snprintf(buf, len, "%" PRIu64 "%ciB", q, units[u - 1]);
		return buf;
	}
	/* r * 10 cannot overflow: r < 2^60 */
	tenths = q * 10 + ((r * 10 + (1ULL << (10 * u - 1))) >> (10 * u));
	if (tenths >= 10240 && u < sizeof(units) - 1) {
		/* 1023.95 and up round to the next unit */
		u++;
		tenths = 10;
	}
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%ciB", tenths / 10, tenths % 10,
		 units[u - 1]);
	return buf;
}
