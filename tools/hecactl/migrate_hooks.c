// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl migrate: the VMM reached by hooks, shell commands run at each
 * step (--pause-cmd, --handover-cmd, --resume-cmd; see migrate.h, vmm.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heca.h"
#include "heca_migrate.h"
#include "hecactl.h"
#include "migrate.h"
#include "mig.h"
#include "qemu.h"
#include "session.h"
#include "stats.h"
#include "vmm.h"

const char *const hc_mig_phase_name[PH_N] = { "pause", "handover", "resume" };

/* Run the command of @phase, if given.  Returns 0 or -ECHILD (see v->failed_*). */
static int run_phase(struct vmm *v, int phase)
{
	const char *cmd = v->m->cmd[phase];
	int status = 0, err;

	if (!cmd)
		return 0;
	err = hc_run_vmm_cmd(cmd, v->m->name, hc_mig_phase_name[phase], v->m->json, &status);
	if (!err && WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	v->failed_phase = phase;
	v->failed_status = status;
	v->failed_errno = err;
	return -ECHILD;
}

int mig_hooks_pause(struct vmm *v)
{
	if (v->m->cmd[PH_PAUSE])
		mig_say("%s: pausing the VM: %s\n", v->m->name, v->m->cmd[PH_PAUSE]);
	return run_phase(v, PH_PAUSE);
}

int mig_hooks_handover(struct vmm *v)
{
	const struct migrate_args *m = v->m;
	bool pre = m->params.mode == HECA_MIG_PRECOPY;

	if (m->cmd[PH_HANDOVER] || m->cmd[PH_RESUME])
		mig_say("%s: switched over%s\n", m->name,
			pre ? ", every page is at the destination" : "");
	if (!m->cmd[PH_HANDOVER])
		return 0;
	mig_say("%s: moving the VM's state: %s\n", m->name, m->cmd[PH_HANDOVER]);
	return run_phase(v, PH_HANDOVER);
}

int mig_hooks_resume(struct vmm *v)
{
	const struct migrate_args *m = v->m;
	bool pre = m->params.mode == HECA_MIG_PRECOPY;
	int err;

	if (!m->cmd[PH_RESUME]) {
		if (m->cmd[PH_HANDOVER])
			mig_say("%s: resume the VM at the destination now\n", m->name);
		else
			mig_say("%s: switched over%s: resume the VM at the destination now\n",
				m->name, pre ? ", every page is at the destination" : "");
		v->resumed = true;
		return 0;
	}
	mig_say("%s: resuming the VM at the destination: %s\n", m->name, m->cmd[PH_RESUME]);
	err = run_phase(v, PH_RESUME);
	if (err)
		return err;
	v->resumed = true;
	if (!pre)
		mig_say("%s: the VM runs at the destination; serving the pages it lacks\n",
			m->name);
	return 0;
}

/*
 * A command failed.  @aborted says what became of the session when it did
 * not switch over (NULL: it had ended already).
 */
int mig_report_cmd_failed(const struct vmm *v, const char *aborted)
{
	const struct migrate_args *m = v->m;
	const char *cmd = m->cmd[v->failed_phase];
	char how[96];

	if (v->failed_errno)
		snprintf(how, sizeof(how), "could not be started: %s",
			 strerror(v->failed_errno));
	else
		hc_format_cmd_status(how, sizeof(how), v->failed_status);
	if (v->failed_phase == PH_PAUSE)
		hc_err("%s: --pause-cmd '%s' %s: %s; the VM stays here (resume it here if the command paused it)",
		       v->s->what, cmd, how,
		       aborted ? aborted : "the session had ended before the switchover");
	else
		hc_err("%s: --%s-cmd '%s' %s: the switchover was done, so the session goes on: start the VM at the destination by other means, never here ('hecactl status %s' shows the session)",
		       v->s->what, hc_mig_phase_name[v->failed_phase], cmd, how, m->name);
	return HC_EXIT_FAIL;
}
