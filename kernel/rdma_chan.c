// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: a channel, one RC QP and its CQ: its state and death, the send
 * queue's slots, control messages received into the buffers posted ahead
 * and sent one at a time, QP events, and creating the QP once its device is
 * known.
 */

#include "rdma.h"
#include "trace_rdma.h"

/* ---- channel state ---------------------------------------------------- */

/* The moves enum heca_rdma_chan_state allows. */
static bool heca_rdma_chan_may(enum heca_rdma_chan_state old,
			       enum heca_rdma_chan_state state)
{
	switch (state) {
	case HECA_RDMA_CHAN_CONNECTING:
		return old == HECA_RDMA_CHAN_NEW;
	case HECA_RDMA_CHAN_FLUSHED:
		return old == HECA_RDMA_CHAN_NEW ||
		       old == HECA_RDMA_CHAN_CONNECTING;
	case HECA_RDMA_CHAN_ESTABLISHED:
	case HECA_RDMA_CHAN_FAILED:
		return old == HECA_RDMA_CHAN_NEW ||
		       old == HECA_RDMA_CHAN_CONNECTING ||
		       old == HECA_RDMA_CHAN_FLUSHED;
	case HECA_RDMA_CHAN_DISCONNECTED:
		return old == HECA_RDMA_CHAN_ESTABLISHED ||
		       old == HECA_RDMA_CHAN_FAILED;
	case HECA_RDMA_CHAN_CLOSING:
		return old != HECA_RDMA_CHAN_CLOSING;
	default:
		return false;
	}
}

/**
 * heca_rdma_chan_set_state() - move a channel to another state
 * @ch:    the channel, its @lock held
 * @state: the new state
 *
 * The one place that changes @ch->state; traced.  A move the state machine
 * does not allow (see enum heca_rdma_chan_state) is ignored: a failure of
 * a dead channel, a flush after ESTABLISHED, anything after CLOSING.
 *
 * Return: whether @ch moved.
 */
static bool heca_rdma_chan_set_state(struct heca_rdma_chan *ch,
				     enum heca_rdma_chan_state state)
{
	lockdep_assert_held(&ch->lock);
	if (!heca_rdma_chan_may(ch->state, state))
		return false;
	trace_heca_rdma_chan_state(heca_rdma_name(ch), ch->urgent, ch->state,
				   state);
	ch->state = state;
	return true;
}

/* It was connected once: its QP may hold work to drain.  Under @lock. */
static bool heca_rdma_chan_connected(struct heca_rdma_chan *ch)
{
	lockdep_assert_held(&ch->lock);
	return ch->state == HECA_RDMA_CHAN_ESTABLISHED ||
	       ch->state == HECA_RDMA_CHAN_DISCONNECTED;
}

bool heca_rdma_chan_was_connected(struct heca_rdma_chan *ch)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&ch->lock, flags);
	ret = heca_rdma_chan_connected(ch);
	spin_unlock_irqrestore(&ch->lock, flags);
	return ret;
}

bool heca_rdma_chan_closing(struct heca_rdma_chan *ch)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&ch->lock, flags);
	ret = ch->state == HECA_RDMA_CHAN_CLOSING;
	spin_unlock_irqrestore(&ch->lock, flags);
	return ret;
}

/**
 * heca_rdma_chan_up() - rdma_cm says ESTABLISHED
 * @ch: the channel
 *
 * ESTABLISHED, or DISCONNECTED if @ch failed meanwhile (its QP may hold
 * work now); waiters wake.
 *
 * Return: a receive was flushed before (FLUSHED): the caller fails @ch,
 * whose QP is dead.
 */
bool heca_rdma_chan_up(struct heca_rdma_chan *ch)
{
	bool flushed;

	spin_lock_irq(&ch->lock);
	flushed = ch->state == HECA_RDMA_CHAN_FLUSHED;
	if (!heca_rdma_chan_set_state(ch, HECA_RDMA_CHAN_ESTABLISHED))
		heca_rdma_chan_set_state(ch, HECA_RDMA_CHAN_DISCONNECTED);
	spin_unlock_irq(&ch->lock);
	wake_up_all(&ch->wq);
	return flushed;
}

/**
 * heca_rdma_chan_close_begin() - the teardown starts: CLOSING
 * @ch: the channel
 *
 * Nothing is posted or handed out after this; @ch is dead (-ECONNRESET
 * unless it failed before) and its waiters wake.
 *
 * Return: whether its QP may hold work to drain (it was connected).
 */
bool heca_rdma_chan_close_begin(struct heca_rdma_chan *ch)
{
	bool drain;

	spin_lock_irq(&ch->lock);
	/* Only a QP that was connected can hold sends to wait for. */
	drain = heca_rdma_chan_connected(ch);
	if (!ch->err)
		ch->err = -ECONNRESET;
	heca_rdma_chan_set_state(ch, HECA_RDMA_CHAN_CLOSING);
	spin_unlock_irq(&ch->lock);
	wake_up_all(&ch->wq);
	return drain;
}

/*
 * The channel is dead with @err (FAILED, or DISCONNECTED once connected):
 * wake every waiter; a started session fails from rx_work, after the
 * messages received before.
 */
void heca_rdma_fail(struct heca_rdma_chan *ch, int err)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&ch->lock, flags);
	if (!ch->err)
		ch->err = err;
	heca_rdma_chan_set_state(ch, ch->state == HECA_RDMA_CHAN_ESTABLISHED ?
				     HECA_RDMA_CHAN_DISCONNECTED :
				     HECA_RDMA_CHAN_FAILED);
	kick = ch->started && ch->state != HECA_RDMA_CHAN_CLOSING;
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_all(&ch->wq);
	if (kick)
		queue_work(heca_rdma_wq, &ch->rx_work);
}

/*
 * Fail @ch and move its QP to the error state, so that whatever is posted
 * completes (flushed) at once.  Process context; not concurrently with
 * its teardown (the device's chans list and the session's lock see to it).
 */
void heca_rdma_kill(struct heca_rdma_chan *ch, int err)
{
	heca_rdma_fail(ch, err);
	if (ch->id)
		rdma_disconnect(ch->id);
}

int heca_rdma_err(struct heca_rdma_chan *ch)
{
	unsigned long flags;
	int err;

	spin_lock_irqsave(&ch->lock, flags);
	err = ch->err;
	spin_unlock_irqrestore(&ch->lock, flags);
	return err;
}

int heca_rdma_wc_errno(enum ib_wc_status status)
{
	switch (status) {
	case IB_WC_SUCCESS:
		return 0;
	case IB_WC_WR_FLUSH_ERR:
		return -ECONNRESET;
	case IB_WC_REM_ACCESS_ERR:
	case IB_WC_LOC_PROT_ERR:
		return -EACCES;
	case IB_WC_RETRY_EXC_ERR:
	case IB_WC_RNR_RETRY_EXC_ERR:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

void heca_rdma_wc_error(struct heca_rdma_chan *ch, struct ib_wc *wc,
			const char *what)
{
	if (wc->status != IB_WC_WR_FLUSH_ERR)
		pr_err_ratelimited("%s: RDMA %s failed: %s (%d)\n",
				   heca_rdma_name(ch), what,
				   ib_wc_status_msg(wc->status), wc->status);
}

/* ---- send queue slots ------------------------------------------------- */

static bool heca_rdma_sq_try(struct heca_rdma_chan *ch, int n, bool *got)
{
	int v = atomic_read(&ch->sq_avail);

	do {
		if (v < n)
			return heca_rdma_err(ch);
	} while (!atomic_try_cmpxchg(&ch->sq_avail, &v, v - n));
	*got = true;
	return true;
}

/* Take @n send queue slots, waiting at most the session's timeout. */
int heca_rdma_sq_get(struct heca_rdma_chan *ch, int n)
{
	bool got = false;

	wait_event_timeout(ch->wq, heca_rdma_sq_try(ch, n, &got), ch->p.timeout);
	if (got)
		return 0;
	return heca_rdma_err(ch) ?: -ETIMEDOUT;
}

void heca_rdma_sq_put(struct heca_rdma_chan *ch, int n)
{
	atomic_add(n, &ch->sq_avail);
	wake_up_all(&ch->wq);
}

/* ---- receiving -------------------------------------------------------- */

/* Check a header from the peer against the bytes that came. */
static int heca_rdma_check_hdr(const struct heca_msg_hdr *h, u32 bytes,
			       u32 *len)
{
	u16 type;
	long n;

	if (bytes < sizeof(*h))
		return -EPROTO;
	n = heca_proto_check_hdr(h);
	if (n < 0)
		return n;
	/* Pages never travel in messages: the destination READs them. */
	type = le16_to_cpu(h->type);
	if (type == HECA_MSG_READ_REQ || type == HECA_MSG_READ_RESP ||
	    n != bytes - sizeof(*h))
		return -EPROTO;
	*len = n;
	return 0;
}

/* Post @b for the next message, unless the channel is closing. */
void heca_rdma_post_recv(struct heca_rdma_chan *ch, struct heca_rdma_rxbuf *b)
{
	struct ib_sge sge = {
		.addr = b->dma,
		.length = HECA_RDMA_MSG_MAX,
		.lkey = ch->dev->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};
	unsigned long flags;
	int err = 0;

	ib_dma_sync_single_for_device(ch->dev->ibdev, b->dma, HECA_RDMA_MSG_MAX,
				      DMA_FROM_DEVICE);
	spin_lock_irqsave(&ch->lock, flags);
	if (ch->state != HECA_RDMA_CHAN_CLOSING)
		err = ib_post_recv(ch->qp, &wr, NULL);
	spin_unlock_irqrestore(&ch->lock, flags);
	if (err)
		heca_rdma_fail(ch, err);
}

/**
 * heca_rdma_flushed_early() - a receive flushed before the channel was up
 * @ch:  the channel
 * @wc: a receive completion in error
 *
 * Before ESTABLISHED a receive is flushed only because rdma_cm moved the QP
 * to the error state on its way to telling why: REJECTED (-ECONNREFUSED:
 * nobody listens, or the destination refused), UNREACHABLE, CONNECT_ERROR.
 * rdma_cm flushes the QP first (cma_modify_qp_err()) and calls our handler
 * after, so the flush completion can win the race and would fail @ch with
 * -ECONNRESET, hiding the reason the event brings.  Such a flush is only
 * noted (FLUSHED): the CM event that follows fails @ch; and if ESTABLISHED
 * comes instead, heca_rdma_conn_event() fails @ch then, its QP being dead.
 * A flush in FAILED or CLOSING needs nothing either.
 *
 * Return: whether the flush was noted (the caller does not fail @ch).
 */
static bool heca_rdma_flushed_early(struct heca_rdma_chan *ch, struct ib_wc *wc)
{
	unsigned long flags;
	bool early;

	if (wc->status != IB_WC_WR_FLUSH_ERR)
		return false;
	spin_lock_irqsave(&ch->lock, flags);
	early = !heca_rdma_chan_connected(ch);
	if (early)
		heca_rdma_chan_set_state(ch, HECA_RDMA_CHAN_FLUSHED);
	spin_unlock_irqrestore(&ch->lock, flags);
	return early;
}

void heca_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_rxbuf *b = container_of(wc->wr_cqe,
						 struct heca_rdma_rxbuf, cqe);
	struct heca_rdma_chan *ch = b->ch;
	unsigned long flags;
	bool kick;

	if (wc->status != IB_WC_SUCCESS) {
		/* Flushed: the QP is in error, the peer gone.  Not reposted. */
		heca_rdma_wc_error(ch, wc, "receive");
		if (!heca_rdma_flushed_early(ch, wc))
			heca_rdma_fail(ch, -ECONNRESET);
		return;
	}
	ib_dma_sync_single_for_cpu(ch->dev->ibdev, b->dma, HECA_RDMA_MSG_MAX,
				   DMA_FROM_DEVICE);
	b->err = heca_rdma_check_hdr(b->buf, wc->byte_len, &b->len);
	heca_conn_account(&ch->conn->base, HECA_ACCT_BYTES_RX, wc->byte_len);

	spin_lock_irqsave(&ch->lock, flags);
	list_add_tail(&b->node, &ch->rx_list);
	kick = ch->started && ch->state != HECA_RDMA_CHAN_CLOSING;
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_all(&ch->wq);
	if (kick)
		queue_work(heca_rdma_wq, &ch->rx_work);
}

/* The next received message, or NULL; *@err: the channel's error. */
struct heca_rdma_rxbuf *heca_rdma_rx_pop(struct heca_rdma_chan *ch, int *err)
{
	struct heca_rdma_rxbuf *b;

	spin_lock_irq(&ch->lock);
	b = list_first_entry_or_null(&ch->rx_list, struct heca_rdma_rxbuf,
				     node);
	if (b)
		list_del(&b->node);
	*err = ch->err;
	spin_unlock_irq(&ch->lock);
	return b;
}

static bool heca_rdma_rx_ready(struct heca_rdma_chan *ch)
{
	bool ready;

	spin_lock_irq(&ch->lock);
	ready = !list_empty(&ch->rx_list) || ch->err;
	spin_unlock_irq(&ch->lock);
	return ready;
}

int heca_rdma_recv_msg(struct heca_rdma_chan *ch, struct heca_msg_hdr *hdr,
		       void *buf, size_t max, unsigned long timeout)
{
	struct heca_rdma_rxbuf *b;
	long ret;
	int err;

	ret = wait_event_interruptible_timeout(ch->wq, heca_rdma_rx_ready(ch),
					       timeout);
	if (ret < 0)
		return ret;
	b = heca_rdma_rx_pop(ch, &err);
	if (!b)
		return err ?: -ETIMEDOUT;
	err = b->err;
	if (!err && b->len > max)
		err = -EPROTO;
	if (!err) {
		memcpy(hdr, b->buf, sizeof(*hdr));
		memcpy(buf, b->buf + sizeof(*hdr), b->len);
	}
	heca_rdma_post_recv(ch, b);
	return err;
}

/* ---- sending ---------------------------------------------------------- */

void heca_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_chan *ch = container_of(wc->wr_cqe,
						 struct heca_rdma_chan, tx_cqe);

	heca_rdma_sq_put(ch, 1);
	if (wc->status != IB_WC_SUCCESS)
		heca_rdma_wc_error(ch, wc, "send");
	ch->tx_status = heca_rdma_wc_errno(wc->status);
	complete(&ch->tx_done);
}

int heca_rdma_send_msg(struct heca_rdma_chan *ch, u16 type,
		       const void *payload, size_t len)
{
	struct heca_msg_hdr *h = ch->tx_buf;
	struct ib_sge sge = {
		.addr = ch->tx_dma,
		.length = sizeof(*h) + len,
		.lkey = ch->dev->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &ch->tx_cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};
	int err;

	if (len > HECA_PROTO_MAX_CTRL)
		return -EMSGSIZE;
	mutex_lock(&ch->tx_lock);
	err = heca_rdma_err(ch);
	if (err)
		goto out;
	heca_proto_build_hdr(h, type, len);
	if (len)
		memcpy(h + 1, payload, len);
	ib_dma_sync_single_for_device(ch->dev->ibdev, ch->tx_dma, sge.length,
				      DMA_TO_DEVICE);
	err = heca_rdma_sq_get(ch, 1);
	if (err)
		goto out;
	reinit_completion(&ch->tx_done);
	err = ib_post_send(ch->qp, &wr, NULL);
	if (err) {
		heca_rdma_sq_put(ch, 1);
		heca_rdma_kill(ch, err);
		goto out;
	}
	if (!wait_for_completion_timeout(&ch->tx_done, ch->p.timeout)) {
		/* The buffer stays with the dead QP until close() drains it. */
		err = -ETIMEDOUT;
		heca_rdma_kill(ch, err);
		goto out;
	}
	err = ch->tx_status;
	if (err)
		heca_rdma_fail(ch, err);
	else
		heca_conn_account(&ch->conn->base, HECA_ACCT_BYTES_TX, sge.length);
out:
	mutex_unlock(&ch->tx_lock);
	return err;
}

/* ---- the QP ----------------------------------------------------------- */

static void heca_rdma_qp_event(struct ib_event *ev, void *ctx)
{
	struct heca_rdma_chan *ch = ctx;
	unsigned long flags;

	switch (ev->event) {
	case IB_EVENT_COMM_EST:
		/* A message came before the CM's RTU: tell rdma_cm. */
		spin_lock_irqsave(&ch->lock, flags);
		if (ch->state != HECA_RDMA_CHAN_CLOSING)
			rdma_notify(ch->id, ev->event);
		spin_unlock_irqrestore(&ch->lock, flags);
		break;
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
	case IB_EVENT_DEVICE_FATAL:
		pr_err_ratelimited("%s: QP event: %s\n", heca_rdma_name(ch),
				   ib_event_msg(ev->event));
		heca_rdma_fail(ch, -EIO);
		break;
	default:
		break;
	}
}

/*
 * Now that @ch has its device (heca_rdma_dev_get()): the buffers' mappings,
 * the CQ, the QP, and every receive buffer posted; then CONNECTING (unless
 * a flush came first).  Runs in a CM handler.
 */
int heca_rdma_chan_setup(struct heca_rdma_chan *ch)
{
	struct ib_qp_init_attr qa = {};
	struct ib_device *ibdev;
	unsigned int i, sq, rq;
	int err;

	ibdev = ch->dev->ibdev;
	ch->port = ch->id->port_num;
	/* The urgent channel only READs (or answers READs): no receives. */
	rq = ch->urgent ? 0 : HECA_RDMA_RQ_DEPTH;

	if (!ch->urgent) {
		ch->tx_dma = ib_dma_map_single(ibdev, ch->tx_buf,
					       HECA_RDMA_MSG_MAX, DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, ch->tx_dma))
			return -ENOMEM;
		ch->tx_mapped = true;
	}
	for (i = 0; i < rq; i++) {
		ch->rx[i].dma = ib_dma_map_single(ibdev, ch->rx[i].buf,
						  HECA_RDMA_MSG_MAX,
						  DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(ibdev, ch->rx[i].dma))
			return -ENOMEM;
		ch->rx[i].mapped = true;
	}

	sq = min_t(int, HECA_RDMA_SQ_DEPTH, ibdev->attrs.max_qp_wr - 1);
	atomic_set(&ch->sq_avail, sq);
	/* Room for every signaled send and receive, and the drain's two. */
	ch->cq = ib_alloc_cq(ibdev, ch,
			     min_t(int, sq + rq + 2,
				   ibdev->attrs.max_cqe),
			     0, IB_POLL_WORKQUEUE);
	if (IS_ERR(ch->cq)) {
		err = PTR_ERR(ch->cq);
		ch->cq = NULL;
		return err;
	}

	qa.event_handler = heca_rdma_qp_event;
	qa.qp_context = ch;
	qa.send_cq = ch->cq;
	qa.recv_cq = ch->cq;
	qa.sq_sig_type = IB_SIGNAL_REQ_WR;
	qa.qp_type = IB_QPT_RC;
	qa.cap.max_send_wr = sq + 1;		/* + the drain's */
	qa.cap.max_recv_wr = rq + 1;		/* + the drain's */
	qa.cap.max_send_sge = min_t(int, ibdev->attrs.max_send_sge,
				    HECA_PROTO_MAX_READ);
	qa.cap.max_recv_sge = 1;
	if (ch->p.dest)
		qa.cap.max_rdma_ctxs = HECA_RDMA_RW_CTXS;
	err = rdma_create_qp(ch->id, ch->dev->pd, &qa);
	if (err)
		return err;
	ch->qp = ch->id->qp;

	for (i = 0; i < rq; i++) {
		heca_rdma_post_recv(ch, &ch->rx[i]);
		err = heca_rdma_err(ch);
		if (err)
			return err;
	}
	/* Receive buffers come back within a fraction of a millisecond. */
	if (!ch->urgent) {
		err = rdma_set_min_rnr_timer(ch->id, IB_RNR_TIMER_000_32);
		if (err)
			return err;
	}
	spin_lock_irq(&ch->lock);
	heca_rdma_chan_set_state(ch, HECA_RDMA_CHAN_CONNECTING);
	spin_unlock_irq(&ch->lock);
	return 0;
}
