// SPDX-License-Identifier: GPL-2.0
/*
 * heca: sessions: binding a region to its peer over a transport (start,
 * the callbacks the transport reports through, teardown), and the ioctls
 * that drive a session (switchover, rounds, wait, abort).
 *
 * A session is published in its region (r->session, and its teardown as
 * the region's end work) once connected; entering COMPLETE or FAILED
 * (state.c) queues the teardown: the role's threads are stopped, the
 * connection closed (failing what is in flight), the session freed and the
 * region released.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>

#include "heca.h"
#include "dest.h"
#include "session.h"
#include "source.h"

#define HECA_DEFAULT_TIMEOUT_MS	30000
#define HECA_MAX_TIMEOUT_MS	(3600 * 1000)

static void heca_session_teardown(struct work_struct *work)
{
	struct heca_session *s = container_of(work, struct heca_session,
					      teardown);
	struct heca_region *r = s->r;

	/*
	 * Under session_lock: an ioctl (switchover) may be using the
	 * connection; it gives up soon, the connection being dead or its
	 * sends bounded by the session's timeout.
	 */
	mutex_lock(&r->session_lock);
	if (r->role->stop)
		r->role->stop(s);
	s->t->close(s->conn);

	heca_region_set_end_work(r, NULL);
	r->session = NULL;
	mutex_unlock(&r->session_lock);

	wake_up_all(&r->state_wq);
	kvfree(s->sent);
	heca_transport_put(s->t);
	kfree(s);
	heca_region_unuse(r);
}

/* ---- what the transport calls: struct heca_conn_cb ------------------- */

static struct heca_session *heca_conn_session(struct heca_conn *c)
{
	return c->p.ctx;
}

/*
 * A control message from the peer, in order, its length within the type's
 * bounds: the role takes it.  A message the role does not expect, or
 * whose contents are wrong, fails the session.
 */
static void heca_cb_recv(struct heca_conn *c, u16 type, const void *payload,
			 size_t len)
{
	struct heca_session *s = heca_conn_session(c);
	int err;

	err = s->r->role->recv(s, type, payload, len);
	if (err)
		heca_session_fail(s->r, err, "unexpected message from the peer");
}

static void heca_cb_fetch_done(struct heca_conn *c, struct heca_fetch *f,
			       int err)
{
	heca_fetch_done(f, err);
}

static struct page *heca_cb_page(struct heca_conn *c, pgoff_t idx)
{
	return heca_source_page(heca_conn_session(c), idx);
}

static struct page *heca_cb_next_page(struct heca_conn *c, pgoff_t *idx,
				      pgoff_t last)
{
	struct heca_region *r = heca_conn_session(c)->r;
	unsigned long i = *idx;
	struct page *page;

	page = xa_find(&r->pages, &i, last, XA_PRESENT);
	*idx = i;
	return page;
}

static void heca_cb_fail(struct heca_conn *c, int err, const char *why)
{
	heca_session_fail(heca_conn_session(c)->r, err, why);
}

static void heca_cb_account(struct heca_conn *c, enum heca_acct what, u64 n)
{
	struct heca_region_stats *st = &heca_conn_session(c)->r->stats;

	switch (what) {
	case HECA_ACCT_BYTES_RX:
		atomic64_add(n, &st->bytes_rx);
		break;
	case HECA_ACCT_BYTES_TX:
		atomic64_add(n, &st->bytes_tx);
		break;
	case HECA_ACCT_PAGES_SENT:
		atomic64_add(n, &st->pages_sent);
		break;
	case HECA_ACCT_REQUESTS:
		atomic64_add(n, &st->requests);
		break;
	}
}

static const struct heca_conn_cb heca_session_cb = {
	.recv = heca_cb_recv,
	.fetch_done = heca_cb_fetch_done,
	.page = heca_cb_page,
	.next_page = heca_cb_next_page,
	.fail = heca_cb_fail,
	.account = heca_cb_account,
};

/* Destination: accept peers until one passes the handshake, or time out. */
static int heca_session_listen(struct heca_session *s,
			       const struct heca_addr *addr,
			       unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;
	struct heca_listener *listener;
	long left;
	int err;

	err = s->t->listen(&s->params, addr, &listener);
	if (err)
		return err;
	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		err = s->t->accept(listener, left, &s->conn);
		if (err)
			break;
		err = heca_handshake_dest(s, min_t(long, left, 10 * HZ));
		if (!err)
			break;
		pr_warn_ratelimited("%s: refused a peer: %s (%d)\n",
				    s->r->name, heca_handshake_why(err), err);
		s->t->close(s->conn);
		s->conn = NULL;
		if (err == -EINTR || err == -ERESTARTSYS)
			break;
	}
	s->t->unlisten(listener);
	return err;
}

static int heca_check_start(const struct heca_session_start *a)
{
	static const u8 zero_token[HECA_TOKEN_BYTES];

	if (a->flags || a->reserved0 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->transport != HECA_TRANSPORT_TCP &&
	    a->transport != HECA_TRANSPORT_RDMA)
		return -EINVAL;
	if (a->timeout_ms > HECA_MAX_TIMEOUT_MS ||
	    a->fault_timeout_ms > HECA_MAX_TIMEOUT_MS)
		return -EINVAL;
	if (a->addr.family != AF_INET && a->addr.family != AF_INET6)
		return -EINVAL;
	if (!a->addr.port)
		return -EINVAL;
	if (!memcmp(a->token, zero_token, sizeof(zero_token)))
		return -EINVAL;
	return 0;
}

/**
 * heca_session_start() - HECA_IOC_SESSION_START: connect to the peer
 * @r: the region
 * @a: the argument, argsz checked
 *
 * A destination listens and waits for its source, a source connects; both
 * within the timeout.  On success the session is CONNECTED and published.
 *
 * Return: 0; -EINVAL (bad argument, or a destination that switched over);
 * -EBUSY (a session exists); -EOPNOTSUPP (no such transport); -ETIMEDOUT;
 * -EINTR; -EACCES, -EPROTONOSUPPORT, -EPROTO (the handshake); the
 * transport's connection errors.
 */
int heca_session_start(struct heca_region *r,
		       const struct heca_session_start *a)
{
	unsigned long timeout, flags;
	struct heca_session *s;
	int err;

	err = heca_check_start(a);
	if (err)
		return err;
	timeout = msecs_to_jiffies(a->timeout_ms ?: HECA_DEFAULT_TIMEOUT_MS);

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->t = heca_transport_get(a->transport);
	if (IS_ERR(s->t)) {
		err = PTR_ERR(s->t);
		kfree(s);
		return err;
	}
	s->r = r;
	memcpy(s->token, a->token, sizeof(s->token));
	s->timeout = msecs_to_jiffies(a->fault_timeout_ms ?:
				      HECA_DEFAULT_TIMEOUT_MS);
	s->params = (struct heca_conn_params){
		.name = r->name,
		.npages = r->npages,
		.dest = r->role->accepts,
		.timeout = s->timeout,
		.token = s->token,
		.cb = &heca_session_cb,
		.ctx = s,
	};
	INIT_WORK(&s->teardown, heca_session_teardown);

	mutex_lock(&r->session_lock);
	if (r->session) {
		err = -EBUSY;
		goto err_unlock;
	}
	err = heca_region_use(r);
	if (err)
		goto err_unlock;
	err = r->role->prepare(r);
	if (err)
		goto err_unuse;

	if (r->role->accepts) {
		err = heca_session_listen(s, &a->addr, timeout);
	} else {
		err = s->t->connect(&s->params, &a->addr, timeout, &s->conn);
		if (!err) {
			err = heca_handshake_source(s, timeout);
			if (err)
				pr_warn("%s: the destination refused: %s (%d)\n",
					r->name, heca_handshake_why(err), err);
		}
	}
	if (err)
		goto err_close;

	heca_stats_reset(r);
	spin_lock_irqsave(&r->state_lock, flags);
	r->end_work = &s->teardown;
	r->transport = a->transport;
	spin_unlock_irqrestore(&r->state_lock, flags);
	r->session = s;
	if (!heca_region_set_state(r, HECA_STATE_CONNECTED, 0)) {
		err = -EBUSY;
		goto err_unpublish;
	}
	if (r->role->start) {
		err = r->role->start(s);
		if (err)
			goto err_fail;
	}
	err = s->t->start(s->conn);
	if (err)
		goto err_fail;
	mutex_unlock(&r->session_lock);
	return 0;

err_fail:
	/*
	 * Published: the teardown work frees the session.  Wait for it, as
	 * HECA_IOC_SESSION_ABORT does: a start that failed leaves no session
	 * behind, and a retry at once does not find the region busy.
	 */
	heca_session_fail(r, err, "could not start");
	mutex_unlock(&r->session_lock);
	wait_event_killable_timeout(r->state_wq, READ_ONCE(r->session) != s,
				    60 * HZ);
	return err;
err_unpublish:
	heca_region_set_end_work(r, NULL);
	r->session = NULL;
err_close:
	if (s->conn)
		s->t->close(s->conn);
err_unuse:
	heca_region_unuse(r);
err_unlock:
	mutex_unlock(&r->session_lock);
	heca_transport_put(s->t);
	kfree(s);
	return err == -ERESTARTSYS ? -EINTR : err;
}

/* Source: SWITCHED came, or the session ended (COMPLETE, FAILED). */
static bool heca_source_switch_taken(struct heca_region *r)
{
	return READ_ONCE(r->switched) ||
	       heca_region_state(r) != HECA_STATE_RUNNING;
}

/**
 * heca_session_switchover() - HECA_IOC_SWITCHOVER: send the final set, and
 * wait until the destination has taken it
 * @r: a source region whose session is CONNECTED; its VM is paused
 *
 * Returns once the destination answered SWITCHED: it has applied the final
 * set (unmapped and wants every page written since the last round), so
 * the VM may run there and reads nothing stale.  Without that wait a
 * destination VM started as soon as this returned could read, before the
 * destination's receiver got to the final set, pages it holds from an
 * earlier round.  The wait is bounded by the session's timeout (then the
 * session fails with -ETIMEDOUT) and ends early if the session ends.
 *
 * Return: 0; -EINVAL (not CONNECTED; the dispatcher refuses a
 * destination), -ENOTCONN (no
 * session), -ETIMEDOUT, -EINTR (fatal signal), or the session's error.
 */
int heca_session_switchover(struct heca_region *r)
{
	struct heca_session *s;
	long left;
	int err;

	mutex_lock(&r->session_lock);
	s = r->session;
	if (!s || heca_region_state(r) != HECA_STATE_CONNECTED) {
		err = s ? -EINVAL : -ENOTCONN;
		goto out;
	}
	/*
	 * Running before the final set goes: the destination may answer
	 * DONE as soon as it has SWITCH.
	 */
	heca_region_set_state(r, HECA_STATE_RUNNING, 0);
	err = heca_source_switchover(s);
	if (err) {
		heca_session_fail(r, err, "switchover failed");
		goto out;
	}
	left = wait_event_killable_timeout(r->state_wq,
					   heca_source_switch_taken(r),
					   s->timeout);
	if (left < 0) {
		err = -EINTR;
	} else if (!left) {
		err = -ETIMEDOUT;
		heca_session_fail(r, err,
				  "the destination did not take the switchover");
	} else if (heca_region_state(r) == HECA_STATE_FAILED) {
		err = -READ_ONCE(r->error);
	}
out:
	mutex_unlock(&r->session_lock);
	return err;
}

/**
 * heca_session_round() - HECA_IOC_ROUND: one pre-copy round
 * @r: a source region
 * @a: the argument, argsz checked; its round and pages are set
 *
 * Return: 0; -EINVAL (bad argument or not CONNECTED), -ENOTCONN, or the
 * round's error (the session failed).
 */
int heca_session_round(struct heca_region *r, struct heca_round *a)
{
	struct heca_session *s;
	int err;

	if (a->flags || a->reserved0 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	mutex_lock(&r->session_lock);
	s = r->session;
	if (!s || heca_region_state(r) != HECA_STATE_CONNECTED) {
		err = s ? -EINVAL : -ENOTCONN;
		goto out;
	}
	err = heca_source_round(s, &a->round, &a->pages);
	if (err)
		heca_session_fail(r, err, "a pre-copy round failed");
out:
	mutex_unlock(&r->session_lock);
	return err;
}

static bool heca_synced_reached(struct heca_region *r, u32 round)
{
	return READ_ONCE(r->synced_round) >= round ||
	       heca_region_state(r) == HECA_STATE_FAILED;
}

static bool heca_state_reached(struct heca_region *r, u32 want)
{
	enum heca_state st = heca_region_state(r);

	return st == HECA_STATE_FAILED || (st != HECA_STATE_NONE && st >= want);
}

/**
 * heca_session_wait() - HECA_IOC_WAIT: wait for a state or a synced round
 * @r: the region
 * @w: the argument, argsz checked; its state, error and round are set
 *
 * Return: 0; -EINVAL; -EIO (the session failed); -EINTR; -ETIMEDOUT.
 */
int heca_session_wait(struct heca_region *r, struct heca_wait *w)
{
	long ret = 1;

	bool synced = w->flags & HECA_WAIT_SYNCED;
	u32 round = w->round;
	u32 want = w->state;

	if ((w->flags & ~HECA_WAIT_SYNCED) ||
	    memchr_inv(w->reserved, 0, sizeof(w->reserved)))
		return -EINVAL;
	if (synced && (r->role != &heca_source_role || !round))
		return -EINVAL;
	if (!synced && w->state != HECA_STATE_CONNECTED &&
	    w->state != HECA_STATE_RUNNING && w->state != HECA_STATE_COMPLETE)
		return -EINVAL;
	if (w->timeout_ms > HECA_MAX_TIMEOUT_MS)
		return -EINVAL;
	if (w->timeout_ms) {
		unsigned long t = msecs_to_jiffies(w->timeout_ms);

		if (synced)
			ret = wait_event_interruptible_timeout(r->state_wq,
							       heca_synced_reached(r, round),
							       t);
		else
			ret = wait_event_interruptible_timeout(r->state_wq,
							       heca_state_reached(r, w->state),
							       t);
	}
	spin_lock_irq(&r->state_lock);
	w->error = r->error;
	w->state = r->state;
	w->round = r->synced_round;
	spin_unlock_irq(&r->state_lock);
	if (w->state == HECA_STATE_FAILED)
		return -EIO;
	if (ret < 0)
		return -EINTR;
	if (synced)
		return w->round >= round ? 0 : -ETIMEDOUT;
	/* w->state is the state now: compare it with the one waited for. */
	return w->state != HECA_STATE_NONE && w->state >= want ? 0 : -ETIMEDOUT;
}

/**
 * heca_session_abort() - HECA_IOC_SESSION_ABORT: fail the session, and wait
 * for its teardown
 * @r: the region
 *
 * Return: 0; -ENOTCONN (no session); -EINTR; -ETIMEDOUT.
 */
int heca_session_abort(struct heca_region *r)
{
	long ret;

	mutex_lock(&r->session_lock);
	if (!r->session) {
		mutex_unlock(&r->session_lock);
		return -ENOTCONN;
	}
	heca_session_fail(r, -ECANCELED, "aborted");
	mutex_unlock(&r->session_lock);

	/* The teardown runs on heca_wq; it is bounded by the transport. */
	ret = wait_event_killable_timeout(r->state_wq, !READ_ONCE(r->session),
					  60 * HZ);
	if (ret < 0)
		return -EINTR;
	return ret ? 0 : -ETIMEDOUT;
}
