// SPDX-License-Identifier: GPL-2.0
/*
 * heca migration policy (see heca_migrate.h and Documentation/design.rst,
 * "Pre-copy and hybrid").
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "heca.h"
#include "heca_migrate.h"

#define PAGE_BYTES	4096.0

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

const char *heca_mig_mode_name(enum heca_mig_mode mode)
{
	switch (mode) {
	case HECA_MIG_PRECOPY:
		return "precopy";
	case HECA_MIG_POSTCOPY:
		return "postcopy";
	case HECA_MIG_HYBRID:
		return "hybrid";
	}
	return "?";
}

const char *heca_mig_end_name(enum heca_mig_end end)
{
	switch (end) {
	case HECA_MIG_CONVERGED:
		return "converged";
	case HECA_MIG_STUCK:
		return "dirty set stopped shrinking";
	case HECA_MIG_MAX_ROUNDS:
		return "round limit";
	case HECA_MIG_TIMEOUT:
		return "timeout";
	case HECA_MIG_NO_ROUNDS:
		return "no rounds";
	}
	return "?";
}

static int fail(struct heca_mig_result *res, const char *what, int err)
{
	res->failed = what;
	return err < 0 ? err : -EIO;
}

static int wait_for(int fd, __u32 flags, __u32 state, __u32 round,
		    unsigned int ms)
{
	struct heca_wait w = {
		.argsz = sizeof(w), .flags = flags, .state = state,
		.round = round, .timeout_ms = ms ? ms : 1,
	};

	return heca_wait(fd, &w);
}

/* Pre-copy rounds until one of the ends; returns 0 or -errno. */
static int rounds(int fd, const struct heca_mig_params *p,
		  const struct heca_mig_ops *ops, void *ctx,
		  struct heca_mig_result *res, uint64_t t0)
{
	unsigned int budget = p->downtime_ms ? p->downtime_ms : 300;
	unsigned int max = p->max_rounds ? p->max_rounds : 30;
	uint64_t deadline = t0 + (uint64_t)p->timeout_ms * 1000000u;
	uint64_t prev = UINT64_MAX, t;
	struct heca_mig_round r;
	struct heca_round rd;
	int err;

	for (;;) {
		t = now_ns();
		err = heca_round(fd, &rd);
		if (err)
			return fail(res, "pre-copy round", err);
		res->rounds = rd.round;
		res->round_pages += rd.pages;
		/* Wait for the destination to have it, or for the timeout. */
		for (;;) {
			uint64_t left = deadline > now_ns() ?
					(deadline - now_ns()) / 1000000u : 0;

			err = wait_for(fd, HECA_WAIT_SYNCED, 0, rd.round,
				       left > 1000 ? 1000 : left);
			if (!err)
				break;
			if (err != -ETIMEDOUT && err != -EINTR)
				return fail(res, "waiting for a round", err);
			if (now_ns() >= deadline) {
				res->end = HECA_MIG_TIMEOUT;
				return 0;
			}
		}
		r.round = rd.round;
		r.pages = rd.pages;
		r.ns = now_ns() - t;
		r.bytes_per_s = r.ns ? rd.pages * PAGE_BYTES * 1e9 / r.ns : 0;
		if (ops->round_done)
			ops->round_done(ctx, &r);

		/* The next set is about this one's size: does it fit? */
		if (r.bytes_per_s > 0 &&
		    rd.pages * PAGE_BYTES / r.bytes_per_s * 1e3 <= budget &&
		    rd.round > 1) {
			res->end = HECA_MIG_CONVERGED;
			return 0;
		}
		if (rd.round >= 3 && rd.pages >= prev) {
			res->end = HECA_MIG_STUCK;
			return 0;
		}
		if (rd.round >= max) {
			res->end = HECA_MIG_MAX_ROUNDS;
			return 0;
		}
		if (now_ns() >= deadline) {
			res->end = HECA_MIG_TIMEOUT;
			return 0;
		}
		prev = rd.pages;
	}
}

int heca_migrate(int fd, const struct heca_mig_params *p,
		 const struct heca_mig_ops *ops, void *ctx,
		 struct heca_mig_result *res)
{
	unsigned int done_ms = p->complete_timeout_ms ?
			       p->complete_timeout_ms : 600000;
	uint64_t t0 = now_ns(), t_pause, t_resume, t;
	int err;

	memset(res, 0, sizeof(*res));
	res->end = HECA_MIG_NO_ROUNDS;
	if (p->mode == HECA_MIG_PRECOPY ||
	    (p->mode == HECA_MIG_HYBRID && p->timeout_ms)) {
		err = rounds(fd, p, ops, ctx, res, t0);
		if (err)
			return err;
	}

	t_pause = now_ns();
	err = ops->pause(ctx);
	if (err)
		return fail(res, "pausing the VM", err);
	t = now_ns();
	res->timeline.paused_ns = t - t_pause;
	err = heca_switchover(fd);
	if (err)
		return fail(res, "switchover", err);
	res->switch_ns = now_ns() - t;
	res->timeline.switched_ns = res->timeline.paused_ns + res->switch_ns;
	if (p->mode == HECA_MIG_PRECOPY) {
		err = wait_for(fd, 0, HECA_STATE_COMPLETE, 0, done_ms);
		if (err)
			return fail(res, "waiting for the last pages", err);
		res->timeline.last_pages_ns = now_ns() - t_pause;
	}
	err = ops->handover(ctx);
	if (err)
		return fail(res, "resuming at the destination", err);
	res->timeline.handed_over_ns = now_ns() - t_pause;
	err = ops->resume(ctx);
	if (err)
		return fail(res, "resuming at the destination", err);
	t_resume = now_ns();
	res->downtime_ns = t_resume - t_pause;
	res->timeline.running_ns = res->downtime_ns;

	err = wait_for(fd, 0, HECA_STATE_COMPLETE, 0, done_ms);
	if (err)
		return fail(res, "waiting for completion", err);
	res->total_ns = now_ns() - t0;
	err = heca_stats(fd, &res->stats);
	if (err)
		return fail(res, "reading statistics", err);
	return 0;
}
