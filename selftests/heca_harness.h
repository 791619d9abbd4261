/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca_harness.h - the kselftest harness, with a choice of tests.
 *
 * The 6.1 harness (kselftest_harness.h, taken from the linux-source
 * tarball at build time) runs every test of a binary and ignores its
 * arguments.  heca's tests include this header instead: the same TEST,
 * TEST_F, FIXTURE_* and TEST_HARNESS_MAIN, and a main() that takes
 *
 *   -l                 list the tests (FIXTURE.VARIANT.TEST, or FIXTURE.TEST
 *                      without variants) and exit
 *   -t TEST  -T TEST   run only / do not run the tests named TEST
 *   -f NAME  -F NAME   run only / do not run the tests of fixture NAME
 *                      ("global" for plain TEST()s)
 *   -v NAME  -V NAME   run only / do not run variant NAME
 *   -r FIXTURE[.VARIANT].TEST    run this one (repeatable)
 *
 * Each option may be given several times.  A test runs when it is named by
 * a -r, or when it matches one name of each of -t, -f, -v that were given;
 * none of these given means every test; -T, -F, -V then take tests out.
 * A choice that leaves no test is an error (exit 1): a misspelt name must
 * not pass as "0 tests, all passed".
 */
#ifndef HECA_HARNESS_H
#define HECA_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"

/* The names one option was given, in argv order. */
struct heca_names {
	const char **name;
	int n;
};

struct heca_choice {
	struct heca_names run;			/* -r */
	struct heca_names test, fixture, variant;	/* -t -f -v */
	struct heca_names no_test, no_fixture, no_variant; /* -T -F -V */
	bool list;				/* -l */
};

static void heca_names_add(struct heca_names *l, const char *name)
{
	l->name = realloc(l->name, (l->n + 1) * sizeof(*l->name));
	if (!l->name) {
		perror("heca_harness");
		exit(KSFT_FAIL);
	}
	l->name[l->n++] = name;
}

static bool heca_names_has(const struct heca_names *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return true;
	return false;
}

/* FIXTURE.VARIANT.TEST, or FIXTURE.TEST for a fixture without variants. */
static void heca_test_name(char *buf, size_t len,
			   const struct __fixture_metadata *f,
			   const struct __fixture_variant_metadata *v,
			   const struct __test_metadata *t)
{
	snprintf(buf, len, "%s%s%s.%s", f->name, v->name[0] ? "." : "",
		 v->name, t->name);
}

static bool heca_chosen(const struct heca_choice *c,
			const struct __fixture_metadata *f,
			const struct __fixture_variant_metadata *v,
			const struct __test_metadata *t)
{
	bool by_name = c->test.n || c->fixture.n || c->variant.n;
	char full[512];
	bool in;

	heca_test_name(full, sizeof(full), f, v, t);
	if (!c->run.n && !by_name)
		in = true;
	else
		in = heca_names_has(&c->run, full) ||
		     (by_name &&
		      (!c->test.n || heca_names_has(&c->test, t->name)) &&
		      (!c->fixture.n || heca_names_has(&c->fixture, f->name)) &&
		      (!c->variant.n || heca_names_has(&c->variant, v->name)));
	return in && !heca_names_has(&c->no_test, t->name) &&
	       !heca_names_has(&c->no_fixture, f->name) &&
	       !heca_names_has(&c->no_variant, v->name);
}

static void heca_harness_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-l] [-t TEST] [-T TEST] [-f FIXTURE] [-F FIXTURE]\n"
		"       [-v VARIANT] [-V VARIANT] [-r FIXTURE[.VARIANT].TEST]\n"
		"  -l  list the tests and exit; -t/-f/-v run only those named,\n"
		"  -T/-F/-V leave them out, -r runs one by its full name\n",
		prog);
}

static void heca_harness_args(struct heca_choice *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "hlt:T:f:F:v:V:r:")) != -1) {
		switch (opt) {
		case 'l':
			c->list = true;
			break;
		case 't':
			heca_names_add(&c->test, optarg);
			break;
		case 'T':
			heca_names_add(&c->no_test, optarg);
			break;
		case 'f':
			heca_names_add(&c->fixture, optarg);
			break;
		case 'F':
			heca_names_add(&c->no_fixture, optarg);
			break;
		case 'v':
			heca_names_add(&c->variant, optarg);
			break;
		case 'V':
			heca_names_add(&c->no_variant, optarg);
			break;
		case 'r':
			heca_names_add(&c->run, optarg);
			break;
		case 'h':
			heca_harness_usage(argv[0]);
			exit(KSFT_PASS);
		default:
			heca_harness_usage(argv[0]);
			exit(KSFT_FAIL);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0],
			argv[optind]);
		heca_harness_usage(argv[0]);
		exit(KSFT_FAIL);
	}
}

/* Walk the chosen tests: BODY runs with f, v and t set. */
#define heca_for_each_chosen(c, f, v, t, none)				\
	for (f = __fixture_list; f; f = f->next)			\
		for (v = f->variant ?: (none); v; v = v->next)		\
			for (t = f->tests; t; t = t->next)		\
				if (heca_chosen(c, f, v, t))

/**
 * heca_harness_run() - run the tests argv chooses, as KTAP on stdout
 * @argc: main()'s argc
 * @argv: main()'s argv (the options above)
 *
 * Return: does not return: exits KSFT_PASS when every chosen test passed
 * or skipped, KSFT_FAIL otherwise or when the choice is empty or wrong.
 */
static int heca_harness_run(int argc, char **argv)
{
	struct __fixture_variant_metadata no_variant = { .name = "", };
	struct heca_choice c = { 0 };
	struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	struct __test_results *results;
	struct __test_metadata *t;
	unsigned int tests = 0, passed = 0;
	char full[512];
	int ret = 0;

	heca_harness_args(&c, argc, argv);
	heca_for_each_chosen(&c, f, v, t, &no_variant)
		tests++;
	if (c.list) {
		heca_for_each_chosen(&c, f, v, t, &no_variant) {
			heca_test_name(full, sizeof(full), f, v, t);
			printf("%s\n", full);
		}
		exit(KSFT_PASS);
	}
	if (!tests) {
		fprintf(stderr, "%s: no test matches (-l lists them)\n",
			argv[0]);
		exit(KSFT_FAIL);
	}

	results = mmap(NULL, sizeof(*results), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED) {
		perror("heca_harness: mmap");
		exit(KSFT_FAIL);
	}
	ksft_print_header();
	ksft_set_plan(tests);
	ksft_print_msg("Starting %u tests.\n", tests);
	heca_for_each_chosen(&c, f, v, t, &no_variant) {
		t->results = results;
		__run_test(f, v, t);
		t->results = NULL;
		if (t->passed)
			passed++;
		else
			ret = 1;
	}
	munmap(results, sizeof(*results));
	ksft_print_msg("%s: %u / %u tests passed.\n", ret ? "FAILED" : "PASSED",
		       passed, tests);
	ksft_exit(ret == 0);
	return ret ? KSFT_FAIL : KSFT_PASS;
}

/*
 * As the harness's: the constructor that fixes the order of the tests,
 * then a main() that takes the options above.
 */
#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN						\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		return heca_harness_run(argc, argv);			\
	}

#endif /* HECA_HARNESS_H */
