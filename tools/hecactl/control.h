/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: the control device, its ioctls, and what their errors mean.
 */
#ifndef HECACTL_CONTROL_H
#define HECACTL_CONTROL_H

#include <stdbool.h>

#include <linux/heca.h>

#define HC_CONTROL_DEFAULT	"/dev/heca/control"

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
