/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca migration policy: the rounds, convergence, the timeout switch and
 * the switchover, around a VMM reached through callbacks.  The kernel
 * module holds the mechanism (HECA_IOC_ROUND, _SWITCHOVER, _WAIT); this
 * holds the decisions.  Used by hecactl and by the selftests.
 */
#ifndef HECA_MIGRATE_H
#define HECA_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/heca.h>

enum heca_mig_mode {
	HECA_MIG_PRECOPY,	/* all pages before the destination resumes */
	HECA_MIG_POSTCOPY,	/* resume at once, pages on demand */
	HECA_MIG_HYBRID,	/* pre-copy rounds, then post-copy */
};

struct heca_mig_params {
	enum heca_mig_mode mode;
	/*
	 * Pre-copy: force a stop-and-copy after this long; hybrid: switch to
	 * post-copy after this long (0: at once, i.e. post-copy).
	 */
	unsigned int timeout_ms;
	unsigned int downtime_ms;	/* convergence budget; 0: 300 */
	unsigned int max_rounds;	/* 0: 30 */
	unsigned int complete_timeout_ms; /* for the last pages; 0: 600000 */
};

struct heca_mig_round {
	unsigned int round;
	uint64_t pages;		/* in the round */
	uint64_t ns;		/* from sending it to the destination having it */
	double bytes_per_s;	/* measured rate */
};

/* The VMM.  Each returns 0 or a negative errno (which stops the migration). */
struct heca_mig_ops {
	int (*pause)(void *ctx);	/* stop the VM at the source */
	int (*handover)(void *ctx);	/* CPU/device state to the destination */
	int (*resume)(void *ctx);	/* run the VM at the destination */
	void (*round_done)(void *ctx, const struct heca_mig_round *r);
};

enum heca_mig_end {
	HECA_MIG_CONVERGED,	/* the last round fits the downtime budget */
	HECA_MIG_STUCK,		/* rounds stopped shrinking */
	HECA_MIG_MAX_ROUNDS,
	HECA_MIG_TIMEOUT,	/* pre-copy: forced; hybrid: switched */
	HECA_MIG_NO_ROUNDS,	/* post-copy */
};

/*
 * The switchover's steps, in ns from the pause being asked for (0 for a
 * step that was not reached, or does not apply): the VMM paused the VM
 * (QEMU: stopped it, in pre-switchover), heca's switchover returned (the
 * destination took SWITCH: SWITCHED), pre-copy's last pages arrived, the
 * VMM handed the VM over (QEMU: migrate-continue, its device state sent),
 * the VM runs at the destination.
 */
struct heca_mig_timeline {
	uint64_t paused_ns;
	uint64_t switched_ns;
	uint64_t last_pages_ns;
	uint64_t handed_over_ns;
	uint64_t running_ns;
};

struct heca_mig_result {
	enum heca_mig_end end;
	unsigned int rounds;
	uint64_t round_pages;	/* pages sent in rounds */
	uint64_t downtime_ns;	/* pause -> resume at the destination */
	uint64_t total_ns;	/* start -> every page at the destination */
	uint64_t switch_ns;	/* the switchover ioctl itself */
	struct heca_mig_timeline timeline;
	struct heca_stats stats; /* the source's, at the end */
	const char *failed;	/* what failed, with the negative errno returned */
};

const char *heca_mig_mode_name(enum heca_mig_mode mode);
const char *heca_mig_end_name(enum heca_mig_end end);

/*
 * Migrate the VM whose RAM is the source region @fd, whose session is
 * connected (HECA_STATE_CONNECTED) and the VM running.  Returns 0 with
 * @res filled, or a negative errno with @res->failed saying what failed.
 */
int heca_migrate(int fd, const struct heca_mig_params *p,
		 const struct heca_mig_ops *ops, void *ctx,
		 struct heca_mig_result *res);

#endif /* HECA_MIGRATE_H */
