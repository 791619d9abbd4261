/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: the control device, its ioctls, and what their errors mean.
 */
#ifndef HECACTL_CONTROL_H
#define HECACTL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/heca.h>

#define HC_CONTROL_DEFAULT	"/dev/heca/control"

/* The kernel's page size, as sysconf() says (4096 if it cannot). */
uint64_t hc_page_size(void);

/* $HECA_CONTROL if set and not empty, else HC_CONTROL_DEFAULT. */
const char *hc_control_path(void);

/*
 * Open the control device.  Returns the fd, or -1 with errno set and the
 * reason printed ("hecactl: cannot open ..."); with @quiet_if_absent, a
 * missing device (ENOENT, ENXIO, ENODEV) is not printed.
 */
int hc_control_open(bool quiet_if_absent);

/* Does this open() error mean that heca.ko is not loaded? */
bool hc_control_absent(int err);

/* ioctl(), repeated on EINTR.  Returns 0 or -1 with errno set. */
int hc_ioctl(int fd, unsigned long req, void *arg);

/*
 * ioctl() once: EINTR is returned, for the session ioctls that block
 * (HECA_IOC_SESSION_START, HECA_IOC_WAIT) and that a signal should end.
 */
int hc_ioctl_once(int fd, unsigned long req, void *arg);

/* A bound on what we believe of the kernel's region count. */
#define HC_LIST_MAX		65536

/*
 * HECA_IOC_REGION_LIST into *@out (malloc'd, may be NULL) and *@n.
 * Returns 0 or an errno; E2BIG for more than HC_LIST_MAX regions, EAGAIN
 * if the set of regions kept changing.
 */
int hc_list_regions(int fd, struct heca_region_info **out, size_t *n);

/* The region @name into *@info.  Returns 0, ENOENT, or hc_list_regions()'s errno. */
int hc_find_region(int fd, const char *name, struct heca_region_info *info);

/* The node of region @name, /dev/heca/<name>: beside the control device. */
void hc_region_node(const char *name, char *buf, size_t len);

/*
 * Open the node of the region @info with @flags, and check that it is the
 * region's character device (st_rdev), not a file a VMM left there.
 * Returns the fd, or -1 with the reason printed as "hecactl: <what>: ...".
 */
int hc_region_open(const char *what, const struct heca_region_info *info,
		   int flags);

/* HECA_IOC_VERSION into *@v.  Returns 0 or -1 with errno set. */
int hc_query_version(int fd, struct heca_version *v);

/* What an errno means for one operation. */
struct hc_errmap {
	int err;
	const char *phrase;	/* what happened */
	const char *hint;	/* what to do, or NULL */
};

/*
 * Print "hecactl: <what>: <phrase> (<ENAME>)[: <hint>]" for @err, looked
 * up in @map (ended by err 0, may be NULL), then in the errors every ioctl
 * shares, else strerror().  For EINVAL it first asks the module for its
 * ABI version through @fd and names a mismatch.  Returns HC_EXIT_FAIL.
 */
int hc_report(int fd, const char *what, int err, const struct hc_errmap *map);

/* "EEXIST" for EEXIST, or "errno N". */
const char *hc_errno_name(int err, char *buf, unsigned int len);

#endif /* HECACTL_CONTROL_H */
