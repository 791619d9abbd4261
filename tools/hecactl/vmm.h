/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: reaching the VMM through commands (--pause-cmd, --handover-cmd,
 * --resume-cmd of "migrate").
 */
#ifndef HECACTL_VMM_H
#define HECACTL_VMM_H

#include <stdbool.h>

/*
 * Run @cmd with /bin/sh -c, with HECA_REGION=@region and HECA_PHASE=@phase
 * added to its environment, no signal blocked, and its standard output on
 * our standard error when @out_to_err (--json keeps standard output for
 * the JSON); wait for it.  Returns 0 with its waitpid() status in *@status,
 * or an errno when it could not be started.
 */
int hc_run_vmm_cmd(const char *cmd, const char *region, const char *phase,
		   bool out_to_err, int *status);

#endif /* HECACTL_VMM_H */
