// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: a connection of a session and its two channels: allocation,
 * teardown, and handing the received messages to the session in order.
 */

#include "rdma.h"

/* A message for the running session. */
static int heca_rdma_dispatch(struct heca_rdma_conn *c, struct heca_rdma_rxbuf *b)
{
	const struct heca_msg_hdr *h = b->buf;
	const void *payload = b->buf + sizeof(*h);
	u16 type = le16_to_cpu(h->type);

	if (b->err)
		return b->err;
	if (type == HECA_MSG_MEMORY)
		return heca_rdma_set_memory(c, payload, b->len);
	if (type == HECA_MSG_SWITCH)
		heca_rdma_set_final(c);
	heca_conn_recv(&c->base, type, payload, b->len);
	return 0;
}

static const char *heca_rdma_why(int err)
{
	switch (err) {
	case -ENODEV:
		return "RDMA device removed";
	case -ETIMEDOUT:
		return "the peer stopped answering";
	default:
		return "connection lost";
	}
}

/* The main channel's @rx_work. */
static void heca_rdma_rx_work(struct work_struct *work)
{
	struct heca_rdma_chan *ch = container_of(work, struct heca_rdma_chan,
						 rx_work);
	struct heca_rdma_conn *c = ch->conn;
	struct heca_rdma_rxbuf *b;
	int err;

	while ((b = heca_rdma_rx_pop(ch, &err))) {
		err = heca_rdma_dispatch(c, b);
		heca_rdma_post_recv(ch, b);
		if (err)
			heca_conn_fail(&c->base, err,
				       "bad message from the peer");
	}
	if (err)
		heca_conn_fail(&c->base, err, heca_rdma_why(err));
}

/*
 * The urgent channel's @rx_work: it died, disconnect the main one too.
 * Its receives flush after the messages that came before, and its
 * @rx_work fails the session then, in order (a DONE received first still
 * completes it).
 */
static void heca_rdma_urgent_lost(struct work_struct *work)
{
	struct heca_rdma_chan *u = container_of(work, struct heca_rdma_chan,
						rx_work);

	rdma_disconnect(u->conn->main.id);
}

static void heca_rdma_chan_init(struct heca_rdma_chan *ch,
				const struct heca_conn_params *p, bool urgent)
{
	ch->kind = HECA_RDMA_CHAN;
	ch->p = *p;
	ch->urgent = urgent;
	INIT_LIST_HEAD(&ch->dev_node);
	spin_lock_init(&ch->lock);
	init_waitqueue_head(&ch->wq);
	INIT_LIST_HEAD(&ch->orphans);
	INIT_LIST_HEAD(&ch->rx_list);
	/* The urgent channel's @rx_work only passes its death on. */
	INIT_WORK(&ch->rx_work, urgent ? heca_rdma_urgent_lost :
					 heca_rdma_rx_work);
	mutex_init(&ch->tx_lock);
	ch->tx_cqe.done = heca_rdma_send_done;
	init_completion(&ch->tx_done);
}

/* Unmap (once mapped) and free the main channel's message buffers. */
static void heca_rdma_chan_free_bufs(struct heca_rdma_chan *ch)
{
	struct ib_device *ibdev = ch->dev ? ch->dev->ibdev : NULL;
	unsigned int i;

	for (i = 0; i < HECA_RDMA_RQ_DEPTH; i++) {
		if (ch->rx[i].mapped)
			ib_dma_unmap_single(ibdev, ch->rx[i].dma,
					    HECA_RDMA_MSG_MAX, DMA_FROM_DEVICE);
		if (ch->rx[i].buf)
			free_pages_exact(ch->rx[i].buf, HECA_RDMA_MSG_MAX);
	}
	if (ch->tx_mapped)
		ib_dma_unmap_single(ibdev, ch->tx_dma, HECA_RDMA_MSG_MAX,
				    DMA_TO_DEVICE);
	if (ch->tx_buf)
		free_pages_exact(ch->tx_buf, HECA_RDMA_MSG_MAX);
}

/* The main channel's buffers: one to send from, the receive buffers. */
static int heca_rdma_chan_alloc_bufs(struct heca_rdma_chan *ch)
{
	unsigned int i;

	ch->tx_buf = alloc_pages_exact(HECA_RDMA_MSG_MAX, GFP_KERNEL);
	if (!ch->tx_buf)
		return -ENOMEM;
	for (i = 0; i < HECA_RDMA_RQ_DEPTH; i++) {
		ch->rx[i].ch = ch;
		ch->rx[i].cqe.done = heca_rdma_recv_done;
		ch->rx[i].buf = alloc_pages_exact(HECA_RDMA_MSG_MAX, GFP_KERNEL);
		if (!ch->rx[i].buf)
			return -ENOMEM;
	}
	return 0;
}

/* A connection of a session, with its main channel; no urgent one yet. */
struct heca_rdma_conn *
heca_rdma_conn_alloc(const struct heca_transport *t,
		     const struct heca_conn_params *p)
{
	struct heca_rdma_conn *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	heca_conn_init(&c->base, t, p);
	heca_rdma_chan_init(&c->main, p, false);
	c->main.conn = c;
	heca_rdma_src_init(c);
	heca_rdma_dst_init(c);
	if (heca_rdma_chan_alloc_bufs(&c->main)) {
		heca_rdma_chan_free_bufs(&c->main);
		kfree(c);
		return NULL;
	}
	return c;
}

/*
 * An urgent channel, not linked to its connection yet (heca_rdma_link()):
 * no messages, so no buffers.
 */
struct heca_rdma_chan *heca_rdma_urgent_alloc(const struct heca_conn_params *p)
{
	struct heca_rdma_chan *ch;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return NULL;
	heca_rdma_chan_init(ch, p, true);
	return ch;
}

/*
 * The first step of a channel's teardown: nothing is posted or handed out
 * any more, and the device's removal no longer kills it.
 *
 * Return: whether the QP may hold work to drain (it was connected).
 */
static bool heca_rdma_chan_stop(struct heca_rdma_chan *ch)
{
	bool drain = heca_rdma_chan_close_begin(ch);

	heca_rdma_dev_unlist(ch);
	return drain;
}

/*
 * Disconnect and drain @ch's QP: every READ on it ends (flushed), the
 * orphans after the drain; @rx_work is over after it.
 */
static void heca_rdma_chan_drain(struct heca_rdma_chan *ch, bool drain)
{
	struct heca_rdma_read *rd, *tmp;

	if (drain) {
		rdma_disconnect(ch->id);
		ib_drain_qp(ch->qp);
	}
	cancel_work_sync(&ch->rx_work);
	list_for_each_entry_safe(rd, tmp, &ch->orphans, node) {
		list_del(&rd->node);
		if (atomic_dec_and_test(&rd->pending))
			heca_rdma_read_finish(rd);
	}
}

/*
 * The rest of a drained channel: its cm_id (unless rdma_cm destroys it:
 * @own_id false), QP, CQ, buffers and device.
 */
static void heca_rdma_chan_release(struct heca_rdma_chan *ch, bool own_id)
{
	/*
	 * After the cm_id no CM handler runs (one may still have been setting
	 * up a connection that timed out); so the QP goes after it, with
	 * ib_destroy_qp(), as in nvme-rdma.
	 */
	if (own_id && ch->id)
		rdma_destroy_id(ch->id);
	if (ch->qp)
		ib_destroy_qp(ch->qp);
	if (ch->cq)
		ib_free_cq(ch->cq);
	heca_rdma_chan_free_bufs(ch);
	heca_rdma_dev_put(ch);
}

/**
 * heca_rdma_chan_destroy() - tear an urgent channel down and free it
 * @ch:     the channel, unlinked or its connection's @urgent
 * @own_id: false: its cm_id is rdma_cm's to destroy (a failed
 *	    CONNECT_REQUEST)
 *
 * Every READ it had in flight has ended when this returns.
 */
void heca_rdma_chan_destroy(struct heca_rdma_chan *ch, bool own_id)
{
	bool drain = heca_rdma_chan_stop(ch);

	heca_rdma_chan_drain(ch, drain);
	heca_rdma_chan_release(ch, own_id);
	kfree(ch);
}

/**
 * heca_rdma_conn_destroy() - tear a connection down and free it
 * @c:      the connection
 * @own_id: false: the main channel's cm_id is rdma_cm's to destroy (a
 *	    failed CONNECT_REQUEST)
 *
 * In the order of the file comment in rdma.h: the urgent channel first,
 * all of it, then the main one; the registrations go once both QPs are
 * drained.  Every fetch in flight has ended when this returns.
 */
void heca_rdma_conn_destroy(struct heca_rdma_conn *c, bool own_id)
{
	bool drain = heca_rdma_chan_stop(&c->main);

	/*
	 * The urgent channel's @rx_work, which uses the main channel's
	 * cm_id, is over before that goes.
	 */
	if (c->urgent) {
		heca_rdma_chan_destroy(c->urgent, true);
		c->urgent = NULL;
	}
	heca_rdma_chan_drain(&c->main, drain);
	heca_rdma_unexpose(c);
	heca_rdma_chan_release(&c->main, own_id);
	heca_rdma_dst_free(c);
	kfree(c);
}

void heca_rdma_close(struct heca_rdma_conn *c)
{
	if (c)
		heca_rdma_conn_destroy(c, true);
}

int heca_rdma_start(struct heca_rdma_conn *c)
{
	struct heca_rdma_chan *ch = &c->main;

	spin_lock_irq(&ch->lock);
	ch->started = true;
	spin_unlock_irq(&ch->lock);
	/* What came before (and a death) is handed over now. */
	queue_work(heca_rdma_wq, &ch->rx_work);
	return 0;
}
