/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: what the parts of "migrate" share.  migrate.c is the command
 * and its orchestration (options, connecting, the policy's run);
 * migrate_vmm.c the VMM behind the policy's callbacks, reached by hooks
 * (migrate_hooks.c: --pause-cmd, --handover-cmd, --resume-cmd) or by QMP
 * (migrate_qmp.c: --qmp); migrate_report.c what is printed at the end,
 * when it failed or as the report.
 */
#ifndef HECACTL_MIGRATE_H
#define HECACTL_MIGRATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "heca.h"
#include "heca_migrate.h"
#include "qemu.h"
#include "session.h"

/* The VMM's steps, in order: the phases of the commands. */
enum { PH_PAUSE, PH_HANDOVER, PH_RESUME, PH_N };

/* "pause", "handover", "resume": HECA_PHASE, and the option --<phase>-cmd. */
extern const char *const hc_mig_phase_name[PH_N];

struct migrate_args {
	const char *name, *to;
	struct heca_session_start start;
	unsigned int connect_timeout_s;
	unsigned int timeout_s;		/* --timeout, for the report */
	struct heca_mig_params params;
	const char *cmd[PH_N];		/* NULL: not given */
	const char *qmp, *qemu_uri;	/* --qmp, --qemu-uri: NULL if not given */
	bool auto_transport;		/* --transport auto (the default) */
	bool json;
};

struct vmm {
	const struct migrate_args *m;
	struct hc_session *s;
	struct hc_qemu *qemu;		/* --qmp, or NULL */
	bool tty;			/* rounds as progress on stderr */
	struct heca_mig_round *rounds;	/* as round_done() got them */
	unsigned int nrounds, cap;
	/* how far it got */
	bool paused, switched, resumed;
	bool aborted;			/* by a signal during the rounds */
	bool interrupted;		/* a signal stopped it at the pause */
	/* a command that failed */
	int failed_phase;		/* -1: none */
	int failed_status;		/* its waitpid() status */
	int failed_errno;		/* or why it could not be started */
	bool qemu_failed;		/* QEMU failed in failed_phase (qemu->err) */
	/* signals held from the pause to the handover */
	bool held;
	sigset_t oldmask;
};

/* Messages that say how far it got: stdout, or stderr with --json. */
void mig_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The policy's callbacks (migrate_vmm.c); ctx is a struct vmm. */
extern const struct heca_mig_ops hc_mig_vmm_ops;
/* Let the signals held from the pause to the handover through. */
void mig_release_signals(struct vmm *v);

/*
 * The VMM by hooks (migrate_hooks.c) and by QMP (migrate_qmp.c): each step
 * returns 0 or -ECHILD with v->failed_phase (and v->qemu_failed) set.
 */
int mig_hooks_pause(struct vmm *v);
int mig_hooks_handover(struct vmm *v);
int mig_hooks_resume(struct vmm *v);
int mig_qmp_pause(struct vmm *v);
int mig_qmp_handover(struct vmm *v);
int mig_qmp_resume(struct vmm *v);

/* A command failed; @aborted says what became of the session.  HC_EXIT_FAIL. */
int mig_report_cmd_failed(const struct vmm *v, const char *aborted);
/*
 * Undo QEMU's side of a migration that stopped; returns what became of
 * it, for the message.
 */
const char *mig_qemu_rollback(const struct vmm *v, char *buf, size_t len);
/* QEMU failed in v->failed_phase.  Returns HC_EXIT_FAIL. */
int mig_report_qemu_failed(const struct vmm *v, const char *aborted,
			   const char *rolled_back);

/* The policy failed with @rc (-errno); say why and what to do.  An exit code. */
int mig_report_failure(struct vmm *v, const struct heca_mig_result *res, int rc);
/*
 * The report of a completed migration, as text or (--json) one object,
 * from the same calls.  Returns 0, or -1 when out of memory.
 */
int mig_print_report(FILE *f, const struct vmm *v, const struct heca_mig_result *res);

#endif /* HECACTL_MIGRATE_H */
