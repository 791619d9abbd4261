// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl migrate: the VMM behind the policy's callbacks (see migrate.h):
 * what every VMM shares (signals held around the switchover, the rounds
 * recorded and shown), each step by hooks or by QMP.
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

/*
 * A signal must not cut the switchover short (that fails the session with
 * the VM paused here): hold them back from the pause until the handover
 * (in pre-copy this includes the wait for the last pages, which the
 * downtime budget bounds), and let what follows notice them.
 */
static void hold_signals(struct vmm *v)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &v->oldmask);
	v->held = true;
}

void mig_release_signals(struct vmm *v)
{
	if (v->held)
		sigprocmask(SIG_SETMASK, &v->oldmask, NULL);
	v->held = false;
}

static int vmm_pause(void *ctx)
{
	struct vmm *v = ctx;
	int err;

	if (hc_interrupted()) {
		v->interrupted = true;
		return -EINTR;
	}
	err = v->qemu ? mig_qmp_pause(v) : mig_hooks_pause(v);
	if (err)
		return err;
	v->paused = true;
	hold_signals(v);
	return 0;
}

static int vmm_handover(void *ctx)
{
	struct vmm *v = ctx;

	mig_release_signals(v);
	v->switched = true;
	return v->qemu ? mig_qmp_handover(v) : mig_hooks_handover(v);
}

static int vmm_resume(void *ctx)
{
	struct vmm *v = ctx;

	return v->qemu ? mig_qmp_resume(v) : mig_hooks_resume(v);
}

static void vmm_round_done(void *ctx, const struct heca_mig_round *r)
{
	struct vmm *v = ctx;
	char line[128];

	if (v->nrounds == v->cap) {
		unsigned int cap = v->cap ? 2 * v->cap : 16;
		struct heca_mig_round *n = realloc(v->rounds, cap * sizeof(*n));

		if (n) {
			v->rounds = n;
			v->cap = cap;
		}
	}
	if (v->nrounds < v->cap)
		v->rounds[v->nrounds++] = *r;
	if (v->tty)
		fprintf(stderr, "%s: %s\n", v->m->name, hc_format_round(line, sizeof(line), r));
	/*
	 * The library's wait for a round goes on through signals (EINTR):
	 * end the session now, so that the next round fails at once.
	 */
	if (hc_interrupted() && !v->aborted &&
	    !heca_session_abort(v->s->fd))
		v->aborted = true;
}

const struct heca_mig_ops hc_mig_vmm_ops = {
	.pause = vmm_pause,
	.handover = vmm_handover,
	.resume = vmm_resume,
	.round_done = vmm_round_done,
};
