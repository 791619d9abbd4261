// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: the control device (see control.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "control.h"
#include "hecactl.h"

/* Errors any ioctl may give, and what they mean here. */
static const struct hc_errmap common_errors[] = {
	{ EPERM, "permission denied", "heca needs CAP_SYS_ADMIN (run as root)" },
	{ ENOTTY, "the device does not know this request",
	  "it is not the heca control device, or heca.ko is older than hecactl (see 'hecactl version')" },
	{ ENOMEM, "out of memory", NULL },
	{ EFAULT, "the kernel could not read or write hecactl's buffer",
	  "this is a bug in hecactl" },
	{ EINVAL, "the module refused the request as malformed",
	  "heca.ko and hecactl may not agree on the ABI (see 'hecactl version')" },
	{ 0, NULL, NULL },
};

uint64_t hc_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

const char *hc_control_path(void)
{
	const char *p = getenv("HECA_CONTROL");

	return p && *p ? p : HC_CONTROL_DEFAULT;
}

bool hc_control_absent(int err)
{
	return err == ENOENT || err == ENXIO || err == ENODEV;
}

int hc_control_open(bool quiet_if_absent)
{
	const char *path = hc_control_path();
	struct stat st;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (!(quiet_if_absent && hc_control_absent(err)))
			hc_err("cannot open %s: %s%s", path, strerror(err),
			       hc_control_absent(err) ? " (is heca.ko loaded?)" :
			       err == EACCES || err == EPERM ? " (run as root)" : "");
		errno = err;
		return -1;
	}
	if (fstat(fd, &st) == 0 && !S_ISCHR(st.st_mode)) {
		hc_err("%s is not a character device: is it the heca control device?",
		       path);
		close(fd);
		errno = ENOTTY;
		return -1;
	}
	return fd;
}

int hc_ioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -1 : 0;
}

int hc_ioctl_once(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -1 : 0;
}

/* Retries when regions appear between two HECA_IOC_REGION_LIST calls. */
#define HC_LIST_TRIES		16

/*
 * Ask with the capacity we have, and while the kernel reports more regions
 * than fitted (they were created meanwhile), grow and ask again.
 */
int hc_list_regions(int fd, struct heca_region_info **out, size_t *n)
{
	struct heca_region_info *buf = NULL;
	uint32_t cap = 0;

	for (int tries = 0; tries < HC_LIST_TRIES; tries++) {
		struct heca_region_list req;
		struct heca_region_info *nbuf;

		memset(&req, 0, sizeof(req));
		req.argsz = sizeof(req);
		req.count = cap;
		req.entries = (uintptr_t)buf;
		if (hc_ioctl(fd, HECA_IOC_REGION_LIST, &req)) {
			int err = errno;

			free(buf);
			return err;
		}
		if (req.count <= cap) {
			*out = buf;
			*n = req.count;
			return 0;
		}
		if (req.count > HC_LIST_MAX) {
			free(buf);
			return E2BIG;
		}
		cap = req.count;
		nbuf = realloc(buf, cap * sizeof(*buf));
		if (!nbuf) {
			free(buf);
			return ENOMEM;
		}
		buf = nbuf;
		memset(buf, 0, cap * sizeof(*buf));
	}
	free(buf);
	return EAGAIN;
}

int hc_find_region(int fd, const char *name, struct heca_region_info *info)
{
	struct heca_region_info *r = NULL;
	size_t n = 0;
	int err;

	err = hc_list_regions(fd, &r, &n);
	if (err)
		return err;
	err = ENOENT;
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

void hc_region_node(const char *name, char *buf, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", hc_control_path());
	snprintf(buf, len, "%s/%s", dirname(dir), name);
}

int hc_region_open(const char *what, const struct heca_region_info *info,
		   int flags)
{
	char node[PATH_MAX], name[HECA_NAME_MAX];
	struct stat st;
	int fd, err;

	snprintf(name, sizeof(name), "%.*s", (int)strnlen(info->name, sizeof(info->name)),
		 info->name);
	hc_region_node(name, node, sizeof(node));
	fd = open(node, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		hc_err("%s: cannot open %s: %s%s", what, node, strerror(err),
		       err == EACCES || err == EPERM ? " (run as root)" : "");
		errno = err;
		return -1;
	}
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(info->dev_major, info->dev_minor)) {
		hc_err("%s: %s is not the region's device (a file left by a VMM started before the region existed?): stop what uses it, destroy the region, remove %s and create the region again",
		       what, node, node);
		close(fd);
		errno = ENODEV;
		return -1;
	}
	return fd;
}

int hc_query_version(int fd, struct heca_version *v)
{
	memset(v, 0, sizeof(*v));
	v->argsz = sizeof(*v);
	return hc_ioctl(fd, HECA_IOC_VERSION, v);
}

const char *hc_errno_name(int err, char *buf, unsigned int len)
{
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, len, "errno %d", err);
	return buf;
}

static const struct hc_errmap *lookup(const struct hc_errmap *map, int err)
{
	for (; map && map->err; map++)
		if (map->err == err)
			return map;
	return NULL;
}

int hc_report(int fd, const char *what, int err, const struct hc_errmap *map)
{
	const struct hc_errmap *m = lookup(map, err);
	struct heca_version v;
	char buf[24];
	const char *ename = hc_errno_name(err, buf, sizeof(buf));

	if (err == EINVAL && fd >= 0 && hc_query_version(fd, &v) == 0 &&
	    v.abi_version != HECA_ABI_VERSION) {
		hc_err("%s: heca.ko speaks ABI %u but hecactl speaks ABI %u (%s): use the hecactl built with this module",
		       what, v.abi_version, HECA_ABI_VERSION, ename);
		return HC_EXIT_FAIL;
	}
	if (!m)
		m = lookup(common_errors, err);
	if (!m)
		hc_err("%s: %s (%s)", what, strerror(err), ename);
	else if (m->hint)
		hc_err("%s: %s (%s): %s", what, m->phrase, ename, m->hint);
	else
		hc_err("%s: %s (%s)", what, m->phrase, ename);
	return HC_EXIT_FAIL;
}
