/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: opening the control device and regions with messages for
 * people, and what the errors of heca's ioctls mean.
 */
#ifndef HECACTL_CONTROL_H
#define HECACTL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heca.h"

/*
 * Open the control device (heca_control_path()).  Returns the fd, or -1
 * with errno set and the reason printed ("hecactl: cannot open ...");
 * with @quiet_if_absent, a missing device (ENOENT, ENXIO, ENODEV) is not
 * printed.
 */
int hc_control_open(bool quiet_if_absent);

/*
 * Open the node of the region @info with @flags, and check that it is the
 * region's character device (st_rdev), not a file a VMM left there.
 * Returns the fd, or -1 with the reason printed as "hecactl: <what>: ...".
 */
int hc_region_open(const char *what, const struct heca_region_info *info,
		   int flags);

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
