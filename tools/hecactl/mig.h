/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: the pure parts of "migrate": its modes, its limits, a round as
 * a line, and how a VMM command ended.  No output, no system calls.
 */
#ifndef HECACTL_MIG_H
#define HECACTL_MIG_H

#include <stddef.h>

#include "heca_migrate.h"

/* --timeout (seconds): the policy's; 0 only in hybrid (post-copy at once). */
#define HC_MIG_TIMEOUT_DEFAULT_S	60
#define HC_MIG_TIMEOUT_MAX_S		86400
/* --downtime-ms and --max-rounds: the library's defaults. */
#define HC_MIG_DOWNTIME_DEFAULT_MS	300
#define HC_MIG_DOWNTIME_MAX_MS		3600000
#define HC_MIG_ROUNDS_DEFAULT		30
#define HC_MIG_ROUNDS_MAX		10000
/*
 * How long the library waits for the last pages (pre-copy, before the
 * resume) and for completion: the kernel's longest HECA_IOC_WAIT.
 */
#define HC_MIG_COMPLETE_TIMEOUT_MS	(3600 * 1000)

/* "precopy", "postcopy" or "hybrid" into *@out.  Returns 0 or -1. */
int hc_parse_mig_mode(const char *s, enum heca_mig_mode *out);

/*
 * Does a migration with these settings run pre-copy rounds, with the VM
 * running at the source (so that hecactl must be able to pause it)?
 */
int hc_mig_has_rounds(enum heca_mig_mode mode, unsigned int timeout_s);

/* "round 3: 1200 pages, 45 ms, 109.2 MB/s" (no newline). */
char *hc_format_round(char *buf, size_t len, const struct heca_mig_round *r);

/*
 * How a command run through /bin/sh -c ended, from its waitpid() status:
 * "exited with status 3", "was killed by signal 9 (SIGKILL)", with a
 * word on the shell's 126 and 127.
 */
char *hc_format_cmd_status(char *buf, size_t len, int status);

#endif /* HECACTL_MIG_H */
