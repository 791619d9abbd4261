// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: connection management.  rdma_cm's events for both kinds of
 * cm_id (a listener, a channel); the destination listens and accepts a
 * session's main channel and then its urgent one, the source connects
 * them, each saying in its private data (struct heca_msg_cm) which one it
 * is.
 */

#include "rdma.h"

#include <crypto/algapi.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <net/net_namespace.h>
#include <rdma/ib_cm.h>

/* Attach @ch to its cm_id's device and create its QP. */
static int heca_rdma_conn_setup(struct heca_rdma_chan *ch)
{
	int err;

	err = heca_rdma_dev_get(ch);
	if (err)
		return err;
	return heca_rdma_chan_setup(ch);
}

static void heca_rdma_conn_param(struct heca_rdma_chan *ch,
				 struct rdma_conn_param *p, u8 initiator,
				 u8 responder)
{
	const struct ib_device_attr *a = &ch->dev->ibdev->attrs;

	memset(p, 0, sizeof(*p));
	/* The destination READs; the source answers them. */
	p->initiator_depth = min_t(int, initiator, a->max_qp_init_rd_atom);
	p->responder_resources = min_t(int, responder, a->max_qp_rd_atom);
	p->flow_control = 1;
	p->retry_count = 7;
	p->rnr_retry_count = 7;
}

/* ---- CM events -------------------------------------------------------- */

/*
 * Source: why the destination refused a channel, from the refusal's
 * private data (struct heca_msg_cm_reject, every field checked; bytes
 * after it zero); -ECONNREFUSED without a valid one.
 */
static int heca_rdma_rejected(struct rdma_cm_event *ev)
{
	const struct heca_msg_cm_reject *m = ev->param.conn.private_data;
	unsigned int len = ev->param.conn.private_data_len;
	u32 error;

	if (!m || len < sizeof(*m) ||
	    le32_to_cpu(m->magic) != HECA_PROTO_MAGIC ||
	    le16_to_cpu(m->version) != HECA_PROTO_CM_VERSION || m->reserved ||
	    memchr_inv((const u8 *)m + sizeof(*m), 0, len - sizeof(*m)))
		return -ECONNREFUSED;
	error = le32_to_cpu(m->error);
	switch (error) {
	case EPROTO:
	case EPROTONOSUPPORT:
	case EACCES:
		return -error;
	default:
		return -ECONNREFUSED;
	}
}

static int heca_rdma_cm_errno(struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_REJECTED:
		return heca_rdma_rejected(ev);
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return ev->status < 0 ? ev->status : -EHOSTUNREACH;
	case RDMA_CM_EVENT_UNREACHABLE:
		return -EHOSTUNREACH;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		return -ENODEV;
	default:
		return -ECONNRESET;
	}
}

/* Source: the route to the destination is known: connect. */
static int heca_rdma_route_resolved(struct heca_rdma_chan *ch)
{
	struct heca_msg_cm cm = {
		.magic = cpu_to_le32(HECA_PROTO_MAGIC),
		.version = cpu_to_le16(HECA_PROTO_CM_VERSION),
		.channel = cpu_to_le16(ch->urgent ? HECA_CM_URGENT :
							HECA_CM_MAIN),
		.cookie = cpu_to_le64(ch->cookie),
	};
	struct rdma_conn_param p;

	if (ch->urgent)
		memcpy(cm.token, ch->p.token, sizeof(cm.token));
	heca_rdma_conn_param(ch, &p, 0, 255);
	p.private_data = &cm;
	p.private_data_len = sizeof(cm);
	return rdma_connect_locked(ch->id, &p);
}

static int heca_rdma_conn_event(struct heca_rdma_chan *ch, struct rdma_cm_event *ev)
{
	int err = 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		err = heca_rdma_conn_setup(ch);
		if (!err)
			err = rdma_resolve_route(ch->id, jiffies_to_msecs(ch->p.timeout));
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		err = heca_rdma_route_resolved(ch);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		/* Its receives went before it was up: it cannot work. */
		if (heca_rdma_chan_up(ch))
			err = -ECONNRESET;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		/*
		 * Move our QP to error: every receive posted completes,
		 * flushed, after the messages that came before, and that
		 * fails the session in order (rx_work).  The urgent channel
		 * has no receives: it fails now, and its rx_work disconnects
		 * the main channel.
		 */
		if (!heca_rdma_chan_was_connected(ch) || ch->urgent)
			heca_rdma_fail(ch, -ECONNRESET);
		rdma_disconnect(ch->id);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
		/* Timed out (not: no route): worth another try. */
		if (ev->status == -ETIMEDOUT)
			WRITE_ONCE(ch->addr_error, true);
		err = heca_rdma_cm_errno(ev);
		break;
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* The ib_client killed us already; stay until close(). */
		heca_rdma_fail(ch, -ENODEV);
		break;
	default:
		err = heca_rdma_cm_errno(ev);
		break;
	}
	if (err)
		heca_rdma_fail(ch, err);
	return 0;
}

/**
 * heca_rdma_check_cm() - check the private data of a connection request
 * @l:      the listener
 * @ev:     the CONNECT_REQUEST
 * @urgent: set: the request is for the urgent channel
 * @cookie: set: the request's cookie
 *
 * Every field of struct heca_msg_cm is checked; the bytes after it (the
 * InfiniBand CM pads the private data) must be zero.  An urgent channel
 * must carry the session's token.
 *
 * Return: 0, -EPROTO (malformed, or none: a peer without channels),
 * -EPROTONOSUPPORT (another version) or -EACCES (wrong token).
 */
static int heca_rdma_check_cm(struct heca_rdma_listener *l,
			      const struct rdma_cm_event *ev, bool *urgent,
			      u64 *cookie)
{
	const struct heca_msg_cm *m = ev->param.conn.private_data;
	unsigned int len = ev->param.conn.private_data_len;

	if (!m || len < sizeof(*m) ||
	    le32_to_cpu(m->magic) != HECA_PROTO_MAGIC || m->reserved ||
	    memchr_inv((const u8 *)m + sizeof(*m), 0, len - sizeof(*m)))
		return -EPROTO;
	if (le16_to_cpu(m->version) != HECA_PROTO_CM_VERSION)
		return -EPROTONOSUPPORT;
	*cookie = le64_to_cpu(m->cookie);
	if (!*cookie)
		return -EPROTO;
	switch (le16_to_cpu(m->channel)) {
	case HECA_CM_MAIN:
		*urgent = false;
		return memchr_inv(m->token, 0, sizeof(m->token)) ? -EPROTO : 0;
	case HECA_CM_URGENT:
		*urgent = true;
		return crypto_memneq(m->token, l->base.p.token,
				     sizeof(m->token)) ? -EACCES : 0;
	default:
		return -EPROTO;
	}
}

/*
 * The connection waiting in @l whose urgent channel has @cookie and is
 * not there yet, or NULL.  Under @l->lock.
 */
static struct heca_rdma_conn *
heca_rdma_main_of(struct heca_rdma_listener *l, u64 cookie)
{
	struct heca_rdma_conn *m = NULL;

	lockdep_assert_held(&l->lock);
	if (l->pending && l->pending->main.cookie == cookie)
		m = l->pending;
	else if (l->taken && l->taken->main.cookie == cookie)
		m = l->taken;
	return m && !m->urgent ? m : NULL;
}

/*
 * Destination: a source knocks, for a session's main channel or its
 * urgent one.  Accept a main channel here unless one is waiting, an urgent
 * one if its main channel (same cookie) waits without one.
 */
static int heca_rdma_connect_request(struct heca_rdma_listener *l,
				     struct rdma_cm_id *id,
				     struct rdma_cm_event *ev)
{
	struct rdma_conn_param p;
	struct heca_rdma_conn *c = NULL, *m;
	struct heca_rdma_chan *ch;
	bool busy, urgent;
	u64 cookie;
	int err;

	err = heca_rdma_check_cm(l, ev, &urgent, &cookie);
	if (err) {
		struct heca_msg_cm_reject rej = {
			.magic = cpu_to_le32(HECA_PROTO_MAGIC),
			.version = cpu_to_le16(HECA_PROTO_CM_VERSION),
			.error = cpu_to_le32(-err),
		};

		pr_warn_ratelimited("%s: refused an RDMA connection: %s (%d)\n",
				    l->base.p.name,
				    err == -EACCES ? "wrong session token" :
				    err == -EPROTONOSUPPORT ?
				    "another version" : "bad private data",
				    err);
		rdma_reject(id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
		return err;		/* rdma_cm destroys @id */
	}
	spin_lock_irq(&l->lock);
	busy = l->removed ||
	       (urgent ? !heca_rdma_main_of(l, cookie) : !!l->pending);
	spin_unlock_irq(&l->lock);
	if (busy) {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -EBUSY;		/* rdma_cm destroys @id */
	}
	if (urgent) {
		ch = heca_rdma_urgent_alloc(&l->base.p);
	} else {
		c = heca_rdma_conn_alloc(l->base.t, &l->base.p);
		ch = c ? &c->main : NULL;
	}
	if (!ch) {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -ENOMEM;
	}
	ch->id = id;
	ch->cookie = cookie;
	id->context = ch;
	err = heca_rdma_conn_setup(ch);
	if (!err) {
		heca_rdma_conn_param(ch, &p, ev->param.conn.initiator_depth,
				     ev->param.conn.responder_resources);
		err = rdma_accept(id, &p);
	} else {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
	}
	if (err)
		goto err_destroy;
	spin_lock_irq(&l->lock);
	m = urgent ? heca_rdma_main_of(l, cookie) : NULL;
	if (m)
		m->urgent = ch;
	else if (!urgent)
		l->pending = c;
	spin_unlock_irq(&l->lock);
	if (urgent && !m) {
		/* Its connection went meanwhile. */
		err = -ECONNRESET;
		goto err_destroy;
	}
	wake_up_all(&l->wq);
	return 0;

err_destroy:
	/* rdma_cm destroys @id */
	if (urgent)
		heca_rdma_chan_destroy(ch, false);
	else
		heca_rdma_conn_destroy(c, false);
	return err;
}

static int heca_rdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	enum heca_rdma_kind *kind = id->context;
	struct heca_rdma_listener *l;

	if (*kind == HECA_RDMA_CHAN)
		return heca_rdma_conn_event(id->context, ev);

	l = id->context;
	switch (ev->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return heca_rdma_connect_request(l, id, ev);
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* accept() gives up; unlisten() destroys the id. */
		spin_lock_irq(&l->lock);
		l->removed = true;
		spin_unlock_irq(&l->lock);
		wake_up_all(&l->wq);
		return 0;
	default:
		return 0;
	}
}

/* ---- listen, accept, connect ------------------------------------------ */

int heca_rdma_listen(const struct heca_transport *t,
		     const struct heca_conn_params *p,
		     const struct heca_addr *addr,
		     struct heca_listener **listener)
{
	struct heca_rdma_listener *l;
	struct sockaddr_storage ss;
	int err;

	err = heca_addr_to_sockaddr(addr, &ss);
	if (err < 0)
		return err;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->kind = HECA_RDMA_LISTENER;
	l->base.t = t;
	l->base.p = *p;
	spin_lock_init(&l->lock);
	init_waitqueue_head(&l->wq);
	l->id = rdma_create_id(current->nsproxy->net_ns, heca_rdma_cm_handler,
			       l, RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(l->id)) {
		err = PTR_ERR(l->id);
		goto err_free;
	}
	err = rdma_bind_addr(l->id, (struct sockaddr *)&ss);
	if (!err)
		err = rdma_listen(l->id, 4);
	if (err)
		goto err_destroy;
	*listener = &l->base;
	return 0;

err_destroy:
	rdma_destroy_id(l->id);
err_free:
	kfree(l);
	return err;
}

static bool heca_rdma_pending(struct heca_rdma_listener *l)
{
	bool ret;

	spin_lock_irq(&l->lock);
	ret = l->pending || l->removed;
	spin_unlock_irq(&l->lock);
	return ret;
}

static bool heca_rdma_settled(struct heca_rdma_chan *ch)
{
	bool ret;

	spin_lock_irq(&ch->lock);
	ret = ch->err || ch->state == HECA_RDMA_CHAN_ESTABLISHED;
	spin_unlock_irq(&ch->lock);
	return ret;
}

/* Wait for @c to connect; 0, or the error (@c is not freed). */
static int heca_rdma_wait_established(struct heca_rdma_chan *ch,
				      unsigned long timeout)
{
	long ret;
	int err;

	ret = wait_event_interruptible_timeout(ch->wq, heca_rdma_settled(ch),
					       timeout);
	if (ret < 0)
		return ret;
	spin_lock_irq(&ch->lock);
	err = ch->err ?: (ch->state == HECA_RDMA_CHAN_ESTABLISHED ? 0 :
			  -ETIMEDOUT);
	spin_unlock_irq(&ch->lock);
	return err;
}

/**
 * heca_rdma_link() - make @u the urgent channel of @c
 * @c: a connection, its main channel connected
 * @u: an urgent channel, connected, of the same session
 *
 * Both must be on one device: the source's registrations, on the device's
 * PD, then serve the READs of both QPs.  On error @u is not linked: the
 * source closes it; on the destination it is @c's @urgent already and
 * goes with @c.
 *
 * Return: 0, -EXDEV (two devices), or @u's error.
 */
static int heca_rdma_link(struct heca_rdma_conn *c, struct heca_rdma_chan *u)
{
	int err;

	if (c->main.dev != u->dev) {
		pr_err("%s: the session's RDMA channels are on %s and %s; they must share one device\n",
		       heca_rdma_name(&c->main), dev_name(&c->main.dev->ibdev->dev),
		       dev_name(&u->dev->ibdev->dev));
		return -EXDEV;
	}
	/* From now on, @u's death disconnects @c (heca_rdma_urgent_lost()). */
	spin_lock_irq(&u->lock);
	err = u->err;
	if (!err) {
		u->conn = c;
		u->started = true;
	}
	spin_unlock_irq(&u->lock);
	if (!err)
		c->urgent = u;
	return err;
}

static bool heca_rdma_has_urgent(struct heca_rdma_listener *l,
				 struct heca_rdma_conn *c)
{
	bool ret;

	spin_lock_irq(&l->lock);
	ret = c->urgent || l->removed;
	spin_unlock_irq(&l->lock);
	return ret;
}

/*
 * Destination: wait for the urgent channel of @c, the listener's @taken
 * (the source connects it right after the main one, before its HELLO), and
 * link it.  Gives up after 10 s or at @deadline, or when @c dies; @c's
 * urgent channel, if any, then goes with @c.
 */
static int heca_rdma_accept_urgent(struct heca_rdma_listener *l,
				   struct heca_rdma_conn *c, unsigned long deadline)
{
	unsigned long until = jiffies + 10 * HZ;
	struct heca_rdma_chan *u;
	bool removed;
	long left;
	int err;

	if (time_before(deadline, until))
		until = deadline;
	for (;;) {
		err = heca_rdma_err(&c->main);
		if (err)
			return err;
		left = (long)(until - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		/* @c's death does not wake l->wq: look again every 100 ms. */
		left = min_t(long, left, HZ / 10);
		left = wait_event_interruptible_timeout(l->wq,
							heca_rdma_has_urgent(l, c),
							left);
		if (left < 0)
			return left;
		spin_lock_irq(&l->lock);
		u = c->urgent;
		removed = l->removed;
		spin_unlock_irq(&l->lock);
		if (u)
			break;
		if (removed)
			return -ENODEV;
	}
	err = heca_rdma_wait_established(u, max_t(long, until - jiffies, 1));
	if (!err)
		err = heca_rdma_link(c, u);
	return err;
}

static struct heca_rdma_listener *to_rdma_listener(struct heca_listener *l)
{
	return container_of(l, struct heca_rdma_listener, base);
}

int heca_rdma_accept(struct heca_listener *listener, unsigned long timeout,
		     struct heca_conn **conn)
{
	struct heca_rdma_listener *l = to_rdma_listener(listener);
	unsigned long deadline = jiffies + timeout;
	struct heca_rdma_conn *c;
	long ret, left;
	int err;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		ret = wait_event_interruptible_timeout(l->wq,
						       heca_rdma_pending(l),
						       left);
		if (ret < 0)
			return ret;
		if (!ret)
			return -ETIMEDOUT;
		spin_lock_irq(&l->lock);
		c = l->pending;
		l->pending = NULL;
		l->taken = c;
		spin_unlock_irq(&l->lock);
		if (!c)
			return -ENODEV;	/* the device went away */

		left = max_t(long, (long)(deadline - jiffies), 1);
		err = heca_rdma_wait_established(&c->main, left);
		if (!err)
			err = heca_rdma_accept_urgent(l, c, deadline);
		spin_lock_irq(&l->lock);
		l->taken = NULL;
		spin_unlock_irq(&l->lock);
		if (!err) {
			*conn = &c->base;
			return 0;
		}
		heca_rdma_close(c);	/* and its urgent channel */
		if (err == -ERESTARTSYS)
			return err;
		if (!time_before(jiffies, deadline))
			return -ETIMEDOUT;
		/* That source went away: wait for the next. */
	}
}

void heca_rdma_unlisten(struct heca_listener *listener)
{
	struct heca_rdma_listener *l = to_rdma_listener(listener);

	/* No CONNECT_REQUEST after this; then nobody else sees pending. */
	rdma_destroy_id(l->id);
	if (l->pending)
		heca_rdma_close(l->pending);	/* and its urgent channel */
	kfree(l);
}

/*
 * Source: a new channel, the main one (in a new connection) or the urgent
 * one; and its teardown.
 */
static struct heca_rdma_chan *
heca_rdma_chan_new(const struct heca_transport *t,
		   const struct heca_conn_params *p, bool urgent)
{
	struct heca_rdma_conn *c;

	if (urgent)
		return heca_rdma_urgent_alloc(p);
	c = heca_rdma_conn_alloc(t, p);
	return c ? &c->main : NULL;
}

static void heca_rdma_chan_close(struct heca_rdma_chan *ch)
{
	if (ch->urgent)
		heca_rdma_chan_destroy(ch, true);
	else
		heca_rdma_conn_destroy(ch->conn, true);
}

/* One attempt to connect; *@retry: the address did not resolve in time. */
static int heca_rdma_connect_once(const struct heca_transport *t,
				  const struct heca_conn_params *p,
				  struct sockaddr_storage *ss, bool urgent,
				  u64 cookie, unsigned long timeout,
				  struct heca_rdma_chan **chan, bool *retry)
{
	struct rdma_cm_id *id;
	struct heca_rdma_chan *ch;
	int err;

	ch = heca_rdma_chan_new(t, p, urgent);
	if (!ch)
		return -ENOMEM;
	ch->cookie = cookie;
	id = rdma_create_id(current->nsproxy->net_ns, heca_rdma_cm_handler, ch,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		heca_rdma_chan_close(ch);
		return PTR_ERR(id);
	}
	ch->id = id;
	err = rdma_resolve_addr(id, NULL, (struct sockaddr *)ss,
				min(jiffies_to_msecs(timeout),
				    HECA_RDMA_RESOLVE_MS));
	if (!err)
		err = heca_rdma_wait_established(ch, timeout);
	if (err) {
		*retry = READ_ONCE(ch->addr_error);
		heca_rdma_chan_close(ch);
		return err;
	}
	*chan = ch;
	return 0;
}

/*
 * Source: connect one channel before @deadline.  Address resolution is
 * given a short time of its own and retried: ib_addr re-checks a neighbour
 * that was not resolved at once only at the end of that time (or on a
 * netevent, which may not come), so a long one would wait out the whole
 * timeout.
 */
static int heca_rdma_connect_chan(const struct heca_transport *t,
				  const struct heca_conn_params *p,
				  struct sockaddr_storage *ss, bool urgent,
				  u64 cookie, unsigned long deadline,
				  struct heca_rdma_chan **chan)
{
	bool retry;
	long left;
	int err;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		retry = false;
		err = heca_rdma_connect_once(t, p, ss, urgent, cookie, left,
					     chan, &retry);
		if (!retry || fatal_signal_pending(current))
			return err;
	}
}

/* Source: connect the main channel, then the urgent one, within @timeout. */
int heca_rdma_connect(const struct heca_transport *t,
		      const struct heca_conn_params *p,
		      const struct heca_addr *addr, unsigned long timeout,
		      struct heca_conn **conn)
{
	unsigned long deadline = jiffies + timeout;
	struct sockaddr_storage ss;
	struct heca_rdma_chan *m, *u;
	struct heca_rdma_conn *c;
	u64 cookie;
	int err;

	err = heca_addr_to_sockaddr(addr, &ss);
	if (err < 0)
		return err;
	/* Pairs the channels of this attempt at the destination. */
	cookie = get_random_u64() ?: 1;
	err = heca_rdma_connect_chan(t, p, &ss, false, cookie, deadline, &m);
	if (err)
		return err;
	c = m->conn;
	err = heca_rdma_connect_chan(t, p, &ss, true, cookie, deadline, &u);
	if (err)
		goto err_close_main;
	err = heca_rdma_link(c, u);
	if (err)
		goto err_close_urgent;
	*conn = &c->base;
	return 0;

err_close_urgent:
	heca_rdma_chan_destroy(u, true);
err_close_main:
	heca_rdma_close(c);
	return err;
}
