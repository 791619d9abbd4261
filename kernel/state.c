// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the session state machine of a region.
 *
 * States (enum heca_state), changed only by heca_region_set_state():
 *
 *   NONE/COMPLETE/FAILED --start--> CONNECTED --switchover--> RUNNING
 *   RUNNING --every page at the destination--> COMPLETE
 *   CONNECTED/RUNNING --error, timeout, abort--> FAILED
 *
 * Entering COMPLETE or FAILED queues the session's end (the work its
 * session published in the region's @end_work: it stops the puller, closes
 * the connection, failing what is in flight, frees the session and
 * releases the region).  Every change wakes HECA_IOC_WAIT callers and the
 * role's own waiters (struct heca_role.wake).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "heca.h"
#include "trace.h"

/* Runs the ends of sessions; flushed at module unload. */
static struct workqueue_struct *heca_wq;

static const char *const heca_state_names[] = {
	[HECA_STATE_NONE] = "none",
	[HECA_STATE_CONNECTED] = "connected",
	[HECA_STATE_RUNNING] = "running",
	[HECA_STATE_COMPLETE] = "complete",
	[HECA_STATE_FAILED] = "failed",
};

enum heca_state heca_region_state(struct heca_region *r)
{
	return READ_ONCE(r->state);
}

static bool heca_transition_ok(enum heca_state from, enum heca_state to)
{
	switch (to) {
	case HECA_STATE_CONNECTED:
		return from == HECA_STATE_NONE || from == HECA_STATE_COMPLETE ||
		       from == HECA_STATE_FAILED;
	case HECA_STATE_RUNNING:
		return from == HECA_STATE_CONNECTED;
	case HECA_STATE_COMPLETE:
		return from == HECA_STATE_RUNNING;
	case HECA_STATE_FAILED:
		/* From NONE: a fault on a destination waited for no session. */
		return from == HECA_STATE_NONE ||
		       from == HECA_STATE_CONNECTED ||
		       from == HECA_STATE_RUNNING;
	default:
		return false;
	}
}

/**
 * heca_region_set_state() - the one place a session changes state
 * @r:    the region
 * @next: the new state
 * @err:  with HECA_STATE_FAILED, the negative errno
 *
 * Transitions not in the table above are ignored (a late error after
 * completion, a second failure).  Entering COMPLETE or FAILED queues the
 * session's end work (@r->end_work).
 *
 * Return: whether the state changed.
 */
bool heca_region_set_state(struct heca_region *r, enum heca_state next,
			   int err)
{
	enum heca_state prev;
	unsigned long flags;

	spin_lock_irqsave(&r->state_lock, flags);
	prev = r->state;
	if (!heca_transition_ok(prev, next)) {
		spin_unlock_irqrestore(&r->state_lock, flags);
		return false;
	}
	WRITE_ONCE(r->state, next);
	switch (next) {
	case HECA_STATE_CONNECTED:
		r->error = 0;
		r->synced_round = 0;
		r->switched = false;
		r->t_switch = 0;
		r->t_end = 0;
		break;
	case HECA_STATE_RUNNING:
		r->t_switch = ktime_get_ns();
		break;
	case HECA_STATE_FAILED:
		r->error = -err;
		fallthrough;
	case HECA_STATE_COMPLETE:
		r->t_end = ktime_get_ns();
		if (r->end_work)
			queue_work(heca_wq, r->end_work);
		break;
	default:
		break;
	}
	spin_unlock_irqrestore(&r->state_lock, flags);

	pr_debug("%s: %s -> %s\n", r->name, heca_state_names[prev],
		 heca_state_names[next]);
	trace_heca_state(r->name, prev, next, err);
	wake_up_all(&r->state_wq);
	if (r->role->wake)
		r->role->wake(r);
	return true;
}

/**
 * heca_region_set_end_work() - what ends the region's session
 * @r:    the region
 * @work: queued when the session enters COMPLETE or FAILED, or NULL once
 *        the session is gone
 */
void heca_region_set_end_work(struct heca_region *r, struct work_struct *work)
{
	unsigned long flags;

	spin_lock_irqsave(&r->state_lock, flags);
	r->end_work = work;
	spin_unlock_irqrestore(&r->state_lock, flags);
}

/**
 * heca_session_fail() - fail the region's session, once, with a log line
 * @r:   the region
 * @err: negative errno
 * @why: what went wrong, for the log
 */
void heca_session_fail(struct heca_region *r, int err, const char *why)
{
	/* A signal cut a send short: not an error userspace can read. */
	if (err == -ERESTARTSYS || err == -ERESTARTNOINTR ||
	    err == -ERESTARTNOHAND || err == -ERESTART_RESTARTBLOCK)
		err = -EINTR;
	if (heca_region_set_state(r, HECA_STATE_FAILED, err))
		pr_err("%s: session failed: %s (%d); faults on missing pages now get SIGBUS\n",
		       r->name, why, err);
}

int heca_state_init(void)
{
	heca_wq = alloc_workqueue("heca", WQ_UNBOUND, 0);
	return heca_wq ? 0 : -ENOMEM;
}

void heca_state_exit(void)
{
	destroy_workqueue(heca_wq);
}
