// SPDX-License-Identifier: GPL-2.0
/*
 * heca: sessions: binding a region to its peer, the session state machine,
 * the handshake, and the region device's ioctls.
 *
 * States (enum heca_state), changed only by heca_region_set_state():
 *
 *   NONE/COMPLETE/FAILED --start--> CONNECTED --switchover--> RUNNING
 *   RUNNING --every page at the destination--> COMPLETE
 *   CONNECTED/RUNNING --error, timeout, abort--> FAILED
 *
 * Entering COMPLETE or FAILED queues the teardown: the puller is stopped,
 * the connection closed (failing what is in flight), the session freed and
 * the region released.
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
#include "session.h"
#include "trace.h"

#define HECA_DEFAULT_TIMEOUT_MS	30000
#define HECA_MAX_TIMEOUT_MS	(3600 * 1000)

/* Runs session teardowns; flushed at module unload. */
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
 * completion, a second failure).  Entering COMPLETE or FAILED schedules
 * the teardown of the session.
 *
 * Return: whether the state changed.
 */
bool heca_region_set_state(struct heca_region *r, enum heca_state next,
			   int err)
{
	struct heca_session *s;
	enum heca_state prev;
	unsigned long flags;

	spin_lock_irqsave(&r->state_lock, flags);
	prev = r->state;
	if (!heca_transition_ok(prev, next)) {
		spin_unlock_irqrestore(&r->state_lock, flags);
		return false;
	}
	WRITE_ONCE(r->state, next);
	s = r->live_session;
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
		if (s)
			queue_work(heca_wq, &s->teardown);
		break;
	default:
		break;
	}
	spin_unlock_irqrestore(&r->state_lock, flags);

	pr_debug("%s: %s -> %s\n", r->name, heca_state_names[prev],
		 heca_state_names[next]);
	trace_heca_state(r->name, prev, next, err);
	wake_up_all(&r->state_wq);
	heca_dest_wake(r);
	return true;
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
	heca_puller_stop(s);
	s->t->close(s->conn);

	spin_lock_irq(&r->state_lock);
	r->live_session = NULL;
	spin_unlock_irq(&r->state_lock);
	r->session = NULL;
	mutex_unlock(&r->session_lock);

	wake_up_all(&r->state_wq);
	kvfree(s->sent);
	heca_transport_put(s->t);
	kfree(s);
	heca_region_unuse(r);
}

/* Source: the destination holds every page of a round. */
static int heca_source_synced(struct heca_region *r, const void *payload,
			      size_t len)
{
	const struct heca_msg_round *m = payload;
	u32 round;

	if (len != sizeof(*m) || m->reserved || m->pages)
		return -EPROTO;
	round = le32_to_cpu(m->round);
	spin_lock_irq(&r->state_lock);
	if (round <= r->synced_round || round > r->dirty_round) {
		spin_unlock_irq(&r->state_lock);
		return -EPROTO;
	}
	r->synced_round = round;
	spin_unlock_irq(&r->state_lock);
	wake_up_all(&r->state_wq);
	return 0;
}

/* Source: the destination took the switchover; the VM may run there. */
static int heca_source_switched(struct heca_region *r)
{
	int err = 0;

	spin_lock_irq(&r->state_lock);
	if (r->switched || r->state != HECA_STATE_RUNNING)
		err = -EPROTO;
	else
		r->switched = true;
	spin_unlock_irq(&r->state_lock);
	wake_up_all(&r->state_wq);
	return err;
}

/**
 * heca_session_recv() - a control message from the peer
 * @s:       the session
 * @type:    enum heca_msg_type, checked by the transport to be known
 * @payload: @len bytes, checked against the type's maximum
 * @len:     payload length
 *
 * Called from the transport's receive context.  A message the role does not
 * expect fails the session.
 */
void heca_session_recv(struct heca_session *s, u16 type, const void *payload,
		       size_t len)
{
	struct heca_region *r = s->r;
	int err = -EPROTO;

	if (heca_region_is_dest(r)) {
		if (type == HECA_MSG_EXISTS)
			err = heca_dest_set_exists(r, payload, len);
		else if (type == HECA_MSG_ROUND)
			err = heca_dest_round(r, payload, len);
		else if (type == HECA_MSG_SWITCH)
			err = heca_dest_switch(r, payload, len);
	} else if (type == HECA_MSG_DONE && !len) {
		/* Only after the switchover: every page then went. */
		if (heca_region_set_state(r, HECA_STATE_COMPLETE, 0))
			err = 0;
	} else if (type == HECA_MSG_SYNCED) {
		err = heca_source_synced(r, payload, len);
	} else if (type == HECA_MSG_SWITCHED && !len) {
		err = heca_source_switched(r);
	}
	if (err)
		heca_session_fail(r, err, "unexpected message from the peer");
}

/* ---- what the transport calls: struct heca_conn_cb ------------------- */

static struct heca_session *heca_conn_session(struct heca_conn *c)
{
	return c->p.ctx;
}

static void heca_cb_recv(struct heca_conn *c, u16 type, const void *payload,
			 size_t len)
{
	heca_session_recv(heca_conn_session(c), type, payload, len);
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

/* Source: introduce ourselves and wait for the verdict. */
static int heca_handshake_source(struct heca_session *s, unsigned long timeout)
{
	struct heca_region *r = s->r;
	struct heca_msg_hello hello = {
		.page_shift = cpu_to_le32(PAGE_SHIFT),
		.npages = cpu_to_le64(r->npages),
	};
	struct heca_msg_reject rej;
	struct heca_msg_hdr hdr;
	int err;

	memcpy(hello.token, s->token, sizeof(hello.token));
	err = s->t->send_msg(s->conn, HECA_MSG_HELLO, &hello, sizeof(hello));
	if (err)
		return err;
	err = s->t->recv_msg(s->conn, &hdr, &rej, sizeof(rej), timeout);
	if (err)
		return err;
	switch (le16_to_cpu(hdr.type)) {
	case HECA_MSG_WELCOME:
		return le32_to_cpu(hdr.len) ? -EPROTO : 0;
	case HECA_MSG_REJECT:
		if (le32_to_cpu(hdr.len) != sizeof(rej))
			return -EPROTO;
		err = le32_to_cpu(rej.error);
		return (err > 0 && err < MAX_ERRNO) ? -err : -EPROTO;
	default:
		return -EPROTO;
	}
}

/* Destination: check the source's introduction; welcome or reject it. */
static int heca_handshake_dest(struct heca_session *s, unsigned long timeout)
{
	struct heca_region *r = s->r;
	struct heca_msg_hello hello;
	struct heca_msg_reject rej;
	struct heca_msg_hdr hdr;
	int err;

	err = s->t->recv_msg(s->conn, &hdr, &hello, sizeof(hello), timeout);
	if (err)
		return err;
	if (le16_to_cpu(hdr.type) != HECA_MSG_HELLO ||
	    le32_to_cpu(hdr.len) != sizeof(hello))
		err = -EPROTO;
	else if (crypto_memneq(hello.token, s->token, sizeof(s->token)))
		err = -EACCES;
	else if (hello.flags)
		err = -EPROTO;
	else if (le32_to_cpu(hello.page_shift) != PAGE_SHIFT ||
		 le64_to_cpu(hello.npages) != r->npages)
		err = -EINVAL;
	if (err) {
		rej.error = cpu_to_le32(-err);
		s->t->send_msg(s->conn, HECA_MSG_REJECT, &rej, sizeof(rej));
		return err;
	}
	return s->t->send_msg(s->conn, HECA_MSG_WELCOME, NULL, 0);
}

static const char *heca_handshake_why(int err)
{
	switch (err) {
	case -EACCES:
		return "wrong session token";
	case -EPROTONOSUPPORT:
		return "protocol version mismatch";
	case -EINVAL:
		return "page or region size mismatch";
	case -EPROTO:
		return "protocol error";
	case -ETIMEDOUT:
	case -EAGAIN:
		return "timed out";
	default:
		return "connection error";
	}
}

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

/*
 * A new session starts from a clean slate: a source forgets the write
 * tracking of an earlier session or of HECA_IOC_DIRTY (its first round
 * takes every page again); a destination restarts its round count, and
 * refuses once it switched over (its pages are final or lost).
 */
static int heca_session_prepare(struct heca_region *r)
{
	struct heca_dest *d = r->dest;

	lockdep_assert_held(&r->session_lock);
	if (!d) {
		heca_dirty_reset(r);
		return 0;
	}
	spin_lock(&d->lock);
	if (d->ready) {
		spin_unlock(&d->lock);
		return -EINVAL;
	}
	d->round = 0;
	d->synced = 0;
	d->switch_ack = false;
	spin_unlock(&d->lock);
	return 0;
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

static int heca_session_start(struct heca_region *r,
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
		.dest = heca_region_is_dest(r),
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
	err = heca_session_prepare(r);
	if (err)
		goto err_unuse;

	if (heca_region_is_dest(r)) {
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
	r->live_session = s;
	r->transport = a->transport;
	spin_unlock_irqrestore(&r->state_lock, flags);
	r->session = s;
	if (!heca_region_set_state(r, HECA_STATE_CONNECTED, 0)) {
		err = -EBUSY;
		goto err_unpublish;
	}
	if (heca_region_is_dest(r)) {
		err = heca_puller_start(s);
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
	spin_lock_irqsave(&r->state_lock, flags);
	r->live_session = NULL;
	spin_unlock_irqrestore(&r->state_lock, flags);
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
 * Return: 0; -EINVAL (not a source, or not CONNECTED), -ENOTCONN (no
 * session), -ETIMEDOUT, -EINTR (fatal signal), or the session's error.
 */
static int heca_session_switchover(struct heca_region *r)
{
	struct heca_session *s;
	long left;
	int err;

	if (heca_region_is_dest(r))
		return -EINVAL;
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

static int heca_session_round(struct heca_region *r, struct heca_round *a)
{
	struct heca_session *s;
	int err;

	if (a->flags || a->reserved0 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (heca_region_is_dest(r))
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

static int heca_session_wait(struct heca_region *r, struct heca_wait *w)
{
	long ret = 1;

	bool synced = w->flags & HECA_WAIT_SYNCED;
	u32 round = w->round;
	u32 want = w->state;

	if ((w->flags & ~HECA_WAIT_SYNCED) ||
	    memchr_inv(w->reserved, 0, sizeof(w->reserved)))
		return -EINVAL;
	if (synced && (heca_region_is_dest(r) || !round))
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

static int heca_session_abort(struct heca_region *r)
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

/**
 * heca_region_ioctl() - ioctls of /dev/heca/<name>
 * @file: an open region
 * @cmd:  HECA_IOC_*
 * @arg:  user pointer to the argument
 *
 * Starting, switching and aborting sessions needs CAP_SYS_ADMIN; waiting
 * and statistics only an open region.
 *
 * Return: 0 or a negative errno (see Documentation/uapi.rst).
 */
long heca_region_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct heca_region *r = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct heca_session_start start;
		struct heca_switchover sw;
		struct heca_wait wait;
		struct heca_stats stats;
		struct heca_dirty dirty;
		struct heca_round round;
	} *a;
	int err;

	if (_IOC_TYPE(cmd) != HECA_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(HECA_IOC_SESSION_START):
	case _IOC_NR(HECA_IOC_SWITCHOVER):
	case _IOC_NR(HECA_IOC_SESSION_ABORT):
	case _IOC_NR(HECA_IOC_DIRTY):
	case _IOC_NR(HECA_IOC_ROUND):
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	case _IOC_NR(HECA_IOC_WAIT):
	case _IOC_NR(HECA_IOC_STATS):
		break;
	default:
		return -ENOTTY;
	}

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(HECA_IOC_SESSION_START):
		err = heca_copy_in(&a->start, sizeof(a->start), cmd,
				   HECA_IOC_SESSION_START, uarg);
		if (!err)
			err = heca_session_start(r, &a->start);
		break;
	case _IOC_NR(HECA_IOC_SWITCHOVER):
		err = heca_copy_in(&a->sw, sizeof(a->sw), cmd,
				   HECA_IOC_SWITCHOVER, uarg);
		if (!err && (a->sw.flags ||
			     memchr_inv(a->sw.reserved, 0,
					sizeof(a->sw.reserved))))
			err = -EINVAL;
		if (!err)
			err = heca_session_switchover(r);
		break;
	case _IOC_NR(HECA_IOC_WAIT):
		err = heca_copy_in(&a->wait, sizeof(a->wait), cmd,
				   HECA_IOC_WAIT, uarg);
		if (err)
			break;
		err = heca_session_wait(r, &a->wait);
		if (err != -EINVAL && err != -EINTR &&
		    copy_to_user(uarg, &a->wait, sizeof(a->wait)))
			err = -EFAULT;
		break;
	case _IOC_NR(HECA_IOC_STATS):
		err = heca_copy_in(&a->stats, sizeof(a->stats), cmd,
				   HECA_IOC_STATS, uarg);
		if (!err && a->stats.flags)
			err = -EINVAL;
		if (err)
			break;
		heca_stats_fill(r, &a->stats);
		if (copy_to_user(uarg, &a->stats, sizeof(a->stats)))
			err = -EFAULT;
		break;
	case _IOC_NR(HECA_IOC_ROUND):
		err = heca_copy_in(&a->round, sizeof(a->round), cmd,
				   HECA_IOC_ROUND, uarg);
		if (!err)
			err = heca_session_round(r, &a->round);
		if (!err && copy_to_user(uarg, &a->round, sizeof(a->round)))
			err = -EFAULT;
		break;
	case _IOC_NR(HECA_IOC_DIRTY):
		err = heca_copy_in(&a->dirty, sizeof(a->dirty), cmd,
				   HECA_IOC_DIRTY, uarg);
		if (!err)
			err = heca_dirty_ioctl(r, &a->dirty);
		if (!err && copy_to_user(uarg, &a->dirty, sizeof(a->dirty)))
			err = -EFAULT;
		break;
	default:
		err = cmd == HECA_IOC_SESSION_ABORT ? heca_session_abort(r) :
						      -EINVAL;
		break;
	}
	kfree(a);
	return err;
}

int heca_sessions_init(void)
{
	heca_wq = alloc_workqueue("heca", WQ_UNBOUND, 0);
	return heca_wq ? 0 : -ENOMEM;
}

void heca_sessions_exit(void)
{
	destroy_workqueue(heca_wq);
}
