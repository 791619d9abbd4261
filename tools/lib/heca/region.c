// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: regions: listing, finding, opening, mapping (see heca.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "heca.h"

/* Retries when regions appear between two HECA_IOC_REGION_LIST calls. */
#define HECA_LIST_TRIES		16

/*
 * Ask with the capacity we have, and while the kernel reports more regions
 * than fitted (they were created meanwhile), grow and ask again.
 */
int heca_region_list(int ctl, struct heca_region_info **out, size_t *n)
{
	struct heca_region_info *buf = NULL;
	uint32_t cap = 0;

	for (int tries = 0; tries < HECA_LIST_TRIES; tries++) {
		struct heca_region_info *nbuf;
		uint32_t count = cap;
		int err;

		err = heca_region_list_once(ctl, buf, &count);
		if (err) {
			free(buf);
			return err;
		}
		if (count <= cap) {
			*out = buf;
			*n = count;
			return 0;
		}
		if (count > HECA_LIST_MAX) {
			free(buf);
			return -E2BIG;
		}
		cap = count;
		nbuf = realloc(buf, cap * sizeof(*buf));
		if (!nbuf) {
			free(buf);
			return -ENOMEM;
		}
		buf = nbuf;
		memset(buf, 0, cap * sizeof(*buf));
	}
	free(buf);
	return -EAGAIN;
}

int heca_region_find(int ctl, const char *name, struct heca_region_info *info)
{
	struct heca_region_info *r = NULL;
	size_t n = 0;
	int err;

	err = heca_region_list(ctl, &r, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(r[i].name, name, sizeof(r[i].name))) {
			*info = r[i];
			err = 0;
			break;
		}
	}
	free(r);
	return err;
}

void heca_region_path(char *buf, size_t len, const char *name)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", heca_control_path());
	snprintf(buf, len, "%s/%s", dirname(dir), name);
}

int heca_region_open(const char *name, int flags)
{
	char node[PATH_MAX];
	int fd;

	heca_region_path(node, sizeof(node), name);
	fd = open(node, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int heca_region_check(int fd, const struct heca_region_info *info)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(info->dev_major, info->dev_minor))
		return -ENODEV;
	return 0;
}

int heca_region_map(int fd, uint64_t size, void **mem)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*mem = p;
	return 0;
}

int heca_region_setup(int ctl, const char *name, uint64_t size,
		      uint32_t flags, void **mem)
{
	int fd, err;

	err = heca_region_create(ctl, name, size, flags);
	if (err)
		return err;
	fd = heca_region_open(name, O_RDWR);
	if (fd < 0) {
		heca_region_destroy(ctl, name);
		return fd;
	}
	err = heca_region_map(fd, size, mem);
	if (err) {
		close(fd);
		heca_region_destroy(ctl, name);
		return err;
	}
	return fd;
}

/* 200 tries 50 ms apart. */
#define HECA_SETTLE_TRIES	200
#define HECA_SETTLE_US		(50 * 1000)

int heca_region_destroy_settled(int ctl, const char *name)
{
	int err = 0;

	for (int i = 0; i < HECA_SETTLE_TRIES; i++) {
		err = heca_region_destroy(ctl, name);
		if (err != -EBUSY)
			break;
		usleep(HECA_SETTLE_US);
	}
	return err;
}

int heca_region_teardown(int ctl, const char *name, int fd, void *mem,
			 uint64_t size)
{
	if (mem && mem != MAP_FAILED)
		munmap(mem, size);
	if (fd >= 0)
		close(fd);
	if (!name || !name[0])
		return 0;
	return heca_region_destroy_settled(ctl, name);
}
