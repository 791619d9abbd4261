/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: a small option parser for one command's arguments.
 *
 * "--name VALUE", "--name=VALUE", "-n VALUE", "-nVALUE", flags without a
 * value, "--" ends the options, "-" alone is an operand.  Options and
 * operands may come in any order.  "-h" or "--help" anywhere before "--"
 * asks for help, whatever else is on the line.  Pure: no output, no exit.
 */
#ifndef HECACTL_ARGS_H
#define HECACTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define HC_ARGS_MAX_OPTS	16
#define HC_ARGS_MAX_OPERANDS	8

/* How the synopsis shows an option (hc_format_synopsis()). */
enum hc_opt_show {
	HC_OPT_OPTIONAL = 0,	/* [--name ARG] */
	HC_OPT_REQUIRED,	/* --name ARG */
	HC_OPT_ONE_OF,		/* (--name ARG | --next ARG ...): this and the
				 * entries after it that are HC_OPT_ONE_OF too;
				 * exactly one must be given */
	HC_OPT_HIDDEN,		/* not shown: an older name still taken */
};

struct hc_opt {
	const char *name;	/* long name without "--" */
	char short_name;	/* 0 for none */
	bool has_value;
	/*
	 * The value's name in the synopsis: "ADDR:PORT".  For a duration it is
	 * the unit: "SEC" or "MS" (see hc_duration_arg()).
	 */
	const char *arg;
	enum hc_opt_show show;
};

struct hc_args {
	const char *operand[HC_ARGS_MAX_OPERANDS];
	int noperands;
	/* Indexed like the option table: NULL when not given; "" for a flag. */
	const char *value[HC_ARGS_MAX_OPTS];
};

enum hc_args_result {
	HC_ARGS_OK,
	HC_ARGS_HELP,
	HC_ARGS_ERROR,	/* @err says why */
};

/*
 * Parse @argv[0..@argc-1] (the arguments after the command's name) against
 * @opts, a table ended by an entry whose name is NULL.  An option may be
 * given once.
 */
enum hc_args_result hc_parse_args(int argc, char *const argv[],
				  const struct hc_opt *opts, struct hc_args *out,
				  char *err, size_t errlen);

/*
 * The synopsis of a command, "Usage: hecactl @path @operands" and then
 * @opts in their order as HC_OPT_* says, into @buf: lines of at most
 * @width columns, the continuation lines indented by 15 spaces, and a
 * newline at the end.  Generated from the table the parser takes, so the
 * two cannot disagree.  Pure.
 */
void hc_format_synopsis(char *buf, size_t len, const char *path,
			const char *operands, const struct hc_opt *opts,
			unsigned int width);

#endif /* HECACTL_ARGS_H */
