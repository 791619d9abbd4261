// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: option parsing (see args.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

static int find_long(const struct hc_opt *opts, const char *name, size_t len)
{
	for (int i = 0; i < HC_ARGS_MAX_OPTS && opts[i].name; i++)
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
			return i;
	return -1;
}

static int find_short(const struct hc_opt *opts, char c)
{
	for (int i = 0; i < HC_ARGS_MAX_OPTS && opts[i].name; i++)
		if (opts[i].short_name && opts[i].short_name == c)
			return i;
	return -1;
}

static enum hc_args_result fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum hc_args_result fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return HC_ARGS_ERROR;
}

enum hc_args_result hc_parse_args(int argc, char *const argv[],
				  const struct hc_opt *opts, struct hc_args *out,
				  char *err, size_t errlen)
{
	bool options_done = false;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';

	/* Help wins over any other mistake on the line. */
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help(argv[i]))
			return HC_ARGS_HELP;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *value = NULL;
		int idx;

		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (out->noperands == HC_ARGS_MAX_OPERANDS)
				return fail(err, errlen, "too many arguments at '%s'", a);
			out->operand[out->noperands++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			options_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			idx = find_long(opts, name, len);
			if (idx < 0)
				return fail(err, errlen, "unknown option '%s'", a);
			if (eq) {
				if (!opts[idx].has_value)
					return fail(err, errlen,
						    "option '--%s' takes no value",
						    opts[idx].name);
				value = eq + 1;
			}
		} else {
			idx = find_short(opts, a[1]);
			if (idx < 0)
				return fail(err, errlen, "unknown option '%s'", a);
			if (a[2] != '\0') {
				if (!opts[idx].has_value)
					return fail(err, errlen, "unknown option '%s'", a);
				value = a + 2;
			}
		}
		if (out->value[idx])
			return fail(err, errlen, "option '--%s' given more than once",
				    opts[idx].name);
		if (opts[idx].has_value && !value) {
			if (i + 1 >= argc)
				return fail(err, errlen, "option '--%s' needs a value",
					    opts[idx].name);
			value = argv[++i];
		}
		out->value[idx] = opts[idx].has_value ? value : "";
	}
	return HC_ARGS_OK;
}

/* Append @item to the synopsis in @buf, wrapping before @width columns. */
static void synopsis_add(char *buf, size_t len, size_t *col, const char *item,
			 unsigned int width)
{
	static const char indent[] = "               ";
	size_t used = strlen(buf), n = strlen(item);

	if (*col + 1 + n > width && *col > sizeof(indent) - 1) {
		snprintf(buf + used, len - used, "\n%s%s", indent, item);
		*col = sizeof(indent) - 1 + n;
	} else {
		snprintf(buf + used, len - used, " %s", item);
		*col += 1 + n;
	}
}

void hc_format_synopsis(char *buf, size_t len, const char *path,
			const char *operands, const struct hc_opt *opts,
			unsigned int width)
{
	char item[256];
	size_t col, used;

	snprintf(buf, len, "Usage: hecactl%s%s%s%s", *path ? " " : "", path,
		 operands && *operands ? " " : "", operands ? operands : "");
	col = strlen(buf);
	for (int i = 0; opts && i < HC_ARGS_MAX_OPTS && opts[i].name; i++) {
		const struct hc_opt *o = &opts[i];
		int n;

		if (o->show == HC_OPT_HIDDEN)
			continue;
		if (o->show == HC_OPT_ONE_OF) {
			n = snprintf(item, sizeof(item), "(");
			for (; i < HC_ARGS_MAX_OPTS && opts[i].name &&
			       opts[i].show == HC_OPT_ONE_OF; i++)
				n += snprintf(item + n, sizeof(item) - (size_t)n, "%s--%s%s%s",
					      n > 1 ? " | " : "", opts[i].name,
					      opts[i].has_value ? " " : "",
					      opts[i].has_value && opts[i].arg ? opts[i].arg :
					      opts[i].has_value ? "VALUE" : "");
			i--;
			snprintf(item + n, sizeof(item) - (size_t)n, ")");
		} else {
			snprintf(item, sizeof(item), "%s--%s%s%s%s",
				 o->show == HC_OPT_REQUIRED ? "" : "[", o->name,
				 o->has_value ? " " : "",
				 o->has_value ? (o->arg ? o->arg : "VALUE") : "",
				 o->show == HC_OPT_REQUIRED ? "" : "]");
		}
		synopsis_add(buf, len, &col, item, width);
	}
	used = strlen(buf);
	snprintf(buf + used, len - used, "\n");
}
