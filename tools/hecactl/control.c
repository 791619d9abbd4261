// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: opening heca's devices, and heca's errors for people
 * (see control.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

int hc_control_open(bool quiet_if_absent)
{
	const char *path = heca_control_path();
	struct stat st;
	int fd, err;

	fd = heca_control_open();
	if (fd < 0) {
		err = -fd;
		if (!(quiet_if_absent && heca_control_absent(err)))
			hc_err("cannot open %s: %s%s", path, strerror(err),
			       heca_control_absent(err) ? " (is heca.ko loaded?)" :
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

int hc_region_open(const char *what, const struct heca_region_info *info,
		   int flags)
{
	char node[PATH_MAX], name[HECA_NAME_MAX];
	int fd;

	snprintf(name, sizeof(name), "%.*s", (int)strnlen(info->name, sizeof(info->name)),
		 info->name);
	heca_region_path(node, sizeof(node), name);
	fd = heca_region_open(name, flags | O_NOCTTY);
	if (fd < 0) {
		hc_err("%s: cannot open %s: %s%s", what, node, strerror(-fd),
		       fd == -EACCES || fd == -EPERM ? " (run as root)" : "");
		errno = -fd;
		return -1;
	}
	if (heca_region_check(fd, info)) {
		hc_err("%s: %s is not the region's device (a file left by a VMM started before the region existed?): stop what uses it, destroy the region, remove %s and create the region again",
		       what, node, node);
		close(fd);
		errno = ENODEV;
		return -1;
	}
	return fd;
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

	if (err == EINVAL && fd >= 0 && heca_version(fd, &v) == 0 &&
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
