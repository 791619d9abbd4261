// SPDX-License-Identifier: GPL-2.0
/*
 * What heca's selftests share that is not libheca's (see heca_test.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heca_test.h"

/* A region name no other test (or earlier run) uses. */
void heca_unique_name(char *buf, size_t len, const char *what)
{
	static unsigned int seq;

	snprintf(buf, len, "t-%s-%d-%u", what, (int)getpid(), seq++);
}

/*
 * The repository top: $HECA_REPO, or two levels above this binary
 * (selftests/<test> -> repo).
 */
const char *heca_repo(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("HECA_REPO");
	ssize_t n;
	char *slash;
	int i;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return ".";
	buf[n] = '\0';
	for (i = 0; i < 2; i++) {
		slash = strrchr(buf, '/');
		if (!slash)
			return ".";
		*slash = '\0';
	}
	return buf;
}

/* See heca_test.h. */
int heca_timing_checked(void)
{
	const char *env = getenv("HECA_NO_TIMING");

	return !env || !*env || !strcmp(env, "0");
}
