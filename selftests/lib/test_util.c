// SPDX-License-Identifier: GPL-2.0
/*
 * What heca's selftests share that is not libheca's (see heca_test.h):
 * names, the repository, HECA_NO_TIMING, module parameters.
 */
#include <errno.h>
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

int heca_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

int heca_module_param(const char *name, const char *val, char *old, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/heca/parameters/%s", name);
	if (old && (heca_read_line(path, old, len) || !old[0]))
		return -EIO;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", val);
	return fclose(f) ? -errno : 0;
}
