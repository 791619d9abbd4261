// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: the pure parts of "migrate" (see mig.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "mig.h"

int hc_parse_mig_mode(const char *s, enum heca_mig_mode *out)
{
	if (!strcmp(s, "precopy"))
		*out = HECA_MIG_PRECOPY;
	else if (!strcmp(s, "postcopy"))
		*out = HECA_MIG_POSTCOPY;
	else if (!strcmp(s, "hybrid"))
		*out = HECA_MIG_HYBRID;
	else
		return -1;
	return 0;
}

int hc_mig_has_rounds(enum heca_mig_mode mode, unsigned int timeout_s)
{
	return mode == HECA_MIG_PRECOPY ||
	       (mode == HECA_MIG_HYBRID && timeout_s > 0);
}

char *hc_format_round(char *buf, size_t len, const struct heca_mig_round *r)
{
	double ms = (double)r->ns / 1e6;

	snprintf(buf, len, ms < 10 ? "round %u: %llu pages, %.1f ms, %.1f MB/s" :
				     "round %u: %llu pages, %.0f ms, %.1f MB/s",
		 r->round, (unsigned long long)r->pages, ms, r->bytes_per_s / 1e6);
	return buf;
}

char *hc_format_cmd_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);

		snprintf(buf, len, "exited with status %d%s", code,
			 code == 127 ? " (command not found?)" :
			 code == 126 ? " (not executable?)" : "");
	} else if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		snprintf(buf, len, "was killed by signal %d%s%s%s", WTERMSIG(status),
			 name ? " (SIG" : "", name ? name : "", name ? ")" : "");
	} else {
		snprintf(buf, len, "ended with wait status %#x", (unsigned int)status);
	}
	return buf;
}
