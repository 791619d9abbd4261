// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl migrate: the VMM reached by QMP (--qmp, --qemu-uri; see
 * migrate.h, qemu.c): QEMU moves the CPU and device state around heca's
 * switchover, and is rolled back when the migration stops before it.
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

int mig_qmp_pause(struct vmm *v)
{
	mig_say("%s: QEMU: migrate to %s, waiting for it to stop the guest (pre-switchover)\n",
		v->m->name, v->m->qemu_uri);
	if (hc_qemu_pause(v->qemu)) {
		v->failed_phase = PH_PAUSE;
		v->qemu_failed = true;
		return -ECHILD;
	}
	mig_say("%s: QEMU stopped the guest\n", v->m->name);
	return 0;
}

int mig_qmp_handover(struct vmm *v)
{
	const struct migrate_args *m = v->m;
	bool pre = m->params.mode == HECA_MIG_PRECOPY;

	mig_say("%s: switched over%s; QEMU sends the CPU and device state (migrate-continue)\n",
		m->name, pre ? ", every page is at the destination" : "");
	if (!hc_qemu_continue(v->qemu))
		return 0;
	v->failed_phase = PH_HANDOVER;
	v->qemu_failed = true;
	return -ECHILD;
}

int mig_qmp_resume(struct vmm *v)
{
	const struct migrate_args *m = v->m;
	bool pre = m->params.mode == HECA_MIG_PRECOPY;

	mig_say("%s: QEMU completed: the guest runs at the destination%s\n", m->name,
		pre ? "" : "; serving the pages it lacks");
	v->resumed = true;
	return 0;
}

/*
 * QEMU's failure in v->failed_phase.  Before the switchover QEMU's migration
 * was cancelled (@rolled_back says how that went); after it the guest must
 * not run here: the destination has its memory.
 */
int mig_report_qemu_failed(const struct vmm *v, const char *aborted,
			      const char *rolled_back)
{
	const struct migrate_args *m = v->m;

	if (v->failed_phase == PH_PAUSE) {
		hc_err("%s: %s; %s; %s", v->s->what, v->qemu->err,
		       aborted ? aborted : "the session had ended before the switchover",
		       rolled_back);
		return HC_EXIT_FAIL;
	}
	hc_err("%s: %s, after heca's switchover: the guest's memory is at the destination, so do not run the guest here (hecactl stopped it: %s); 'hecactl status %s' shows the session",
	       v->s->what, v->qemu->err, rolled_back, m->name);
	return HC_EXIT_FAIL;
}

/*
 * Undo QEMU's side of a migration that stopped: before the switchover,
 * migrate_cancel (the guest runs on here); after it, stop the guest here.
 * Returns what became of it, for the message.
 */
const char *mig_qemu_rollback(const struct vmm *v, char *buf, size_t len)
{
	struct hc_qemu *qe = v->qemu;
	char why[sizeof(qe->err)];

	if (!qe->migrating)
		return v->paused ? "QEMU's migration had ended" :
		       "QEMU's migration had not started: the guest runs on here";
	if (v->switched) {
		if (hc_qmp_cmd(&qe->qmp, "stop", NULL, NULL, why, sizeof(why)))
			snprintf(buf, len, "stop failed too: %s", why);
		else
			snprintf(buf, len, "it is paused");
		return buf;
	}
	snprintf(why, sizeof(why), "%s", qe->err);
	if (hc_qemu_cancel(qe))
		snprintf(buf, len, "QEMU's migration could not be cancelled (%s): see QEMU",
			 qe->err);
	else
		snprintf(buf, len, "rolled back: QEMU's migration was cancelled and the guest runs on here");
	snprintf(qe->err, sizeof(qe->err), "%s", why);
	return buf;
}
