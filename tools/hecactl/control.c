// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: the control device (see control.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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
