/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: region names.  Pure.
 */
#ifndef HECACTL_NAME_H
#define HECACTL_NAME_H

#include <stddef.h>

/*
 * The rule of uapi/linux/heca.h: 1..HECA_NAME_MAX-1 characters of
 * [A-Za-z0-9_.-], not starting with '.', and not HECA_CONTROL_NAME.
 * Returns 0, or -1 with a reason in @why.
 */
int hc_check_name(const char *name, char *why, size_t whylen);

#endif /* HECACTL_NAME_H */
