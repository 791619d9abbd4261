// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of hecactl's pure parts: size parsing and checking, size
 * formatting, region names, option parsing, session endpoints, tokens, the
 * statistics helpers (histogram percentiles), and migrate's modes, round
 * lines and command statuses.  Runs on the build host:
 * "make -C tools/hecactl test".  Ends with "N passed, N failed"; exits 1
 * if anything failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/heca.h>

#include "heca.h"
#include "args.h"
#include "mig.h"
#include "stats.h"

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
	int rc = heca_parse_size(s, &got, &why);

	CHECK(rc == 0 && got == want, "parse_size(\"%s\") = %d, %" PRIu64
	      " (%s); want %" PRIu64, s, rc, got, why ? why : "-", want);
}

static void size_bad(const char *s, const char *why_part)
{
	const char *why = NULL;
	uint64_t got = 0;
	int rc = heca_parse_size(s, &got, &why);

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
	int rc = heca_check_region_size(size, 4096, HECA_REGION_MAX_BYTES, why, sizeof(why));

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
	CHECK(heca_check_region_size(16384, 16384, TiB, why, sizeof(why)) == 0,
	      "16K pages: 16384 refused (%s)", why);
	CHECK(heca_check_region_size(8192, 16384, TiB, why, sizeof(why)) == -1,
	      "16K pages: 8192 accepted");
}

static void fmt(uint64_t bytes, const char *want)
{
	char buf[HECA_SIZE_BUF];

	heca_format_size(bytes, buf, sizeof(buf));
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
			char buf[HECA_SIZE_BUF];
			const char *why;
			uint64_t back = 0;

			heca_format_size(v[i], buf, sizeof(buf));
			CHECK(heca_parse_size(buf, &back, &why) == 0 && back == v[i],
			      "round trip %" PRIu64 " -> \"%s\" -> %" PRIu64, v[i], buf, back);
		}
	}
	/* a small buffer truncates, never overflows */
	{
		char small[4] = "xyz";

		heca_format_size(64 * MiB, small, sizeof(small));
		CHECK(!strcmp(small, "64M"), "format_size into 4 bytes = \"%s\"", small);
	}
}

static void name_ok(const char *n)
{
	char why[128] = "";

	CHECK(heca_check_name(n, why, sizeof(why)) == 0, "name \"%s\" refused: %s", n, why);
}

static void name_bad(const char *n, const char *why_part)
{
	char why[128] = "";

	CHECK(heca_check_name(n, why, sizeof(why)) == -1 && strstr(why, why_part),
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
	{ "size", 's', true, NULL, 0 },
	{ "json", 0, false, NULL, 0 },
	{ "verbose", 'v', false, NULL, 0 },
	{ NULL, 0, false, NULL, 0 },
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

/* ---- endpoints ---------------------------------------------------------- */

static void addr_ok(const char *s, bool listen, int family, const char *ip,
		    unsigned int port, unsigned int scope)
{
	struct heca_addr a, want;
	char why[128] = "";
	int rc = heca_parse_addr(s, listen, &a, why, sizeof(why));

	memset(&want, 0, sizeof(want));
	inet_pton(family, ip, want.addr);
	CHECK(rc == 0 && a.family == family && a.port == port && a.scope_id == scope &&
	      !memcmp(a.addr, want.addr, sizeof(a.addr)),
	      "parse_addr(\"%s\") = %d (%s), family %u port %u scope %u",
	      s, rc, why, a.family, a.port, a.scope_id);
}

static void addr_bad(const char *s, bool listen, const char *why_part)
{
	struct heca_addr a;
	char why[128] = "";
	int rc = heca_parse_addr(s, listen, &a, why, sizeof(why));

	CHECK(rc == -1 && strstr(why, why_part),
	      "parse_addr(\"%s\") = %d (%s); want an error with \"%s\"",
	      s ? s : "(null)", rc, why, why_part);
}

static void test_addr(void)
{
	unsigned int lo = if_nametoindex("lo");

	addr_ok("192.0.2.2:7000", false, AF_INET, "192.0.2.2", 7000, 0);
	addr_ok("127.0.0.1:1", false, AF_INET, "127.0.0.1", 1, 0);
	addr_ok("10.1.2.3:65535", false, AF_INET, "10.1.2.3", 65535, 0);
	addr_ok("0.0.0.0:7000", true, AF_INET, "0.0.0.0", 7000, 0);
	addr_ok("[::1]:7000", false, AF_INET6, "::1", 7000, 0);
	addr_ok("[2001:db8::2]:7000", false, AF_INET6, "2001:db8::2", 7000, 0);
	addr_ok("[::]:7000", true, AF_INET6, "::", 7000, 0);
	addr_ok("[::ffff:192.0.2.2]:7000", false, AF_INET6, "::ffff:192.0.2.2", 7000, 0);
	addr_ok("[fe80::1%3]:7000", false, AF_INET6, "fe80::1", 7000, 3);
	if (lo)
		addr_ok("[fe80::1%lo]:7000", false, AF_INET6, "fe80::1", 7000, lo);

	addr_bad(NULL, false, "empty");
	addr_bad("", false, "empty");
	addr_bad("192.0.2.2", false, "missing ':PORT'");
	addr_bad("192.0.2.2:", false, "missing port");
	addr_bad("192.0.2.2:0", false, "1 to 65535");
	addr_bad("192.0.2.2:65536", false, "1 to 65535");
	addr_bad("192.0.2.2:-1", false, "1 to 65535");
	addr_bad("192.0.2.2:+80", false, "1 to 65535");
	addr_bad("192.0.2.2:80x", false, "1 to 65535");
	addr_bad("192.0.2.2: 80", false, "1 to 65535");
	addr_bad(":7000", true, "missing address");
	addr_bad("192.0.2:7000", false, "not an IPv4 address");
	addr_bad("192.0.2.256:7000", false, "not an IPv4 address");
	addr_bad("host.example:7000", false, "host names are not looked up");
	addr_bad("0.0.0.0:7000", false, "not an address to connect to");
	addr_bad("::1:7000", false, "in brackets");
	addr_bad("::1", false, "in brackets");
	addr_bad("[::1:7000", false, "missing ']'");
	addr_bad("[::1]", false, "missing ':PORT'");
	addr_bad("[::1]7000", false, "expected ':PORT'");
	addr_bad("[]:7000", false, "empty IPv6");
	addr_bad("[192.0.2.2]:7000", false, "not an IPv6 address");
	addr_bad("[::g]:7000", false, "not an IPv6 address");
	addr_bad("[::]:7000", false, "not an address to connect to");
	addr_bad("[fe80::1%]:7000", false, "empty scope");
	addr_bad("[fe80::1%0]:7000", false, "scope");
	addr_bad("[fe80::1%no-such-if0]:7000", false, "no network interface 'no-such-if0'");
}

/* ---- tokens ------------------------------------------------------------- */

static void token_bad(const char *s, const char *why_part)
{
	uint8_t t[HECA_TOKEN_BYTES];
	char why[128] = "";
	int rc = heca_parse_token(s, t, why, sizeof(why));

	CHECK(rc == -1 && strstr(why, why_part),
	      "parse_token(\"%s\") = %d (%s); want an error with \"%s\"", s, rc, why,
	      why_part);
}

/* Write @text to a temporary file; returns its path (static). */
static const char *token_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/hecactl-unit-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("token file");
		exit(2);
	}
	close(fd);
	return path;
}

static void token_file_is(const char *text, int want_rc, const char *why_part)
{
	static const uint8_t want[HECA_TOKEN_BYTES] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	const char *path = token_file(text);
	uint8_t t[HECA_TOKEN_BYTES];
	char why[128] = "";
	int rc = heca_read_token_file(path, t, why, sizeof(why));

	if (!want_rc)
		CHECK(rc == 0 && !memcmp(t, want, sizeof(t)),
		      "token file \"%s\": %d (%s)", text, rc, why);
	else
		CHECK(rc == want_rc && strstr(why, why_part),
		      "token file \"%s\": %d (%s); want %d with \"%s\"", text, rc,
		      why, want_rc, why_part);
	unlink(path);
}

static void test_tokens(void)
{
	static const char hex[] = "00112233445566778899aabbccddeeff";
	uint8_t t[HECA_TOKEN_BYTES], u[HECA_TOKEN_BYTES];
	char why[128] = "", buf[HECA_TOKEN_HEX + 1];
	char big[400];

	CHECK(heca_parse_token(hex, t, why, sizeof(why)) == 0 && t[0] == 0x00 &&
	      t[1] == 0x11 && t[15] == 0xff, "parse_token: %s", why);
	heca_format_token(t, buf);
	CHECK(!strcmp(buf, hex), "format_token: %s", buf);
	CHECK(heca_parse_token("00112233445566778899AABBCCDDEEFF", u, why, sizeof(why)) == 0 &&
	      !memcmp(t, u, sizeof(t)), "upper case: %s", why);
	CHECK(heca_parse_token("00000000000000000000000000000001", u, why, sizeof(why)) == 0 &&
	      u[15] == 1, "one bit set: %s", why);

	token_bad("", "0 hex digits, not 32");
	token_bad("0011", "4 hex digits, not 32");
	token_bad("00112233445566778899aabbccddeeff0", "33 hex digits");
	token_bad("00000000000000000000000000000000", "all zero");
	token_bad("0x112233445566778899aabbccddeeff", "'x' is not a hex digit");
	token_bad("00112233445566778899aabbccddeefg", "'g' is not a hex digit");
	token_bad("00112233445566778899aabbccddee f", "0x20");
	token_bad("00112233445566778899aabbccddeef\n", "0x0a");

	token_file_is("00112233445566778899aabbccddeeff", 0, NULL);
	token_file_is("00112233445566778899aabbccddeeff\n", 0, NULL);
	token_file_is("  00112233445566778899aabbccddeeff \r\n\n", 0, NULL);
	token_file_is("", -1, "empty");
	token_file_is("\n", -1, "empty");
	token_file_is("0011\n", -1, "4 hex digits");
	token_file_is("00112233445566778899aabbccddeeff\n00112233445566778899aabbccddeeff\n",
		      -1, "0x0a");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	token_file_is(big, -1, "longer than a token");
	CHECK(heca_read_token_file("/nonexistent/token", t, why, sizeof(why)) == ENOENT,
	      "missing token file is ENOENT");

	CHECK(heca_random_token(t) == 0 && heca_random_token(u) == 0 && memcmp(t, u, sizeof(t)),
	      "two random tokens differ");
	heca_format_token(t, buf);
	CHECK(heca_parse_token(buf, u, why, sizeof(why)) == 0 && !memcmp(t, u, sizeof(t)),
	      "a random token parses back: %s (%s)", buf, why);
}

/* ---- statistics ---------------------------------------------------------- */

static void near(double got, double want, const char *what)
{
	CHECK(fabs(got - want) < 0.01, "%s = %.3f; want %.3f", what, got, want);
}

static void test_hist(void)
{
	__u64 h[HECA_HIST_BUCKETS];
	uint64_t lo, hi;

	hc_hist_bounds(0, &lo, &hi);
	CHECK(lo == 0 && hi == 2, "bucket 0: [%" PRIu64 ", %" PRIu64 ")", lo, hi);
	hc_hist_bounds(1, &lo, &hi);
	CHECK(lo == 2 && hi == 4, "bucket 1: [%" PRIu64 ", %" PRIu64 ")", lo, hi);
	hc_hist_bounds(10, &lo, &hi);
	CHECK(lo == 1024 && hi == 2048, "bucket 10: [%" PRIu64 ", %" PRIu64 ")", lo, hi);
	hc_hist_bounds(HECA_HIST_BUCKETS - 1, &lo, &hi);
	CHECK(lo == 1ULL << (HECA_HIST_BUCKETS - 1) && hi == 0,
	      "last bucket is open: [%" PRIu64 ", %" PRIu64 ")", lo, hi);

	memset(h, 0, sizeof(h));
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.5, 0, 0), -1, "empty p50");

	/* 100 times in [128, 256): p50 in the middle, p99 near the top */
	h[7] = 100;
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.5, 0, 0), 192, "one bucket p50");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.99, 0, 0), 254.72, "one bucket p99");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 1.0, 0, 0), 256, "one bucket p100");
	/* clamped to the measured extremes */
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.99, 130, 200), 200, "p99 clamped to max");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.01, 150, 200), 150, "p1 clamped to min");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0, 0, 0), -1, "p0");

	/* a quarter in [64,128), a half in [128,256), a quarter in [1024,2048) */
	memset(h, 0, sizeof(h));
	h[6] = 256;
	h[7] = 512;
	h[10] = 256;
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.25, 0, 0), 128, "p25 at a bucket's end");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.5, 0, 0), 192, "p50");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.75, 0, 0), 256, "p75");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.99, 0, 0), 2007.04, "p99");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.99, 80, 1500), 1500, "p99 clamped");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.1, 80, 1500), 89.6, "p10");

	/* bucket 0 starts at 0 */
	memset(h, 0, sizeof(h));
	h[0] = 10;
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.5, 0, 0), 1, "bucket 0 p50");

	/* the open last bucket ends at the measured max, else twice its start */
	memset(h, 0, sizeof(h));
	h[HECA_HIST_BUCKETS - 1] = 2;
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 0.5, 0, 0),
	     1.5 * (double)(1ULL << (HECA_HIST_BUCKETS - 1)), "open bucket p50");
	near(hc_hist_percentile(h, HECA_HIST_BUCKETS, 1.0, 9e6, 10e6), 10e6, "open bucket p100");
}

static void us_is(double us, const char *want)
{
	char buf[HC_TIME_BUF];

	hc_format_us(us, buf, sizeof(buf));
	CHECK(!strcmp(buf, want), "format_us(%g) = \"%s\"; want \"%s\"", us, buf, want);
}

static void test_stats_values(void)
{
	struct heca_stats st;
	char why[128] = "", buf[256];
	uint64_t v = 0;
	uint32_t t = 0;

	CHECK(!strcmp(hc_state_name(HECA_STATE_NONE), "none") &&
	      !strcmp(hc_state_name(HECA_STATE_CONNECTED), "connected") &&
	      !strcmp(hc_state_name(HECA_STATE_RUNNING), "running") &&
	      !strcmp(hc_state_name(HECA_STATE_COMPLETE), "complete") &&
	      !strcmp(hc_state_name(HECA_STATE_FAILED), "failed") &&
	      !strcmp(hc_state_name(99), "unknown"), "state names");
	CHECK(!strcmp(hc_role_name(0), "source") && !strcmp(hc_role_name(1), "dest"),
	      "role names");
	CHECK(!strcmp(hc_transport_name(HECA_TRANSPORT_TCP), "tcp") &&
	      !strcmp(hc_transport_name(HECA_TRANSPORT_RDMA), "rdma") &&
	      !hc_transport_name(0) && !hc_transport_name(3), "transport names");
	CHECK(hc_parse_transport("tcp", &t) == 0 && t == HECA_TRANSPORT_TCP, "tcp");
	CHECK(hc_parse_transport("rdma", &t) == 0 && t == HECA_TRANSPORT_RDMA, "rdma");
	CHECK(hc_parse_transport("TCP", &t) == -1 && hc_parse_transport("", &t) == -1,
	      "bad transports");

	CHECK(hc_parse_uint("30", 1, 3600, &v, why, sizeof(why)) == 0 && v == 30, "30");
	CHECK(hc_parse_uint("3600", 1, 3600, &v, why, sizeof(why)) == 0 && v == 3600, "max");
	CHECK(hc_parse_uint("1", 1, 3600, &v, why, sizeof(why)) == 0 && v == 1, "min");
	CHECK(hc_parse_uint("0", 1, 3600, &v, why, sizeof(why)) == -1 &&
	      strstr(why, "from 1 to 3600"), "below min: %s", why);
	CHECK(hc_parse_uint("3601", 1, 3600, &v, why, sizeof(why)) == -1, "above max");
	CHECK(hc_parse_uint("99999999999999999999999", 1, 3600, &v, why, sizeof(why)) == -1,
	      "huge");
	CHECK(hc_parse_uint("", 1, 3600, &v, why, sizeof(why)) == -1, "empty");
	CHECK(hc_parse_uint("-5", 1, 3600, &v, why, sizeof(why)) == -1, "negative");
	CHECK(hc_parse_uint("5s", 1, 3600, &v, why, sizeof(why)) == -1, "unit");
	CHECK(hc_parse_uint(" 5", 1, 3600, &v, why, sizeof(why)) == -1, "space");

	us_is(-1, "-");
	us_is(0, "0.0 us");
	us_is(7.5, "7.5 us");
	us_is(85, "85 us");
	us_is(999, "999 us");
	us_is(5200, "5.2 ms");
	us_is(1250000, "1.25 s");
	hc_format_seconds(4210000000ULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "4.21 s"), "format_seconds: %s", buf);
	hc_format_seconds(125000000000ULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "125.0 s"), "format_seconds: %s", buf);
	near(hc_rate_mbps(25000000, 1000000000), 25, "25 MB in 1 s");
	near(hc_rate_mbps(1, 0), 0, "no time");

	memset(&st, 0, sizeof(st));
	st.state = HECA_STATE_CONNECTED;
	st.role = 1;
	hc_format_progress(buf, sizeof(buf), "vm1", &st, 0);
	CHECK(!strcmp(buf, "vm1: connected, waiting for the switchover"), "progress: %s", buf);
	st.state = HECA_STATE_RUNNING;
	st.pages_remote = 1000;
	st.pages_present = 250;
	st.pages_on_demand = 10;
	st.pages_prefetched = 240;
	st.elapsed_ns = 1500000000ULL;
	hc_format_progress(buf, sizeof(buf), "vm1", &st, 31.44);
	CHECK(!strcmp(buf, "vm1:  25.0% present (250/1000 pages), 10 on demand, 240 prefetched, 31.4 MB/s, 1.50 s"),
	      "progress: %s", buf);
	st.role = 0;
	st.pages_sent = 1000;
	st.requests = 40;
	hc_format_progress(buf, sizeof(buf), "src", &st, 2);
	CHECK(!strcmp(buf, "src: 100.0% sent (1000/1000 pages), 40 requests, 2.0 MB/s, 1.50 s"),
	      "progress: %s", buf);
}

/* ---- migrate -------------------------------------------------------------- */

static void round_is(unsigned int n, uint64_t pages, uint64_t ns, const char *want)
{
	struct heca_mig_round r = {
		.round = n, .pages = pages, .ns = ns,
		.bytes_per_s = ns ? (double)pages * 4096.0 * 1e9 / (double)ns : 0,
	};
	char buf[128];

	hc_format_round(buf, sizeof(buf), &r);
	CHECK(!strcmp(buf, want), "format_round = \"%s\"; want \"%s\"", buf, want);
}

static void status_is(int status, const char *want)
{
	char buf[96];

	hc_format_cmd_status(buf, sizeof(buf), status);
	CHECK(!strcmp(buf, want), "format_cmd_status(%#x) = \"%s\"; want \"%s\"",
	      (unsigned int)status, buf, want);
}

static void test_mig(void)
{
	enum heca_mig_mode mode = HECA_MIG_POSTCOPY;

	CHECK(hc_parse_mig_mode("precopy", &mode) == 0 && mode == HECA_MIG_PRECOPY, "precopy");
	CHECK(hc_parse_mig_mode("postcopy", &mode) == 0 && mode == HECA_MIG_POSTCOPY, "postcopy");
	CHECK(hc_parse_mig_mode("hybrid", &mode) == 0 && mode == HECA_MIG_HYBRID, "hybrid");
	CHECK(hc_parse_mig_mode("Hybrid", &mode) == -1 && hc_parse_mig_mode("", &mode) == -1 &&
	      hc_parse_mig_mode("post-copy", &mode) == -1 && mode == HECA_MIG_HYBRID,
	      "bad modes leave the mode alone");

	CHECK(hc_mig_has_rounds(HECA_MIG_PRECOPY, 60) && hc_mig_has_rounds(HECA_MIG_PRECOPY, 0),
	      "precopy has rounds");
	CHECK(hc_mig_has_rounds(HECA_MIG_HYBRID, 1) && !hc_mig_has_rounds(HECA_MIG_HYBRID, 0),
	      "hybrid: rounds unless --timeout 0");
	CHECK(!hc_mig_has_rounds(HECA_MIG_POSTCOPY, 60), "postcopy has none");

	round_is(1, 262144, 2730666667ULL, "round 1: 262144 pages, 2731 ms, 393.2 MB/s");
	round_is(2, 1200, 45000000ULL, "round 2: 1200 pages, 45 ms, 109.2 MB/s");
	round_is(3, 250, 2500000ULL, "round 3: 250 pages, 2.5 ms, 409.6 MB/s");
	round_is(4, 0, 120000ULL, "round 4: 0 pages, 0.1 ms, 0.0 MB/s");
	round_is(5, 10, 0, "round 5: 10 pages, 0.0 ms, 0.0 MB/s");

	status_is(0, "exited with status 0");
	status_is(3 << 8, "exited with status 3");
	status_is(127 << 8, "exited with status 127 (command not found?)");
	status_is(126 << 8, "exited with status 126 (not executable?)");
	status_is(SIGKILL, "was killed by signal 9 (SIGKILL)");
	status_is(SIGTERM | 0x80, "was killed by signal 15 (SIGTERM)");	/* core dumped */
}

/* Write @text into the file @dir/@name. */
static int put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/*
 * libheca's --transport auto and RDMA probing, against a made-up sysfs
 * ($HECA_SYSFS_IB): rxe0, port 1 ACTIVE, 127.0.0.1 among its GIDs.
 */
static void test_transport(void)
{
	char root[] = "/tmp/heca-unit-ib-XXXXXX", dir[512];
	struct heca_transport_choice c;
	struct heca_session_start a;
	uint8_t tok[HECA_TOKEN_BYTES] = { 1 };
	bool made;

	made = mkdtemp(root) != NULL;
	snprintf(dir, sizeof(dir), "%s/rxe0/ports/1/gids", root);
	if (made) {
		char sub[512];

		snprintf(sub, sizeof(sub), "%s/rxe0", root);
		made = !mkdir(sub, 0700);
		snprintf(sub, sizeof(sub), "%s/rxe0/ports", root);
		made = made && !mkdir(sub, 0700);
		snprintf(sub, sizeof(sub), "%s/rxe0/ports/1", root);
		made = made && !mkdir(sub, 0700) && !mkdir(dir, 0700) &&
		       !put_file(sub, "state", "4: ACTIVE\n") &&
		       !put_file(dir, "0", "fe80:0000:0000:0000:0000:0000:0000:0001\n") &&
		       !put_file(dir, "1", "0000:0000:0000:0000:0000:ffff:7f00:0001\n");
	}
	CHECK(made, "made-up sysfs under %s", root);
	if (!made)
		return;
	setenv("HECA_SYSFS_IB", root, 1);

	CHECK(heca_start_args(&a, "127.0.0.1", 7000, tok, 0, 0) == 0 &&
	      a.argsz == sizeof(a) && a.addr.family == AF_INET && a.addr.port == 7000 &&
	      a.transport == HECA_TRANSPORT_TCP && a.token[0] == 1,
	      "start_args(127.0.0.1:7000)");
	CHECK(heca_start_args(&a, "bogus", 7000, tok, 0, 0) == -EINVAL, "start_args(bogus)");
	heca_start_args(&a, "127.0.0.1", 7000, tok, 0, 0);
	CHECK(heca_rdma_port_has_addr("rxe0", 1, &a.addr), "rxe0 port 1 has 127.0.0.1");
	CHECK(!heca_rdma_port_has_addr("rxe0", 2, &a.addr), "rxe0 has no port 2");

	heca_choose_transport(&a.addr, true, &c);
	CHECK(c.transport == HECA_TRANSPORT_RDMA && c.why == HECA_TRANSPORT_ON_RDMA_DEV &&
	      !strcmp(c.dev, "rxe0"), "listen on 127.0.0.1: rdma on rxe0 (%u, %d, %s)",
	      c.transport, (int)c.why, c.dev);
	heca_choose_transport(&a.addr, false, &c);
	CHECK(c.transport == HECA_TRANSPORT_RDMA && !strcmp(c.dev, "rxe0"),
	      "connect to 127.0.0.1: from 127.0.0.1, rdma on rxe0 (%u, %d)",
	      c.transport, (int)c.why);
	heca_start_args(&a, "0.0.0.0", 7000, tok, 0, 0);
	heca_choose_transport(&a.addr, true, &c);
	CHECK(c.transport == HECA_TRANSPORT_TCP && c.why == HECA_TRANSPORT_ANY_ADDR,
	      "listen on 0.0.0.0: tcp (%u, %d)", c.transport, (int)c.why);
	heca_start_args(&a, "127.0.0.2", 7000, tok, 0, 0);
	heca_choose_transport(&a.addr, true, &c);
	CHECK(c.transport == HECA_TRANSPORT_TCP && c.why == HECA_TRANSPORT_NOT_RDMA,
	      "listen on 127.0.0.2: tcp, no device has it (%u, %d)", c.transport, (int)c.why);

	unsetenv("HECA_SYSFS_IB");
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	CHECK(system(dir) == 0, "removing %s", root);
}

/* The synopsis is the option table's: shown as the table says, wrapped. */
static void test_synopsis(void)
{
	static const struct hc_opt syn[] = {
		{ "to", 't', true, "ADDR:PORT", HC_OPT_REQUIRED },
		{ "token", 0, true, "HEX", HC_OPT_ONE_OF },
		{ "token-file", 0, true, "PATH", HC_OPT_ONE_OF },
		{ "mode", 'm', true, "MODE", HC_OPT_OPTIONAL },
		{ "json", 0, false, NULL, HC_OPT_OPTIONAL },
		{ NULL, 0, false, NULL, 0 },
	};
	char buf[512];

	hc_format_synopsis(buf, sizeof(buf), "migrate", "NAME", syn, 200);
	CHECK(!strcmp(buf, "Usage: hecactl migrate NAME --to ADDR:PORT (--token HEX | --token-file PATH) [--mode MODE] [--json]\n"),
	      "synopsis: \"%s\"", buf);
	hc_format_synopsis(buf, sizeof(buf), "migrate", "NAME", syn, 80);
	CHECK(!strcmp(buf, "Usage: hecactl migrate NAME --to ADDR:PORT (--token HEX | --token-file PATH)\n"
			   "               [--mode MODE] [--json]\n"),
	      "synopsis wrapped: \"%s\"", buf);
	hc_format_synopsis(buf, sizeof(buf), "token", "", opts + 3, 80);
	CHECK(!strcmp(buf, "Usage: hecactl token\n"), "synopsis, no options: \"%s\"", buf);
}

int main(void)
{
	test_parse_size();
	test_region_size();
	test_format_size();
	test_names();
	test_args();
	test_synopsis();
	test_transport();
	test_addr();
	test_tokens();
	test_hist();
	test_stats_values();
	test_mig();
	printf("hecactl unit tests\n%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
