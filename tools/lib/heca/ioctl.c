// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: the control device and one wrapper per ioctl (see heca.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "heca.h"

const char *heca_control_path(void)
{
	const char *p = getenv("HECA_CONTROL");

	return p && *p ? p : HECA_CONTROL_DEFAULT;
}

int heca_control_open(void)
{
	int fd = open(heca_control_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

bool heca_control_absent(int err)
{
	if (err < 0)
		err = -err;
	return err == ENOENT || err == ENXIO || err == ENODEV;
}

uint64_t heca_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* ioctl() once: for the requests that wait for the peer. */
static int ioc_once(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

/* ioctl(), repeated on EINTR: for the requests that do not wait. */
static int ioc(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

/* Copy @name into a uapi name field: at most HECA_NAME_MAX - 1 bytes. */
static void set_name(char dst[HECA_NAME_MAX], const char *name)
{
	memcpy(dst, name, strnlen(name, HECA_NAME_MAX - 1));
}

int heca_version(int ctl, struct heca_version *v)
{
	memset(v, 0, sizeof(*v));
	v->argsz = sizeof(*v);
	return ioc(ctl, HECA_IOC_VERSION, v);
}

int heca_region_create(int ctl, const char *name, uint64_t size,
		       uint32_t flags)
{
	struct heca_region_create c = {
		.argsz = sizeof(c), .flags = flags, .size = size,
	};

	set_name(c.name, name);
	return ioc(ctl, HECA_IOC_REGION_CREATE, &c);
}

int heca_region_destroy(int ctl, const char *name)
{
	struct heca_region_destroy d = { .argsz = sizeof(d) };

	set_name(d.name, name);
	return ioc(ctl, HECA_IOC_REGION_DESTROY, &d);
}

int heca_region_list_once(int ctl, struct heca_region_info *entries,
			  uint32_t *count)
{
	struct heca_region_list l = {
		.argsz = sizeof(l),
		.count = *count,
		.entries = (uintptr_t)entries,
	};
	int err = ioc(ctl, HECA_IOC_REGION_LIST, &l);

	if (!err)
		*count = l.count;
	return err;
}

/* _IOW: the kernel reads *@a only. */
int heca_session_start(int fd, const struct heca_session_start *a)
{
	return ioc_once(fd, HECA_IOC_SESSION_START, (void *)a);
}

int heca_switchover(int fd)
{
	struct heca_switchover s = { .argsz = sizeof(s) };

	return ioc_once(fd, HECA_IOC_SWITCHOVER, &s);
}

int heca_wait(int fd, struct heca_wait *w)
{
	w->argsz = sizeof(*w);
	return ioc_once(fd, HECA_IOC_WAIT, w);
}

int heca_stats(int fd, struct heca_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	return ioc(fd, HECA_IOC_STATS, st);
}

int heca_session_abort(int fd)
{
	return ioc(fd, HECA_IOC_SESSION_ABORT, NULL);
}

int heca_dirty(int fd, struct heca_dirty *d)
{
	d->argsz = sizeof(*d);
	return ioc(fd, HECA_IOC_DIRTY, d);
}

int heca_round(int fd, struct heca_round *r)
{
	memset(r, 0, sizeof(*r));
	r->argsz = sizeof(*r);
	return ioc_once(fd, HECA_IOC_ROUND, r);
}
