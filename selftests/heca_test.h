/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by heca's selftests (selftests/lib/test_util.c): unique
 * names, finding the repository, whether timing is asserted.  The ioctls,
 * regions and sessions are libheca's (tools/lib/heca/heca.h); the lab's
 * addresses and RDMA devices are in heca_lab.h.
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
#include "heca_lab.h"

#define MiB			(1024ULL * 1024)

/* A region name no other test (or earlier run) uses: t-<what>-<pid>-<seq>. */
void heca_unique_name(char *buf, size_t len, const char *what);

/*
 * The repository top: $HECA_REPO, or two levels above this binary
 * (selftests/<test> -> repo).
 */
const char *heca_repo(void);

/*
 * Whether the outcome of the migration policy and timing relations are
 * asserted: not when HECA_NO_TIMING is set, as the debug lane does
 * (tools/testing/debug-kernel/check.sh).  Under KASAN, lockdep and kmemleak in TCG a
 * 64 MiB pre-copy round takes minutes, so whether pre-copy converges before
 * its timeout, or how downtime scales, says nothing about heca there; the
 * contents of every page are still checked.
 */
int heca_timing_checked(void);

/*
 * The first line of the file @path, without its newline, into @buf (empty
 * for an empty file).  Returns 0 or -errno.
 */
int heca_read_line(const char *path, char *buf, size_t len);

/*
 * Set heca.ko's parameter @name (/sys/module/heca/parameters/@name) to
 * @val, its old value first into @old (@len bytes) unless @old is NULL.
 * Returns 0 or -errno (-EIO when the old value cannot be read).
 */
int heca_module_param(const char *name, const char *val, char *old, size_t len);

#endif /* HECA_TEST_H */
