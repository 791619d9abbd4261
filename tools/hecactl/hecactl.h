/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: shared declarations (commands, dispatch, messages, exit codes).
 */
#ifndef HECACTL_H
#define HECACTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HECACTL_VERSION	"0.1.0"

/* Exit codes: the whole command-line contract. */
#define HC_EXIT_OK	0	/* done, or help was asked for */
#define HC_EXIT_FAIL	1	/* the operation was tried and failed */
#define HC_EXIT_USAGE	2	/* bad command line: nothing was tried */

#define HC_STR_(x)	#x
#define HC_STR(x)	HC_STR_(x)

/*
 * A command: a leaf has @run, a group has @subs (a table ended by an entry
 * whose @name is NULL).  Adding a command is adding an entry to a table:
 * the top-level one is in main.c, the "region" one in region.c.
 */
struct hc_cmd {
	const char *name;
	/*
	 * After "hecactl <path>": a group's whole synopsis ("COMMAND [ARGS]"),
	 * a leaf command's operands ("NAME"); its options follow, from the
	 * table it parses with (hc_parse_cmd_args()).
	 */
	const char *synopsis;
	const char *summary;	/* one line, shown in the parent's help */
	const char *help;	/* shown by --help after the usage line */
	/*
	 * @self is this entry; @path the command as typed ("region create");
	 * @argv[0] the command's own name, @argv[1..] its arguments.
	 * Returns an exit code.
	 */
	int (*run)(const struct hc_cmd *self, const char *path, int argc,
		   char **argv);
	const struct hc_cmd *subs;
};

struct hc_opt;
struct hc_args;

/* dispatch.c */
int hc_dispatch(const char *path, const struct hc_cmd *cmd, int argc, char **argv);
void hc_print_help(FILE *f, const char *path, const struct hc_cmd *cmd);
int hc_help_command(const struct hc_cmd *top, int argc, char **argv);
/*
 * Parse a leaf command's arguments (argv[0] is its name) with @opts.
 * Returns true to go on; false after printing the help (*@rc = 0) or a
 * usage error (*@rc = 2).
 */
bool hc_parse_cmd_args(const struct hc_cmd *self, const char *path, int argc,
		       char **argv, const struct hc_opt *opts, struct hc_args *a,
		       int *rc);

/* Exactly @want operands, or a usage error naming the first problem. */
int hc_want_operands(const char *path, const struct hc_args *a, int want,
		     const char *what);
/*
 * The one rule for durations: a whole number (digits only) in the unit the
 * option's value is named by, seconds for SEC and milliseconds for MS;
 * options in milliseconds end in "-ms" (--fault-timeout, in milliseconds
 * since it was added, is --fault-timeout-ms's older name).  Option @i of
 * @opts from @a into *@out, from @min to @max, @dflt when not given.
 * Returns 0, or an exit code after a usage error that names the unit.
 */
int hc_duration_arg(const char *path, const struct hc_args *a,
		    const struct hc_opt *opts, int i, uint64_t min, uint64_t max,
		    uint64_t dflt, uint64_t *out);
/* The same for a count: "invalid --max-rounds '0': ... (@unit)". */
int hc_uint_arg(const char *path, const struct hc_args *a,
		const struct hc_opt *opts, int i, uint64_t min, uint64_t max,
		uint64_t dflt, const char *unit, uint64_t *out);

/* A region name from the command line, or a usage error saying why not. */
int hc_check_name_arg(const char *path, const char *name);

/* msg.c: every message starts with "hecactl: " and is one line. */
void hc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "hecactl: <path>: <msg>" and a hint to --help; returns HC_EXIT_USAGE. */
int hc_usage_err(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Flush stdout and report a write error: the exit code to use. */
int hc_finish_stdout(int rc);

/* Commands, for the table in main.c. */
extern const struct hc_cmd hc_region_cmds[];	/* region.c */
extern const char hc_region_help[];
extern const char hc_version_help[];		/* version.c */
int hc_version_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv);
extern const char hc_receive_help[];		/* receive.c */
int hc_receive_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv);
extern const char hc_migrate_help[];		/* migrate.c */
int hc_migrate_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv);
extern const char hc_status_help[];		/* status.c */
int hc_status_run(const struct hc_cmd *self, const char *path, int argc,
		  char **argv);
extern const char hc_abort_help[];		/* abort.c */
int hc_abort_run(const struct hc_cmd *self, const char *path, int argc,
		 char **argv);
extern const char hc_token_help[];		/* token.c */
int hc_token_run(const struct hc_cmd *self, const char *path, int argc,
		 char **argv);

/*
 * region.c: after creating the region @name, check that its node is its
 * character device and not a file a VMM left there.  Returns an exit code.
 */
int hc_check_node(const char *what, const char *name);

#endif /* HECACTL_H */
