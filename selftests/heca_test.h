/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by heca's selftests: the control device, region
 * create/destroy/list, unique names, finding the repository.
 */
#ifndef HECA_TEST_H
#define HECA_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/heca.h>

#define HECA_CONTROL_PATH	"/dev/heca/" HECA_CONTROL_NAME
#define MiB			(1024ULL * 1024)

static inline int heca_ctl_open(void)
{
	return open(HECA_CONTROL_PATH, O_RDWR | O_CLOEXEC);
}

/* Returns 0 or -errno. */
static inline int heca_create(int ctl, const char *name, __u64 size)
{
	struct heca_region_create c = { .argsz = sizeof(c), .size = size };

	memcpy(c.name, name, strnlen(name, sizeof(c.name) - 1));
	return ioctl(ctl, HECA_IOC_REGION_CREATE, &c) ? -errno : 0;
}

static inline int heca_destroy(int ctl, const char *name)
{
	struct heca_region_destroy d = { .argsz = sizeof(d) };

	memcpy(d.name, name, strnlen(name, sizeof(d.name) - 1));
	return ioctl(ctl, HECA_IOC_REGION_DESTROY, &d) ? -errno : 0;
}

/* Fills @out with region @name; returns 0, -ENOENT or -errno. */
static inline int heca_find(int ctl, const char *name,
			    struct heca_region_info *out)
{
	struct heca_region_info e[HECA_MAX_REGIONS];
	struct heca_region_list l = {
		.argsz = sizeof(l),
		.count = HECA_MAX_REGIONS,
		.entries = (__u64)(unsigned long)e,
	};
	unsigned int i;

	if (ioctl(ctl, HECA_IOC_REGION_LIST, &l))
		return -errno;
	for (i = 0; i < l.count && i < HECA_MAX_REGIONS; i++) {
		if (!strcmp(e[i].name, name)) {
			*out = e[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* A region name no other test (or earlier run) uses. */
static inline void heca_unique_name(char *buf, size_t len, const char *what)
{
	static unsigned int seq;

	snprintf(buf, len, "t-%s-%d-%u", what, (int)getpid(), seq++);
}

static inline void heca_region_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/dev/heca/%s", name);
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
