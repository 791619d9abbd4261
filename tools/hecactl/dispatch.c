// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: finding the command in the tables, and help.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "hecactl.h"
#include "heca.h"
#include "stats.h"

#define HC_PATH_MAX	128
#define HC_HELP_DEPTH	4	/* "hecactl help" takes at most this many words */

static const struct hc_cmd *find_sub(const struct hc_cmd *group, const char *name)
{
	for (const struct hc_cmd *c = group->subs; c && c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* "parent name" into @buf; our command names are short, it always fits. */
static void join_path(char *buf, const char *parent, const char *name)
{
	snprintf(buf, HC_PATH_MAX, "%s%s%s", parent, *parent ? " " : "", name);
}

/* Columns of the synopsis. */
#define HC_SYNOPSIS_WIDTH	84

/* The help of @cmd; a leaf's synopsis from its option table @opts. */
static void print_help(FILE *f, const char *path, const struct hc_cmd *cmd,
		       const struct hc_opt *opts)
{
	char synopsis[1024];
	int width = 0;

	if (cmd->run) {
		hc_format_synopsis(synopsis, sizeof(synopsis), path, cmd->synopsis,
				   opts, HC_SYNOPSIS_WIDTH);
		fputs(synopsis, f);
	} else {
		fprintf(f, "Usage: hecactl%s%s %s\n", *path ? " " : "", path,
			cmd->synopsis ? cmd->synopsis : "");
	}
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
	if (!cmd->subs)
		return;
	for (const struct hc_cmd *c = cmd->subs; c->name; c++)
		if ((int)strlen(c->name) > width)
			width = (int)strlen(c->name);
	fputs("\nCommands:\n", f);
	for (const struct hc_cmd *c = cmd->subs; c->name; c++)
		fprintf(f, "  %-*s  %s\n", width, c->name, c->summary);
	fprintf(f, "\nRun 'hecactl%s%s COMMAND --help' for a command's options.\n",
		*path ? " " : "", path);
}

void hc_print_help(FILE *f, const char *path, const struct hc_cmd *cmd)
{
	print_help(f, path, cmd, NULL);
}

int hc_dispatch(const char *path, const struct hc_cmd *cmd, int argc, char **argv)
{
	const struct hc_cmd *sub;
	char subpath[HC_PATH_MAX];

	if (cmd->run)
		return cmd->run(cmd, path, argc, argv);

	if (argc < 2) {
		fprintf(stderr, "hecactl: %s%smissing command\n\n", path, *path ? ": " : "");
		hc_print_help(stderr, path, cmd);
		return HC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		hc_print_help(stdout, path, cmd);
		return hc_finish_stdout(HC_EXIT_OK);
	}
	if (argv[1][0] == '-')
		return hc_usage_err(path, "unknown option '%s'", argv[1]);
	sub = find_sub(cmd, argv[1]);
	if (!sub)
		return hc_usage_err(path, "unknown command '%s'", argv[1]);
	join_path(subpath, path, sub->name);
	return hc_dispatch(subpath, sub, argc - 1, argv + 1);
}

/* "hecactl help A B" is "hecactl A B --help". */
int hc_help_command(const struct hc_cmd *top, int argc, char **argv)
{
	char *args[HC_HELP_DEPTH + 2];
	int n = 0;

	if (argc - 1 > HC_HELP_DEPTH)
		return hc_usage_err("help", "too many arguments");
	args[n++] = "hecactl";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = "--help";
	return hc_dispatch("", top, n, args);
}

bool hc_parse_cmd_args(const struct hc_cmd *self, const char *path, int argc,
		       char **argv, const struct hc_opt *opts, struct hc_args *a,
		       int *rc)
{
	char err[128];

	switch (hc_parse_args(argc - 1, argv + 1, opts, a, err, sizeof(err))) {
	case HC_ARGS_OK:
		return true;
	case HC_ARGS_HELP:
		print_help(stdout, path, self, opts);
		*rc = hc_finish_stdout(HC_EXIT_OK);
		return false;
	case HC_ARGS_ERROR:
	default:
		*rc = hc_usage_err(path, "%s", err);
		return false;
	}
}

int hc_want_operands(const char *path, const struct hc_args *a, int want,
		     const char *what)
{
	if (a->noperands < want)
		return hc_usage_err(path, "missing %s", what);
	if (a->noperands > want)
		return hc_usage_err(path, "unexpected argument '%s'", a->operand[want]);
	return 0;
}

int hc_uint_arg(const char *path, const struct hc_args *a,
		const struct hc_opt *opts, int i, uint64_t min, uint64_t max,
		uint64_t dflt, const char *unit, uint64_t *out)
{
	char reason[128];
	uint64_t v = dflt;

	if (a->value[i] &&
	    hc_parse_uint(a->value[i], min, max, &v, reason, sizeof(reason)))
		return hc_usage_err(path, "invalid --%s '%s': %s (%s)", opts[i].name,
				    a->value[i], reason, unit);
	*out = v;
	return 0;
}

int hc_duration_arg(const char *path, const struct hc_args *a,
		    const struct hc_opt *opts, int i, uint64_t min, uint64_t max,
		    uint64_t dflt, uint64_t *out)
{
	bool ms = opts[i].arg && !strcmp(opts[i].arg, "MS");

	return hc_uint_arg(path, a, opts, i, min, max, dflt,
			   ms ? "milliseconds" : "seconds", out);
}

int hc_check_name_arg(const char *path, const char *name)
{
	char why[96];

	if (heca_check_name(name, why, sizeof(why)))
		return hc_usage_err(path, "invalid region name '%s': %s", name, why);
	return 0;
}
