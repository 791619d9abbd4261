// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: messages on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hecactl.h"

void hc_err(const char *fmt, ...)
{
	va_list ap;

	fputs("hecactl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hc_usage_err(const char *path, const char *fmt, ...)
{
	va_list ap;

	fputs("hecactl: ", stderr);
	if (path && *path)
		fprintf(stderr, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'hecactl%s%s --help'.\n",
		path && *path ? " " : "", path ? path : "");
	return HC_EXIT_USAGE;
}

int hc_finish_stdout(int rc)
{
	int err = 0;

	if (fflush(stdout) != 0)
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	if (err) {
		hc_err("cannot write the output: %s", strerror(err));
		return HC_EXIT_FAIL;
	}
	return rc;
}
