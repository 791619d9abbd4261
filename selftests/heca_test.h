/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by heca's selftests: unique names, finding the
 * repository, whether timing is asserted.  The ioctls, regions and
 * sessions are libheca's (tools/lib/heca/heca.h).
 */
#ifndef HECA_TEST_H
#define HECA_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/heca.h>

#include "heca.h"

#define MiB			(1024ULL * 1024)

/* A region name no other test (or earlier run) uses. */
static inline void heca_unique_name(char *buf, size_t len, const char *what)
{
	static unsigned int seq;

	snprintf(buf, len, "t-%s-%d-%u", what, (int)getpid(), seq++);
}

/*
 * The repository top: $HECA_REPO, or two levels above this binary
 * (selftests/<test> -> repo).
 */
static inline const char *heca_repo(void)
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

/*
 * Whether the outcome of the migration policy and timing relations are
 * asserted: not when HECA_NO_TIMING is set, as the debug lane does
 * (selftests/debug/check.sh).  Under KASAN, lockdep and kmemleak in TCG a
 * 64 MiB pre-copy round takes minutes, so whether pre-copy converges before
 * its timeout, or how downtime scales, says nothing about heca there; the
 * contents of every page are still checked.
 */
static inline int heca_timing_checked(void)
{
	const char *env = getenv("HECA_NO_TIMING");

	return !env || !*env || !strcmp(env, "0");
}

#endif /* HECA_TEST_H */
