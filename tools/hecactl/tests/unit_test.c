// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of hecactl's pure parts: size parsing and checking, size
 * formatting, region names, option parsing.  Runs on the build host:
 * "make -C tools/hecactl test".  Ends with "N passed, N failed"; exits 1
 * if anything failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/heca.h>

#include "args.h"
#include "name.h"
#include "size.h"

static int passed, failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			passed++;					\
		} else {						\
			failed++;					\
			printf("FAIL %s:%d: ", __FILE__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	} while (0)

#define KiB	(1ULL << 10)
#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define TiB	(1ULL << 40)

static void size_ok(const char *s, uint64_t want)
{
	const char *why = NULL;
	uint64_t got = 0;
	int rc = hc_parse_size(s, &got, &why);

	CHECK(rc == 0 && got == want, "parse_size(\"%s\") = %d, %" PRIu64
	      " (%s); want %" PRIu64, s, rc, got, why ? why : "-", want);
}

static void size_bad(const char *s, const char *why_part)
{
	const char *why = NULL;
	uint64_t got = 0;
	int rc = hc_parse_size(s, &got, &why);

	CHECK(rc == -1 && why && strstr(why, why_part),
	      "parse_size(\"%s\") = %d, %" PRIu64 " (%s); want an error with \"%s\"",
	      s ? s : "(null)", rc, got, why ? why : "-", why_part);
}

static void test_parse_size(void)
{
	size_ok("4096", 4096);
	size_ok("0", 0);
	size_ok("007", 7);
	size_ok("4096B", 4096);
	size_ok("1K", KiB);
	size_ok("1k", KiB);
	size_ok("4KiB", 4 * KiB);
	size_ok("4KB", 4 * KiB);
	size_ok("64M", 64 * MiB);
	size_ok("64MiB", 64 * MiB);
	size_ok("64mib", 64 * MiB);
	size_ok("64MB", 64 * MiB);
	size_ok("2G", 2 * GiB);
	size_ok("2g", 2 * GiB);
	size_ok("1GiB", GiB);
	size_ok("1GB", GiB);
	size_ok("1T", TiB);
	size_ok("1TiB", TiB);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("16777215T", 16777215ULL << 40);

	size_bad(NULL, "empty");
	size_bad("", "empty");
	size_bad("-1", "negative");
	size_bad("-64M", "negative");
	size_bad("+1", "not a number");
	size_bad(" 1", "not a number");
	size_bad("M", "not a number");
	size_bad("abc", "not a number");
	size_bad("0x1000", "unit");
	size_bad("1 G", "unit");
	size_bad("1G ", "unit");
	size_bad("1Q", "unit");
	size_bad("1GiBB", "unit");
	size_bad("1iB", "unit");
	size_bad("1Gi", "unit");
	size_bad("1P", "unit");
	size_bad("64M64", "unit");
	size_bad("1.5G", "fraction");
	size_bad("1,5G", "fraction");
	size_bad("18446744073709551616", "too large");
	size_bad("99999999999999999999999", "too large");
	size_bad("16777216T", "too large");
	size_bad("17179869184G", "too large");
}

static void region_size(uint64_t size, const char *why_part)
{
	char why[128] = "";
	int rc = hc_check_region_size(size, 4096, HECA_REGION_MAX_BYTES, why, sizeof(why));

	if (!why_part)
		CHECK(rc == 0, "check_region_size(%" PRIu64 ") = %d (%s); want ok", size, rc, why);
	else
		CHECK(rc == -1 && strstr(why, why_part),
		      "check_region_size(%" PRIu64 ") = %d (%s); want an error with \"%s\"",
		      size, rc, why, why_part);
}

static void test_region_size(void)
{
	char why[128] = "";

	region_size(4096, NULL);
	region_size(64 * MiB, NULL);
	region_size(TiB, NULL);
	region_size(TiB - 4096, NULL);
	region_size(0, "zero");
	region_size(1, "page size (4096 bytes)");
	region_size(4095, "page size");
	region_size(4097, "page size");
	region_size(64 * MiB + 512, "page size");
	region_size(TiB + 4096, "larger than the largest region (1TiB)");
	region_size(2 * TiB, "2TiB is larger");
	region_size(UINT64_MAX, "larger");
	/* another page size */
	CHECK(hc_check_region_size(16384, 16384, TiB, why, sizeof(why)) == 0,
	      "16K pages: 16384 refused (%s)", why);
	CHECK(hc_check_region_size(8192, 16384, TiB, why, sizeof(why)) == -1,
	      "16K pages: 8192 accepted");
}

static void fmt(uint64_t bytes, const char *want)
{
	char buf[HC_SIZE_BUF];

	hc_format_size(bytes, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "format_size(%" PRIu64 ") = \"%s\"; want \"%s\"",
	      bytes, buf, want);
}

static void test_format_size(void)
{
	fmt(0, "0B");
	fmt(1, "1B");
	fmt(1023, "1023B");
	fmt(1024, "1KiB");
	fmt(4096, "4KiB");
	fmt(1536, "1.5KiB");
	fmt(1025, "1.0KiB");		/* not exact: a fraction is shown */
	fmt(1075, "1.0KiB");		/* 1.0498 */
	fmt(1076, "1.1KiB");		/* 1.0508 */
	fmt(1048575, "1.0MiB");		/* 1023.999 KiB rounds up a unit */
	fmt(1048524, "1023.9KiB");
	fmt(64 * MiB, "64MiB");
	fmt(64 * MiB + 4096, "64.0MiB");
	fmt(1536 * MiB, "1.5GiB");
	fmt(2 * GiB, "2GiB");
	fmt(TiB, "1TiB");
	fmt(1023 * GiB, "1023GiB");
	fmt(1ULL << 50, "1PiB");
	fmt(1ULL << 60, "1EiB");
	fmt(UINT64_MAX, "16.0EiB");
	/* round trip of exact values through the parser */
	{
		static const uint64_t v[] = { 4096, 64 * MiB, 2 * GiB, TiB, 3 * KiB };

		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			char buf[HC_SIZE_BUF];
			const char *why;
			uint64_t back = 0;

			hc_format_size(v[i], buf, sizeof(buf));
			CHECK(hc_parse_size(buf, &back, &why) == 0 && back == v[i],
			      "round trip %" PRIu64 " -> \"%s\" -> %" PRIu64, v[i], buf, back);
		}
	}
	/* a small buffer truncates, never overflows */
	{
		char small[4] = "xyz";

		hc_format_size(64 * MiB, small, sizeof(small));
		CHECK(!strcmp(small, "64M"), "format_size into 4 bytes = \"%s\"", small);
	}
}

static void name_ok(const char *n)
{
	char why[128] = "";

	CHECK(hc_check_name(n, why, sizeof(why)) == 0, "name \"%s\" refused: %s", n, why);
}

static void name_bad(const char *n, const char *why_part)
{
	char why[128] = "";

	CHECK(hc_check_name(n, why, sizeof(why)) == -1 && strstr(why, why_part),
	      "name \"%s\": \"%s\"; want an error with \"%s\"", n, why, why_part);
}

static void test_names(void)
{
	char longest[HECA_NAME_MAX], too_long[HECA_NAME_MAX + 1];

	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';

	name_ok("vm1");
	name_ok("a");
	name_ok("VM_1.ram-0");
	name_ok("0");
	name_bad("-x", "start with");
	name_ok("a.");
	name_ok("a..b");
	name_ok("controller");
	name_ok("Control");		/* names are case-sensitive */
	name_ok(longest);

	name_bad("", "empty");
	name_bad(too_long, "longer than 31");
	name_bad(".hidden", "start with '.'");
	name_bad(".", "start with '.'");
	name_bad("..", "start with '.'");
	name_bad("control", "reserved");
	name_bad("a/b", "'/' is not allowed");
	name_bad("a b", "0x20");
	name_bad("vm\n", "0x0a");
	name_bad("vm\xc3\xa9", "0xc3");
	name_bad("vm:1", "':'");
	name_bad("vm*", "'*'");
}

static const struct hc_opt opts[] = {
	{ "size", 's', true },
	{ "json", 0, false },
	{ "verbose", 'v', false },
	{ NULL, 0, false },
};

static enum hc_args_result parse(struct hc_args *a, char *err, size_t errlen, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, errlen);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return hc_parse_args(argc, argv, opts, a, err, errlen);
}

static void test_args(void)
{
	struct hc_args a;
	char err[128];
	enum hc_args_result r;

	r = parse(&a, err, sizeof(err), "vm1", "--size", "64M", NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 1 && !strcmp(a.operand[0], "vm1") &&
	      a.value[0] && !strcmp(a.value[0], "64M") && !a.value[1],
	      "NAME --size V");
	r = parse(&a, err, sizeof(err), "--size=2G", "vm1", NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 1 && !strcmp(a.value[0], "2G"), "--size=V NAME");
	r = parse(&a, err, sizeof(err), "-s", "1G", "vm1", NULL);
	CHECK(r == HC_ARGS_OK && !strcmp(a.value[0], "1G"), "-s V");
	r = parse(&a, err, sizeof(err), "-s1G", "vm1", NULL);
	CHECK(r == HC_ARGS_OK && !strcmp(a.value[0], "1G"), "-sV");
	r = parse(&a, err, sizeof(err), "--size", "-1", NULL);
	CHECK(r == HC_ARGS_OK && !strcmp(a.value[0], "-1"), "a value may start with '-'");
	r = parse(&a, err, sizeof(err), "--size=", NULL);
	CHECK(r == HC_ARGS_OK && !strcmp(a.value[0], ""), "--size= gives an empty value");
	r = parse(&a, err, sizeof(err), "--json", NULL);
	CHECK(r == HC_ARGS_OK && a.value[1] && !a.value[0] && a.noperands == 0, "flag");
	r = parse(&a, err, sizeof(err), "--", "-x", "--json", NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 2 && !strcmp(a.operand[0], "-x") &&
	      !a.value[1], "-- ends options");
	r = parse(&a, err, sizeof(err), "-", NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 1, "'-' is an operand");
	r = parse(&a, err, sizeof(err), NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 0, "nothing");

	r = parse(&a, err, sizeof(err), "--help", NULL);
	CHECK(r == HC_ARGS_HELP, "--help");
	r = parse(&a, err, sizeof(err), "vm1", "-h", NULL);
	CHECK(r == HC_ARGS_HELP, "-h");
	r = parse(&a, err, sizeof(err), "--bogus", "--help", NULL);
	CHECK(r == HC_ARGS_HELP, "help wins over errors");
	r = parse(&a, err, sizeof(err), "--", "--help", NULL);
	CHECK(r == HC_ARGS_OK && a.noperands == 1, "--help after -- is an operand");

	r = parse(&a, err, sizeof(err), "--bogus", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "unknown option '--bogus'"), "unknown long: %s", err);
	r = parse(&a, err, sizeof(err), "-x", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "unknown option '-x'"), "unknown short: %s", err);
	r = parse(&a, err, sizeof(err), "--siz", "1", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "unknown option"), "no abbreviations: %s", err);
	r = parse(&a, err, sizeof(err), "--size", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "needs a value"), "missing value: %s", err);
	r = parse(&a, err, sizeof(err), "--json=1", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "takes no value"), "flag with value: %s", err);
	r = parse(&a, err, sizeof(err), "-vx", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "unknown option '-vx'"), "grouped flags: %s", err);
	r = parse(&a, err, sizeof(err), "-s", "1", "--size", "2", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "more than once"), "twice: %s", err);
	r = parse(&a, err, sizeof(err), "1", "2", "3", "4", "5", "6", "7", "8", "9", NULL);
	CHECK(r == HC_ARGS_ERROR && strstr(err, "too many arguments at '9'"), "too many: %s", err);
}

int main(void)
{
	test_parse_size();
	test_region_size();
	test_format_size();
	test_names();
	test_args();
	printf("hecactl unit tests\n%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
