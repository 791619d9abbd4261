// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the RDMA transport, module heca_rdma.ko.
 *
 * Two reliable connections (RC QPs) per session, set up with rdma_cm: the
 * destination listens and accepts in the CONNECT_REQUEST handler, the source
 * connects.  The main channel carries the control messages and the
 * background READs; the urgent channel, connected second, carries only the
 * READs a fault waits for: a QP serves its READs in order, so on one QP a
 * fault would wait for the (up to 128 KiB) background READs posted before
 * it.  Each connection request says which channel it is (struct
 * heca_msg_cm, its private data); the urgent one proves it belongs to the
 * session with the session's token.  Both channels of a session must be on
 * one device: the source's registrations (on the device's PD) serve the
 * READs of both QPs with the same rkeys.  The urgent channel has no receive
 * buffers and never sends.
 *
 * Control messages (proto.h) travel as SENDs into receive buffers
 * posted ahead; page data never does: at the switchover the source registers
 * its pages read-only with fast registrations (IB_WR_REG_MR), one per chunk
 * of up to max_fast_reg_page_list_len pages, and sends the table of (chunk,
 * rkey, iova) in HECA_MSG_MEMORY messages; the destination then RDMA READs
 * the pages straight into the pages of each fetch (rdma_rw, up to
 * max_sge_rd pages per READ), without the source's CPU.
 *
 * Contexts:
 * - CM events (rdma_cm's handler, process context, under the id's handler
 *   mutex): address/route resolution, accept, connection state.
 * - Completions (one CQ per connection, IB_POLL_WORKQUEUE, process context):
 *   receives are queued on @rx_list; READ completions end their fetch with
 *   their fetch; send and registration completions wake the sender.
 * - @rx_work hands the received messages to the session in order,
 *   once the session started.  A connection that dies (flushed receive,
 *   device removal, send timeout) fails its session from @rx_work too,
 *   after the messages received before, so a DONE that arrived before the
 *   peer hung up still completes the session.
 * - The urgent channel's death (CM event, QP event) disconnects the main
 *   channel (@rx_work of the urgent connection): its receives flush after
 *   the messages received before, and the session fails from the main
 *   channel's @rx_work, in order, as when the main channel dies.
 * - Device removal: an ib_client, registered after rdma_cm's and so removed
 *   before it, kills the device's connections and waits for their sessions
 *   to close them; the protection domain (one per device) goes last.
 *
 * Teardown follows nvme-rdma, the urgent channel first, then the main one
 * (so the registrations go only once both QPs are drained): disconnect,
 * drain the QP (every outstanding
 * READ completes, flushed, and ends its fetch), deregister the MRs
 * (invalidating their rkeys), destroy the cm_id (no CM event after it), the
 * QP, the CQ, the buffers, and drop the device (PD).  No global rkey exists:
 * the PD is allocated without IB_PD_UNSAFE_GLOBAL_RKEY.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <rdma/ib_cm.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <rdma/rw.h>

#include "transport.h"

#define CREATE_TRACE_POINTS
#include "trace_rdma.h"

/* Send work requests a connection keeps in flight (READs, SENDs, REG_MRs). */
#define HECA_RDMA_SQ_DEPTH	128
/* Receive buffers, each for the largest control message. */
#define HECA_RDMA_RQ_DEPTH	8
#define HECA_RDMA_MSG_MAX	(sizeof(struct heca_msg_hdr) + HECA_PROTO_MAX_CTRL)
/* rdma_rw contexts (MR-based READs on iWARP): two per fetch in flight. */
#define HECA_RDMA_RW_CTXS	64
/* Fast registrations posted before waiting for them. */
#define HECA_RDMA_REG_BATCH	32
/* Largest chunk this source registers: 4096 pages, 16 MiB. */
#define HECA_RDMA_MR_MAX_SHIFT	12
/* A read spans at most two chunks. */
#define HECA_RDMA_MAX_SEGS	2
/* Address resolution, retried within the connect timeout. */
#define HECA_RDMA_RESOLVE_MS	2000U
/* MEMORY entries per message. */
#define HECA_RDMA_MRS_PER_MSG	\
	((HECA_PROTO_MAX_CTRL - sizeof(struct heca_msg_memory)) / \
	 sizeof(struct heca_msg_mr))

#define HECA_RDMA_MR_MIN_PAGES	BIT(HECA_PROTO_MR_MIN_SHIFT)

/* What the cm_id's context points to: both structures start with it. */
enum heca_rdma_kind {
	HECA_RDMA_LISTENER = 1,
	HECA_RDMA_CONN,
};

/**
 * struct heca_rdma_dev - an RDMA device as heca uses it
 * @node:	entry in heca_rdma_devs
 * @ibdev:	the device
 * @pd:		its protection domain, allocated on first use
 * @conns:	connections on the device (struct heca_rdma_conn.dev_node)
 * @nconns:	connections holding the device, listed or being closed
 * @removing:	the device goes away: no new connection may use it
 *
 * Created by the ib_client's add, freed by its remove once no connection
 * holds it.  Every field but @ibdev is guarded by heca_rdma_lock.
 */
struct heca_rdma_dev {
	struct list_head node;
	struct ib_device *ibdev;
	struct ib_pd *pd;
	struct list_head conns;
	unsigned int nconns;
	bool removing;
};

static struct heca_transport heca_rdma_transport;

static LIST_HEAD(heca_rdma_devs);
static DEFINE_MUTEX(heca_rdma_lock);	/* the devices and their fields */
static DECLARE_WAIT_QUEUE_HEAD(heca_rdma_devs_wq);
static struct workqueue_struct *heca_rdma_wq;

/* A receive buffer: posted, or holding a message until it is consumed. */
struct heca_rdma_rxbuf {
	struct ib_cqe cqe;
	struct heca_rdma_conn *c;
	struct list_head node;
	void *buf;
	u64 dma;
	u32 len;	/* payload bytes of the message */
	int err;	/* the header failed its checks */
	bool mapped;
};

/*
 * Source: one registration of a chunk.  A chunk gets a new one when pages
 * appeared in it since (pre-copy rounds); the older ones stay valid until
 * the session ends, for the reads in flight through them.
 */
struct heca_rdma_lmr {
	struct list_head node;		/* on c->lmr_list */
	struct ib_mr *mr;
	struct sg_table sgt;
	bool mapped;
	unsigned long real[];		/* pages mapped, not ZERO_PAGE */
};

/* Destination: where a chunk of the source's pages can be read. */
struct heca_rdma_rmr {
	u64 iova;
	u32 rkey;
	bool valid;
};

/* Destination: one fetch being read, in up to two READ contexts. */
struct heca_rdma_read {
	struct ib_cqe cqe;
	struct heca_rdma_conn *c;
	struct heca_fetch *f;
	struct list_head node;		/* on c->orphans */
	atomic_t pending;		/* segments to complete, +1 while posting */
	int err;
	unsigned int nseg;		/* segments planned */
	unsigned int nctx;		/* of them, contexts initialized */
	unsigned int nwqe;
	struct {
		struct rdma_rw_ctx ctx;
		unsigned int first;	/* first page of f in this segment */
		unsigned int n;
		u64 raddr;
		u32 rkey;
	} seg[HECA_RDMA_MAX_SEGS];
	struct scatterlist sg[HECA_PROTO_MAX_READ];
};

/**
 * struct heca_rdma_conn - an RDMA connection of a session
 * @kind:	HECA_RDMA_CONN
 * @base:	the transport-independent part (the session's parameters)
 * @id:		its cm_id
 * @dev:	its device, once known
 * @dev_node:	entry in @dev->conns
 * @port:	port of @id on @dev
 * @cq:		completions of sends and receives
 * @qp:		the RC queue pair
 * @sq_avail:	send queue slots free
 * @lock:	guards @err, @established, @ever_established, @flushed,
 *		@started, @closing, @rx_list, @orphans and posting receives
 * @err:	first error: the connection is dead
 * @established: connected (rdma_cm ESTABLISHED)
 * @ever_established: was connected once: the QP may hold work to drain
 * @flushed:	a receive was flushed before ESTABLISHED (see
 *		heca_rdma_recv_done())
 * @started:	the session runs: messages go to the session; on
 *		the urgent channel: linked to @parent
 * @closing:	close() runs: nothing is posted or handed out any more
 * @addr_error:	source: the address did not resolve (worth another try)
 * @wq:		waiters: connect, accept, recv_msg, send queue slots
 * @rx:		the receive buffers
 * @rx_list:	received messages not consumed yet, in order
 * @rx_work:	hands @rx_list to the session once started; on the urgent
 *		channel: heca_rdma_urgent_lost()
 * @tx_lock:	one control message at a time
 * @tx_buf:	the message being sent
 * @tx_dma:	its DMA address
 * @tx_mapped:	@tx_dma is valid
 * @tx_cqe:	completion of the SEND
 * @tx_done:	completed by @tx_cqe
 * @tx_status:	its outcome, an errno
 * @reg_cqe:	completions of fast registrations
 * @reg_pending: registrations of the batch not completed yet
 * @reg_done:	completed by the last of them
 * @reg_err:	their outcome, an errno
 * @chunks:	source: each chunk's latest registration, or NULL
 * @nchunks:	source: chunks of the region
 * @lmr_shift:	source: log2 pages per chunk
 * @lmr_list:	source: every registration, the latest and the older ones
 * @rmr_lock:	destination: guards @rmrs, @nrmrs, @rmr_shift, @rmrs_final
 * @rmrs:	destination: the source's chunks
 * @nrmrs:	destination: entries of @rmrs
 * @rmr_shift:	destination: log2 pages per chunk of the source
 * @rmrs_final:	destination: SWITCH came: no more changes to @rmrs
 * @orphans:	reads whose posting failed half way: ended after the drain
 * @urgent_chan: this is a session's urgent channel: no receive buffers, no
 *		control messages, only the READs of urgent fetches; set at
 *		allocation
 * @urgent:	main channel: its urgent channel; on the destination set by
 *		the CM handler (under the listener's lock, while the main
 *		channel is the listener's @pending or @taken), linked by
 *		accept() once both are connected; on the source set when
 *		linked; NULL on the urgent channel itself
 * @parent:	urgent channel: its main channel, set with @started (under
 *		@lock) when linked
 * @cookie:	pairs the channels of one attempt (struct heca_msg_cm):
 *		chosen by the source, received by the destination
 */
struct heca_rdma_conn {
	enum heca_rdma_kind kind;
	struct heca_conn base;
	struct rdma_cm_id *id;
	struct heca_rdma_dev *dev;
	struct list_head dev_node;
	u32 port;
	struct ib_cq *cq;
	struct ib_qp *qp;
	atomic_t sq_avail;

	spinlock_t lock;	/* see above */
	int err;
	bool established;
	bool ever_established;
	bool flushed;
	bool started;
	bool closing;
	bool addr_error;
	wait_queue_head_t wq;

	struct heca_rdma_rxbuf rx[HECA_RDMA_RQ_DEPTH];
	struct list_head rx_list;
	struct work_struct rx_work;

	struct mutex tx_lock;	/* one control message at a time */
	void *tx_buf;
	u64 tx_dma;
	bool tx_mapped;
	struct ib_cqe tx_cqe;
	struct completion tx_done;
	int tx_status;

	struct ib_cqe reg_cqe;
	atomic_t reg_pending;
	struct completion reg_done;
	int reg_err;

	struct heca_rdma_lmr **chunks;
	unsigned long nchunks;
	unsigned int lmr_shift;
	struct list_head lmr_list;
	spinlock_t rmr_lock;	/* see above */
	struct heca_rdma_rmr *rmrs;
	unsigned long nrmrs;
	unsigned int rmr_shift;
	bool rmrs_final;

	struct list_head orphans;

	bool urgent_chan;
	struct heca_rdma_conn *urgent;
	struct heca_rdma_conn *parent;
	u64 cookie;
};

/**
 * struct heca_rdma_listener - a destination waiting for its source
 * @kind:	HECA_RDMA_LISTENER
 * @base:	the transport-independent part (the session's parameters)
 * @id:		the listening cm_id
 * @lock:	guards @pending, @taken, @removed, and the @urgent of
 *		@pending and @taken
 * @pending:	a main channel accepted by the CM, not handed to accept() yet
 * @taken:	the main channel accept() took and waits with for its
 *		urgent channel
 * @removed:	the device of @id went away
 * @wq:		accept() waits here
 */
struct heca_rdma_listener {
	enum heca_rdma_kind kind;
	struct heca_listener base;
	struct rdma_cm_id *id;
	spinlock_t lock;	/* see above */
	struct heca_rdma_conn *pending;
	struct heca_rdma_conn *taken;
	bool removed;
	wait_queue_head_t wq;
};

static const char *heca_rdma_name(struct heca_rdma_conn *c)
{
	return c->base.p.name;
}

/* ---- devices ---------------------------------------------------------- */

static struct ib_client heca_rdma_client;

static int heca_rdma_add_one(struct ib_device *ibdev)
{
	struct heca_rdma_dev *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->ibdev = ibdev;
	INIT_LIST_HEAD(&d->conns);
	mutex_lock(&heca_rdma_lock);
	list_add_tail(&d->node, &heca_rdma_devs);
	mutex_unlock(&heca_rdma_lock);
	ib_set_client_data(ibdev, &heca_rdma_client, d);
	return 0;
}

static void heca_rdma_kill(struct heca_rdma_conn *c, int err);

/*
 * The device goes away: kill its connections, wait until their owners
 * closed them (sessions fail, handshakes and accepts give up), then free
 * the PD.  The connections' cm_ids are gone by then, before rdma_cm's own
 * removal runs.
 */
static void heca_rdma_remove_one(struct ib_device *ibdev, void *data)
{
	struct heca_rdma_dev *d = data;
	struct heca_rdma_conn *c;
	unsigned int n;

	mutex_lock(&heca_rdma_lock);
	d->removing = true;
	list_for_each_entry(c, &d->conns, dev_node)
		heca_rdma_kill(c, -ENODEV);
	mutex_unlock(&heca_rdma_lock);

	while (!wait_event_timeout(heca_rdma_devs_wq,
				   !(n = READ_ONCE(d->nconns)), 10 * HZ))
		pr_warn("%s: removal waits for %u connection(s) to close\n",
			dev_name(&ibdev->dev), n);

	mutex_lock(&heca_rdma_lock);
	list_del(&d->node);
	mutex_unlock(&heca_rdma_lock);
	if (d->pd)
		ib_dealloc_pd(d->pd);
	kfree(d);
}

static struct ib_client heca_rdma_client = {
	.name = "heca",
	.add = heca_rdma_add_one,
	.remove = heca_rdma_remove_one,
};

/* Attach @c to its cm_id's device, allocating the device's PD once. */
static int heca_rdma_dev_get(struct heca_rdma_conn *c)
{
	struct ib_device *ibdev = c->id->device;
	struct heca_rdma_dev *d;
	struct ib_pd *pd;
	int err = -ENODEV;
	bool closing;

	mutex_lock(&heca_rdma_lock);
	list_for_each_entry(d, &heca_rdma_devs, node) {
		if (d->ibdev != ibdev)
			continue;
		if (d->removing)
			break;
		/* close() unlists under heca_rdma_lock after setting closing */
		spin_lock_irq(&c->lock);
		closing = c->closing;
		spin_unlock_irq(&c->lock);
		if (closing) {
			err = -ECONNRESET;
			break;
		}
		if (!d->pd) {
			pd = ib_alloc_pd(ibdev, 0);
			if (IS_ERR(pd)) {
				err = PTR_ERR(pd);
				break;
			}
			d->pd = pd;
		}
		WRITE_ONCE(d->nconns, d->nconns + 1);
		list_add_tail(&c->dev_node, &d->conns);
		c->dev = d;
		err = 0;
		break;
	}
	mutex_unlock(&heca_rdma_lock);
	return err;
}

/* The device's removal no longer kills @c: close() owns it. */
static void heca_rdma_dev_unlist(struct heca_rdma_conn *c)
{
	mutex_lock(&heca_rdma_lock);
	if (c->dev)
		list_del_init(&c->dev_node);
	mutex_unlock(&heca_rdma_lock);
}

static void heca_rdma_dev_put(struct heca_rdma_conn *c)
{
	if (!c->dev)
		return;
	mutex_lock(&heca_rdma_lock);
	WRITE_ONCE(c->dev->nconns, c->dev->nconns - 1);
	mutex_unlock(&heca_rdma_lock);
	wake_up_all(&heca_rdma_devs_wq);
	c->dev = NULL;
}

/* ---- connection state ------------------------------------------------- */

/*
 * The connection is dead with @err: wake every waiter; a started session
 * fails from rx_work, after the messages received before.
 */
static void heca_rdma_fail(struct heca_rdma_conn *c, int err)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&c->lock, flags);
	if (!c->err)
		c->err = err;
	kick = c->started && !c->closing;
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up_all(&c->wq);
	if (kick)
		queue_work(heca_rdma_wq, &c->rx_work);
}

/*
 * Fail @c and move its QP to the error state, so that whatever is posted
 * completes (flushed) at once.  Process context; not concurrently with
 * close() (the device's conns list and the session's lock see to it).
 */
static void heca_rdma_kill(struct heca_rdma_conn *c, int err)
{
	heca_rdma_fail(c, err);
	if (c->id)
		rdma_disconnect(c->id);
}

static int heca_rdma_err(struct heca_rdma_conn *c)
{
	unsigned long flags;
	int err;

	spin_lock_irqsave(&c->lock, flags);
	err = c->err;
	spin_unlock_irqrestore(&c->lock, flags);
	return err;
}

static int heca_rdma_wc_errno(enum ib_wc_status status)
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

static void heca_rdma_wc_error(struct heca_rdma_conn *c, struct ib_wc *wc,
			       const char *what)
{
	if (wc->status != IB_WC_WR_FLUSH_ERR)
		pr_err_ratelimited("%s: RDMA %s failed: %s (%d)\n",
				   heca_rdma_name(c), what,
				   ib_wc_status_msg(wc->status), wc->status);
}

/* ---- send queue slots ------------------------------------------------- */

static bool heca_rdma_sq_try(struct heca_rdma_conn *c, int n, bool *got)
{
	int v = atomic_read(&c->sq_avail);

	do {
		if (v < n)
			return heca_rdma_err(c);
	} while (!atomic_try_cmpxchg(&c->sq_avail, &v, v - n));
	*got = true;
	return true;
}

/* Take @n send queue slots, waiting at most the session's timeout. */
static int heca_rdma_sq_get(struct heca_rdma_conn *c, int n)
{
	bool got = false;

	wait_event_timeout(c->wq, heca_rdma_sq_try(c, n, &got), c->base.p.timeout);
	if (got)
		return 0;
	return heca_rdma_err(c) ?: -ETIMEDOUT;
}

static void heca_rdma_sq_put(struct heca_rdma_conn *c, int n)
{
	atomic_add(n, &c->sq_avail);
	wake_up_all(&c->wq);
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

static void heca_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc);

/* Post @b for the next message, unless the connection is closing. */
static void heca_rdma_post_recv(struct heca_rdma_conn *c, struct heca_rdma_rxbuf *b)
{
	struct ib_sge sge = {
		.addr = b->dma,
		.length = HECA_RDMA_MSG_MAX,
		.lkey = c->dev->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};
	unsigned long flags;
	int err = 0;

	ib_dma_sync_single_for_device(c->dev->ibdev, b->dma, HECA_RDMA_MSG_MAX,
				      DMA_FROM_DEVICE);
	spin_lock_irqsave(&c->lock, flags);
	if (!c->closing)
		err = ib_post_recv(c->qp, &wr, NULL);
	spin_unlock_irqrestore(&c->lock, flags);
	if (err)
		heca_rdma_fail(c, err);
}

/**
 * heca_rdma_flushed_early() - a receive flushed before the connection was up
 * @c:  the connection
 * @wc: a receive completion in error
 *
 * Before ESTABLISHED a receive is flushed only because rdma_cm moved the QP
 * to the error state on its way to telling why: REJECTED (-ECONNREFUSED:
 * nobody listens, or the destination refused), UNREACHABLE, CONNECT_ERROR.
 * rdma_cm flushes the QP first (cma_modify_qp_err()) and calls our handler
 * after, so the flush completion can win the race and would fail @c with
 * -ECONNRESET, hiding the reason the event brings.  Such a flush is only
 * noted: the CM event that follows fails @c; and if ESTABLISHED comes
 * instead, heca_rdma_conn_event() fails @c then, its QP being dead.
 *
 * Return: whether the flush was noted (the caller does not fail @c).
 */
static bool heca_rdma_flushed_early(struct heca_rdma_conn *c, struct ib_wc *wc)
{
	unsigned long flags;
	bool early;

	if (wc->status != IB_WC_WR_FLUSH_ERR)
		return false;
	spin_lock_irqsave(&c->lock, flags);
	early = !c->ever_established;
	if (early)
		c->flushed = true;
	spin_unlock_irqrestore(&c->lock, flags);
	return early;
}

static void heca_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_rxbuf *b = container_of(wc->wr_cqe,
						 struct heca_rdma_rxbuf, cqe);
	struct heca_rdma_conn *c = b->c;
	unsigned long flags;
	bool kick;

	if (wc->status != IB_WC_SUCCESS) {
		/* Flushed: the QP is in error, the peer gone.  Not reposted. */
		heca_rdma_wc_error(c, wc, "receive");
		if (!heca_rdma_flushed_early(c, wc))
			heca_rdma_fail(c, -ECONNRESET);
		return;
	}
	ib_dma_sync_single_for_cpu(c->dev->ibdev, b->dma, HECA_RDMA_MSG_MAX,
				   DMA_FROM_DEVICE);
	b->err = heca_rdma_check_hdr(b->buf, wc->byte_len, &b->len);
	heca_conn_account(&c->base, HECA_ACCT_BYTES_RX, wc->byte_len);

	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&b->node, &c->rx_list);
	kick = c->started && !c->closing;
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up_all(&c->wq);
	if (kick)
		queue_work(heca_rdma_wq, &c->rx_work);
}

/* The next received message, or NULL; *@err: the connection's error. */
static struct heca_rdma_rxbuf *heca_rdma_rx_pop(struct heca_rdma_conn *c, int *err)
{
	struct heca_rdma_rxbuf *b;

	spin_lock_irq(&c->lock);
	b = list_first_entry_or_null(&c->rx_list, struct heca_rdma_rxbuf,
				     node);
	if (b)
		list_del(&b->node);
	*err = c->err;
	spin_unlock_irq(&c->lock);
	return b;
}

static bool heca_rdma_rx_ready(struct heca_rdma_conn *c)
{
	bool ready;

	spin_lock_irq(&c->lock);
	ready = !list_empty(&c->rx_list) || c->err;
	spin_unlock_irq(&c->lock);
	return ready;
}

static int heca_rdma_recv_msg(struct heca_rdma_conn *c, struct heca_msg_hdr *hdr,
			      void *buf, size_t max, unsigned long timeout)
{
	struct heca_rdma_rxbuf *b;
	long ret;
	int err;

	ret = wait_event_interruptible_timeout(c->wq, heca_rdma_rx_ready(c),
					       timeout);
	if (ret < 0)
		return ret;
	b = heca_rdma_rx_pop(c, &err);
	if (!b)
		return err ?: -ETIMEDOUT;
	err = b->err;
	if (!err && b->len > max)
		err = -EPROTO;
	if (!err) {
		memcpy(hdr, b->buf, sizeof(*hdr));
		memcpy(buf, b->buf + sizeof(*hdr), b->len);
	}
	heca_rdma_post_recv(c, b);
	return err;
}

static int heca_rdma_set_memory(struct heca_rdma_conn *c, const void *payload,
				size_t len);

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
	if (type == HECA_MSG_SWITCH) {
		/* No MEMORY after it. */
		spin_lock_irq(&c->rmr_lock);
		c->rmrs_final = true;
		spin_unlock_irq(&c->rmr_lock);
	}
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

static void heca_rdma_rx_work(struct work_struct *work)
{
	struct heca_rdma_conn *c = container_of(work, struct heca_rdma_conn, rx_work);
	struct heca_rdma_rxbuf *b;
	int err;

	while ((b = heca_rdma_rx_pop(c, &err))) {
		err = heca_rdma_dispatch(c, b);
		heca_rdma_post_recv(c, b);
		if (err)
			heca_conn_fail(&c->base, err,
				       "bad message from the peer");
	}
	if (err)
		heca_conn_fail(&c->base, err, heca_rdma_why(err));
}

/* ---- sending ---------------------------------------------------------- */

static void heca_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_conn *c = container_of(wc->wr_cqe, struct heca_rdma_conn,
					   tx_cqe);

	heca_rdma_sq_put(c, 1);
	if (wc->status != IB_WC_SUCCESS)
		heca_rdma_wc_error(c, wc, "send");
	c->tx_status = heca_rdma_wc_errno(wc->status);
	complete(&c->tx_done);
}

static int heca_rdma_send_msg(struct heca_rdma_conn *c, u16 type,
			      const void *payload, size_t len)
{
	struct heca_msg_hdr *h = c->tx_buf;
	struct ib_sge sge = {
		.addr = c->tx_dma,
		.length = sizeof(*h) + len,
		.lkey = c->dev->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &c->tx_cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};
	int err;

	if (len > HECA_PROTO_MAX_CTRL)
		return -EMSGSIZE;
	mutex_lock(&c->tx_lock);
	err = heca_rdma_err(c);
	if (err)
		goto out;
	heca_proto_build_hdr(h, type, len);
	if (len)
		memcpy(h + 1, payload, len);
	ib_dma_sync_single_for_device(c->dev->ibdev, c->tx_dma, sge.length,
				      DMA_TO_DEVICE);
	err = heca_rdma_sq_get(c, 1);
	if (err)
		goto out;
	reinit_completion(&c->tx_done);
	err = ib_post_send(c->qp, &wr, NULL);
	if (err) {
		heca_rdma_sq_put(c, 1);
		heca_rdma_kill(c, err);
		goto out;
	}
	if (!wait_for_completion_timeout(&c->tx_done, c->base.p.timeout)) {
		/* The buffer stays with the dead QP until close() drains it. */
		err = -ETIMEDOUT;
		heca_rdma_kill(c, err);
		goto out;
	}
	err = c->tx_status;
	if (err)
		heca_rdma_fail(c, err);
	else
		heca_conn_account(&c->base, HECA_ACCT_BYTES_TX, sge.length);
out:
	mutex_unlock(&c->tx_lock);
	return err;
}

/* ---- source: exposing the region -------------------------------------- */

static void heca_rdma_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_conn *c = container_of(wc->wr_cqe, struct heca_rdma_conn,
					   reg_cqe);

	heca_rdma_sq_put(c, 1);
	if (wc->status != IB_WC_SUCCESS) {
		heca_rdma_wc_error(c, wc, "memory registration");
		WRITE_ONCE(c->reg_err, heca_rdma_wc_errno(wc->status));
	}
	if (atomic_dec_and_test(&c->reg_pending))
		complete(&c->reg_done);
}

/* Post @n chained registrations and wait for all of them. */
static int heca_rdma_post_regs(struct heca_rdma_conn *c, struct ib_reg_wr *wr,
			       unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++)
		wr[i].wr.next = i + 1 < n ? &wr[i + 1].wr : NULL;
	err = heca_rdma_sq_get(c, n);
	if (err)
		return err;
	reinit_completion(&c->reg_done);
	atomic_set(&c->reg_pending, n);
	WRITE_ONCE(c->reg_err, 0);
	err = ib_post_send(c->qp, &wr[0].wr, NULL);
	if (err) {
		/* What was posted completes flushed; the QP drains at close. */
		heca_rdma_kill(c, err);
		return err;
	}
	if (!wait_for_completion_timeout(&c->reg_done, c->base.p.timeout)) {
		heca_rdma_kill(c, -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	return READ_ONCE(c->reg_err);
}

/* Whether chunk @i has a page its latest registration lacks (or has none). */
static bool heca_rdma_chunk_stale(struct heca_rdma_conn *c, unsigned long i)
{
	struct heca_rdma_lmr *l = c->chunks[i];
	pgoff_t first = (pgoff_t)i << c->lmr_shift;
	pgoff_t last = min_t(pgoff_t, first + (1UL << c->lmr_shift),
			     c->base.p.npages) - 1;
	pgoff_t idx = first;

	while (idx <= last && heca_conn_next_page(&c->base, &idx, last)) {
		if (!l || !test_bit(idx - first, l->real))
			return true;
		idx++;
	}
	return false;
}

/*
 * Register chunk @i anew: its pages, ZERO_PAGE for those the source does
 * not have (the destination never reads them); @wr gets the REG_MR.
 */
static int heca_rdma_map_chunk(struct heca_rdma_conn *c, unsigned long i,
			       struct ib_reg_wr *wr)
{
	pgoff_t npages = c->base.p.npages;
	struct ib_device *ibdev = c->dev->ibdev;
	pgoff_t first = (pgoff_t)i << c->lmr_shift;
	struct heca_rdma_lmr *l;
	struct scatterlist *sg;
	struct page *page;
	unsigned int n, j;
	struct ib_mr *mr;
	int ret;

	n = min_t(pgoff_t, 1UL << c->lmr_shift, npages - first);
	l = kzalloc(struct_size(l, real, BITS_TO_LONGS(n)), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	list_add_tail(&l->node, &c->lmr_list);	/* freed by unexpose */

	ret = sg_alloc_table(&l->sgt, n, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sg(l->sgt.sgl, sg, n, j) {
		page = heca_conn_page(&c->base, first + j);
		if (page)
			__set_bit(j, l->real);
		sg_set_page(sg, page ?: ZERO_PAGE(0), PAGE_SIZE, 0);
	}
	ret = ib_dma_map_sg(ibdev, l->sgt.sgl, n, DMA_TO_DEVICE);
	if (!ret)
		return -ENOMEM;
	l->sgt.nents = ret;
	l->mapped = true;

	mr = ib_alloc_mr(c->dev->pd, IB_MR_TYPE_MEM_REG, n);
	if (IS_ERR(mr))
		return PTR_ERR(mr);
	l->mr = mr;
	ret = ib_map_mr_sg(mr, l->sgt.sgl, l->sgt.nents, NULL, PAGE_SIZE);
	if (ret != l->sgt.nents)
		return ret < 0 ? ret : -EINVAL;
	/*
	 * The peer addresses the chunk by its offset in the region, not by
	 * our DMA addresses (as xprtrdma, iova may be chosen after mapping).
	 */
	mr->iova = (u64)first << PAGE_SHIFT;
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));

	memset(wr, 0, sizeof(*wr));
	wr->wr.opcode = IB_WR_REG_MR;
	wr->wr.wr_cqe = &c->reg_cqe;
	wr->wr.send_flags = IB_SEND_SIGNALED;
	wr->mr = mr;
	wr->key = mr->rkey;
	wr->access = IB_ACCESS_REMOTE_READ;
	c->chunks[i] = l;
	return 0;
}

/*
 * Deregister everything (which invalidates the rkeys); the QP is drained,
 * or never ran.
 */
static void heca_rdma_unexpose(struct heca_rdma_conn *c)
{
	struct heca_rdma_lmr *l, *tmp;

	list_for_each_entry_safe(l, tmp, &c->lmr_list, node) {
		if (l->mr)
			ib_dereg_mr(l->mr);
		if (l->mapped)
			ib_dma_unmap_sg(c->dev->ibdev, l->sgt.sgl,
					l->sgt.orig_nents, DMA_TO_DEVICE);
		sg_free_table(&l->sgt);
		list_del(&l->node);
		kfree(l);
	}
	kvfree(c->chunks);
	c->chunks = NULL;
	c->nchunks = 0;
}

/* Send the registrations of the chunks in @set in HECA_MSG_MEMORY messages. */
static int heca_rdma_send_memory(struct heca_rdma_conn *c, const unsigned long *set)
{
	struct heca_msg_memory *m;
	struct heca_msg_mr *e;
	struct ib_mr *mr;
	unsigned long i;
	unsigned int n = 0;
	int err = 0;

	m = kvmalloc(HECA_PROTO_MAX_CTRL, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	e = (struct heca_msg_mr *)(m + 1);
	for_each_set_bit(i, set, c->nchunks) {
		mr = c->chunks[i]->mr;
		e[n].chunk = cpu_to_le32(i);
		e[n].rkey = cpu_to_le32(mr->rkey);
		e[n].iova = cpu_to_le64(mr->iova);
		if (++n < HECA_RDMA_MRS_PER_MSG)
			continue;
		m->chunk_shift = cpu_to_le32(c->lmr_shift);
		m->count = cpu_to_le32(n);
		err = heca_rdma_send_msg(c, HECA_MSG_MEMORY, m,
					 sizeof(*m) + n * sizeof(*e));
		n = 0;
		if (err)
			break;
	}
	if (!err && n) {
		m->chunk_shift = cpu_to_le32(c->lmr_shift);
		m->count = cpu_to_le32(n);
		err = heca_rdma_send_msg(c, HECA_MSG_MEMORY, m,
					 sizeof(*m) + n * sizeof(*e));
	}
	kvfree(m);
	return err;
}

static int heca_rdma_expose_init(struct heca_rdma_conn *c)
{
	struct ib_device *ibdev = c->dev->ibdev;
	unsigned int max = ibdev->attrs.max_fast_reg_page_list_len;

	if (max < HECA_RDMA_MR_MIN_PAGES) {
		pr_err("%s: %s registers at most %u pages at once, heca needs %lu\n",
		       heca_rdma_name(c), dev_name(&ibdev->dev), max,
		       HECA_RDMA_MR_MIN_PAGES);
		return -EOPNOTSUPP;
	}
	/* Chunks of max_fast_reg_page_list_len pages (a power of 2). */
	c->lmr_shift = min_t(unsigned int, ilog2(max), HECA_RDMA_MR_MAX_SHIFT);
	c->nchunks = DIV_ROUND_UP(c->base.p.npages, 1UL << c->lmr_shift);
	c->chunks = kvcalloc(c->nchunks, sizeof(*c->chunks), GFP_KERNEL);
	return c->chunks ? 0 : -ENOMEM;
}

/*
 * Before a set of pages is announced (each pre-copy round, the switchover):
 * register, read-only, every chunk with a page that its latest
 * registration does not map (at first: every chunk with a page), and tell
 * the destination, before the set, where they are.
 */
static int heca_rdma_expose(struct heca_rdma_conn *c)
{
	unsigned long *announce = NULL, i;
	struct ib_reg_wr *wr;
	unsigned int n = 0;
	int err;

	err = heca_rdma_err(c);
	if (!err && !c->chunks)
		err = heca_rdma_expose_init(c);
	if (err)
		return err;
	wr = kcalloc(HECA_RDMA_REG_BATCH, sizeof(*wr), GFP_KERNEL);
	announce = kvcalloc(BITS_TO_LONGS(c->nchunks), sizeof(long),
			    GFP_KERNEL);
	if (!wr || !announce) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nchunks && !err; i++) {
		if (!heca_rdma_chunk_stale(c, i))
			continue;
		err = heca_rdma_map_chunk(c, i, &wr[n]);
		if (err)
			break;
		__set_bit(i, announce);
		if (++n == HECA_RDMA_REG_BATCH) {
			err = heca_rdma_post_regs(c, wr, n);
			n = 0;
		}
		cond_resched();
	}
	if (!err && n)
		err = heca_rdma_post_regs(c, wr, n);
	if (!err)
		err = heca_rdma_send_memory(c, announce);
out:
	/* On error what was registered goes at close(), after the drain. */
	kvfree(announce);
	kfree(wr);
	return err;
}

/* ---- destination: the table and the reads ---------------------------- */

static int heca_rdma_set_memory(struct heca_rdma_conn *c, const void *payload,
				size_t len)
{
	const struct heca_msg_memory *m = payload;
	const struct heca_msg_mr *e = payload + sizeof(*m);
	pgoff_t npages = c->base.p.npages;
	struct heca_rdma_rmr *rmr, *table = NULL;
	u64 count, shift, chunk, iova, bytes, nchunks;
	s64 prev = -1;
	bool final;
	u32 i;

	if (!c->base.p.dest || len < sizeof(*m))
		return -EPROTO;
	count = le32_to_cpu(m->count);
	shift = le32_to_cpu(m->chunk_shift);
	if (!count || len != sizeof(*m) + count * sizeof(*e) ||
	    shift < HECA_PROTO_MR_MIN_SHIFT || shift > HECA_PROTO_MR_MAX_SHIFT)
		return -EPROTO;
	if (c->rmrs && shift != c->rmr_shift)
		return -EPROTO;
	/* Check everything before changing anything. */
	nchunks = DIV_ROUND_UP(npages, 1ULL << shift);
	for (i = 0; i < count; i++) {
		chunk = le32_to_cpu(e[i].chunk);
		iova = le64_to_cpu(e[i].iova);
		if (chunk >= nchunks || (s64)chunk <= prev)
			return -EPROTO;	/* out of range, or not ascending */
		prev = chunk;
		bytes = min_t(u64, 1ULL << shift,
			      npages - (chunk << shift)) << PAGE_SHIFT;
		if (!PAGE_ALIGNED(iova) || iova > U64_MAX - bytes)
			return -EPROTO;
	}
	/* Only rx_work writes the table: allocate it outside the lock. */
	if (!c->rmrs) {
		table = kvcalloc(nchunks, sizeof(*table), GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}

	spin_lock_irq(&c->rmr_lock);
	final = c->rmrs_final;
	if (!final && table) {
		c->rmrs = table;
		c->nrmrs = nchunks;
		c->rmr_shift = shift;
		table = NULL;
	}
	for (i = 0; i < count && !final; i++) {
		/* A chunk registered anew: reads from now on use this one. */
		rmr = &c->rmrs[le32_to_cpu(e[i].chunk)];
		rmr->iova = le64_to_cpu(e[i].iova);
		rmr->rkey = le32_to_cpu(e[i].rkey);
		rmr->valid = true;
	}
	spin_unlock_irq(&c->rmr_lock);
	kvfree(table);
	return final ? -EPROTO : 0;
}

static void heca_rdma_read_destroy(struct heca_rdma_conn *c,
				   struct heca_rdma_read *rd)
{
	unsigned int i;

	for (i = 0; i < rd->nctx; i++)
		rdma_rw_ctx_destroy(&rd->seg[i].ctx, c->qp, c->port,
				    &rd->sg[rd->seg[i].first], rd->seg[i].n,
				    DMA_FROM_DEVICE);
}

static void heca_rdma_read_finish(struct heca_rdma_read *rd)
{
	struct heca_rdma_conn *c = rd->c;
	struct heca_fetch *f = rd->f;
	int err;

	heca_rdma_read_destroy(c, rd);
	heca_rdma_sq_put(c, rd->nwqe);
	err = rd->err;
	if (!err)
		heca_conn_account(&c->base, HECA_ACCT_BYTES_RX,
				  (u64)f->count << PAGE_SHIFT);
	kfree(rd);
	heca_conn_fetch_done(&c->base, f, err);
}

static void heca_rdma_read_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_read *rd = container_of(wc->wr_cqe,
						 struct heca_rdma_read, cqe);

	if (wc->status != IB_WC_SUCCESS) {
		heca_rdma_wc_error(rd->c, wc, "READ");
		cmpxchg(&rd->err, 0, heca_rdma_wc_errno(wc->status));
	}
	if (atomic_dec_and_test(&rd->pending))
		heca_rdma_read_finish(rd);
}

/* Where the pages of @rd are: one segment per chunk the fetch touches. */
static int heca_rdma_read_plan(struct heca_rdma_conn *c, struct heca_rdma_read *rd)
{
	struct heca_fetch *f = rd->f;
	const struct heca_rdma_rmr *rmr;
	unsigned int i = 0, n;
	pgoff_t idx, chunk, end;
	int err = 0;

	spin_lock_irq(&c->rmr_lock);
	while (i < f->count) {
		idx = f->first + i;
		chunk = idx >> c->rmr_shift;
		if (!c->rmrs || chunk >= c->nrmrs || !c->rmrs[chunk].valid ||
		    rd->nseg == HECA_RDMA_MAX_SEGS) {
			err = -EPROTO;	/* the source said it has the page */
			break;
		}
		rmr = &c->rmrs[chunk];
		end = (chunk + 1) << c->rmr_shift;
		n = min_t(pgoff_t, f->count - i, end - idx);
		rd->seg[rd->nseg].first = i;
		rd->seg[rd->nseg].n = n;
		rd->seg[rd->nseg].raddr = rmr->iova +
			((u64)(idx - (chunk << c->rmr_shift)) << PAGE_SHIFT);
		rd->seg[rd->nseg].rkey = rmr->rkey;
		rd->nseg++;
		i += n;
	}
	spin_unlock_irq(&c->rmr_lock);
	return err;
}

/* The READ contexts of @rd's segments (DMA-maps the fetch's pages). */
static int heca_rdma_read_init(struct heca_rdma_conn *c, struct heca_rdma_read *rd)
{
	struct heca_fetch *f = rd->f;
	unsigned int j, first, n;
	int ret;

	for (; rd->nctx < rd->nseg; rd->nctx++) {
		first = rd->seg[rd->nctx].first;
		n = rd->seg[rd->nctx].n;
		sg_init_table(&rd->sg[first], n);
		for (j = 0; j < n; j++)
			sg_set_page(&rd->sg[first + j], f->pages[first + j],
				    PAGE_SIZE, 0);
		ret = rdma_rw_ctx_init(&rd->seg[rd->nctx].ctx, c->qp, c->port,
				       &rd->sg[first], n, 0,
				       rd->seg[rd->nctx].raddr,
				       rd->seg[rd->nctx].rkey, DMA_FROM_DEVICE);
		if (ret < 0)
			return ret;
		rd->nwqe += ret;
	}
	return 0;
}

/**
 * heca_rdma_read_pages() - destination: READ the pages of a fetch
 * @c: the session's main channel
 * @f: the fetch
 *
 * One READ per up to max_sge_rd pages, posted at once.  A fetch a fault
 * waits for (@f->urgent) goes on the urgent channel's QP, where it waits
 * behind nothing but other urgent READs; a background one on the main
 * channel's.  The table of the source's registrations is the main
 * channel's; its rkeys serve both QPs (one PD on the source).
 *
 * Return: 0 when the fetch's completion follows, or an error (it does not).
 */
static int heca_rdma_read_pages(struct heca_rdma_conn *c, struct heca_fetch *f)
{
	struct heca_rdma_conn *q = f->urgent && c->urgent ? c->urgent : c;
	struct heca_rdma_read *rd;
	unsigned long flags;
	unsigned int posted;
	int err;

	err = heca_rdma_err(c) ?: heca_rdma_err(q);
	if (err)
		return err;
	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->cqe.done = heca_rdma_read_done;
	rd->c = q;
	rd->f = f;
	f->tag = 0;
	err = heca_rdma_read_plan(c, rd);
	if (!err)
		err = heca_rdma_read_init(q, rd);
	if (!err)
		err = heca_rdma_sq_get(q, rd->nwqe);
	if (err) {
		heca_rdma_read_destroy(q, rd);
		kfree(rd);
		return err;
	}
	trace_heca_rdma_read(heca_rdma_name(c), f->first, f->count, f->urgent,
			     q != c);

	atomic_set(&rd->pending, rd->nseg + 1);
	for (posted = 0; posted < rd->nseg; posted++) {
		err = rdma_rw_ctx_post(&rd->seg[posted].ctx, q->qp, q->port,
				       &rd->cqe, NULL);
		if (err)
			break;
	}
	if (err) {
		/*
		 * Part of a segment may be on the QP, writing into the
		 * fetch's pages, with no completion to tell when it stops:
		 * end the fetch only after close() drained the QP.
		 */
		cmpxchg(&rd->err, 0, err);
		atomic_sub(rd->nseg - posted, &rd->pending);
		spin_lock_irqsave(&q->lock, flags);
		list_add_tail(&rd->node, &q->orphans);
		spin_unlock_irqrestore(&q->lock, flags);
		heca_rdma_kill(q, err);
		return 0;
	}
	if (atomic_dec_and_test(&rd->pending))
		heca_rdma_read_finish(rd);
	return 0;
}

/* ---- connection setup ------------------------------------------------- */

static void heca_rdma_qp_event(struct ib_event *ev, void *ctx)
{
	struct heca_rdma_conn *c = ctx;
	unsigned long flags;

	switch (ev->event) {
	case IB_EVENT_COMM_EST:
		/* A message came before the CM's RTU: tell rdma_cm. */
		spin_lock_irqsave(&c->lock, flags);
		if (!c->closing)
			rdma_notify(c->id, ev->event);
		spin_unlock_irqrestore(&c->lock, flags);
		break;
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
	case IB_EVENT_DEVICE_FATAL:
		pr_err_ratelimited("%s: QP event: %s\n", heca_rdma_name(c),
				   ib_event_msg(ev->event));
		heca_rdma_fail(c, -EIO);
		break;
	default:
		break;
	}
}

/*
 * The urgent channel died: disconnect the main one too.  Its receives
 * flush after the messages that came before, and its @rx_work fails the
 * session then, in order (a DONE received first still completes it).
 */
static void heca_rdma_urgent_lost(struct work_struct *work)
{
	struct heca_rdma_conn *u = container_of(work, struct heca_rdma_conn, rx_work);

	rdma_disconnect(u->parent->id);
}

/* A connection of @s: the main channel, or (@urgent) the urgent one. */
static struct heca_rdma_conn *
heca_rdma_conn_alloc(const struct heca_conn_params *p, bool urgent)
{
	struct heca_rdma_conn *c;
	unsigned int i;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->kind = HECA_RDMA_CONN;
	heca_conn_init(&c->base, &heca_rdma_transport, p);
	c->urgent_chan = urgent;
	INIT_LIST_HEAD(&c->dev_node);
	spin_lock_init(&c->lock);
	init_waitqueue_head(&c->wq);
	INIT_LIST_HEAD(&c->rx_list);
	/* The urgent channel's @rx_work only passes its death on. */
	INIT_WORK(&c->rx_work, urgent ? heca_rdma_urgent_lost :
					heca_rdma_rx_work);
	mutex_init(&c->tx_lock);
	c->tx_cqe.done = heca_rdma_send_done;
	init_completion(&c->tx_done);
	c->reg_cqe.done = heca_rdma_reg_done;
	init_completion(&c->reg_done);
	INIT_LIST_HEAD(&c->orphans);
	INIT_LIST_HEAD(&c->lmr_list);
	spin_lock_init(&c->rmr_lock);
	if (urgent)
		return c;	/* no messages: no buffers */

	c->tx_buf = alloc_pages_exact(HECA_RDMA_MSG_MAX, GFP_KERNEL);
	if (!c->tx_buf)
		goto err;
	for (i = 0; i < HECA_RDMA_RQ_DEPTH; i++) {
		c->rx[i].c = c;
		c->rx[i].cqe.done = heca_rdma_recv_done;
		c->rx[i].buf = alloc_pages_exact(HECA_RDMA_MSG_MAX, GFP_KERNEL);
		if (!c->rx[i].buf)
			goto err;
	}
	return c;
err:
	for (i = 0; i < HECA_RDMA_RQ_DEPTH; i++)
		if (c->rx[i].buf)
			free_pages_exact(c->rx[i].buf, HECA_RDMA_MSG_MAX);
	if (c->tx_buf)
		free_pages_exact(c->tx_buf, HECA_RDMA_MSG_MAX);
	kfree(c);
	return NULL;
}

/*
 * Now that @c->id has its device: the PD, the buffers' mappings, the CQ,
 * the QP, and every receive buffer posted.  Runs in a CM handler.
 */
static int heca_rdma_conn_setup(struct heca_rdma_conn *c)
{
	struct ib_qp_init_attr qa = {};
	struct ib_device *ibdev;
	unsigned int i, sq, rq;
	int err;

	err = heca_rdma_dev_get(c);
	if (err)
		return err;
	ibdev = c->dev->ibdev;
	c->port = c->id->port_num;
	/* The urgent channel only READs (or answers READs): no receives. */
	rq = c->urgent_chan ? 0 : HECA_RDMA_RQ_DEPTH;

	if (!c->urgent_chan) {
		c->tx_dma = ib_dma_map_single(ibdev, c->tx_buf,
					      HECA_RDMA_MSG_MAX, DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, c->tx_dma))
			return -ENOMEM;
		c->tx_mapped = true;
	}
	for (i = 0; i < rq; i++) {
		c->rx[i].dma = ib_dma_map_single(ibdev, c->rx[i].buf,
						 HECA_RDMA_MSG_MAX,
						 DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(ibdev, c->rx[i].dma))
			return -ENOMEM;
		c->rx[i].mapped = true;
	}

	sq = min_t(int, HECA_RDMA_SQ_DEPTH, ibdev->attrs.max_qp_wr - 1);
	atomic_set(&c->sq_avail, sq);
	/* Room for every signaled send and receive, and the drain's two. */
	c->cq = ib_alloc_cq(ibdev, c,
			    min_t(int, sq + rq + 2,
				  ibdev->attrs.max_cqe),
			    0, IB_POLL_WORKQUEUE);
	if (IS_ERR(c->cq)) {
		err = PTR_ERR(c->cq);
		c->cq = NULL;
		return err;
	}

	qa.event_handler = heca_rdma_qp_event;
	qa.qp_context = c;
	qa.send_cq = c->cq;
	qa.recv_cq = c->cq;
	qa.sq_sig_type = IB_SIGNAL_REQ_WR;
	qa.qp_type = IB_QPT_RC;
	qa.cap.max_send_wr = sq + 1;		/* + the drain's */
	qa.cap.max_recv_wr = rq + 1;		/* + the drain's */
	qa.cap.max_send_sge = min_t(int, ibdev->attrs.max_send_sge,
				    HECA_PROTO_MAX_READ);
	qa.cap.max_recv_sge = 1;
	if (c->base.p.dest)
		qa.cap.max_rdma_ctxs = HECA_RDMA_RW_CTXS;
	err = rdma_create_qp(c->id, c->dev->pd, &qa);
	if (err)
		return err;
	c->qp = c->id->qp;
	if (c->urgent_chan)
		return 0;

	for (i = 0; i < rq; i++) {
		heca_rdma_post_recv(c, &c->rx[i]);
		err = heca_rdma_err(c);
		if (err)
			return err;
	}
	/* Receive buffers come back within a fraction of a millisecond. */
	return rdma_set_min_rnr_timer(c->id, IB_RNR_TIMER_000_32);
}

/*
 * Tear @c down (see the file comment for the order).  Every fetch it had
 * in flight has ended when this returns.  With @own_id false the cm_id is
 * rdma_cm's to destroy (a failed CONNECT_REQUEST).
 */
static void heca_rdma_conn_destroy(struct heca_rdma_conn *c, bool own_id)
{
	struct heca_rdma_read *rd, *tmp;
	struct ib_device *ibdev;
	unsigned int i;

	bool drain;

	spin_lock_irq(&c->lock);
	c->closing = true;
	if (!c->err)
		c->err = -ECONNRESET;
	/* Only a QP that was connected can hold sends to wait for. */
	drain = c->ever_established;
	spin_unlock_irq(&c->lock);
	wake_up_all(&c->wq);
	heca_rdma_dev_unlist(c);

	/*
	 * The urgent channel first, all of it: its READs end (flushed) and
	 * its @rx_work, which uses our cm_id, is over before ours goes; the
	 * registrations (ours) stay until both QPs are drained.
	 */
	if (c->urgent) {
		heca_rdma_conn_destroy(c->urgent, true);
		c->urgent = NULL;
	}

	if (drain) {
		rdma_disconnect(c->id);
		ib_drain_qp(c->qp);
	}
	cancel_work_sync(&c->rx_work);
	list_for_each_entry_safe(rd, tmp, &c->orphans, node) {
		list_del(&rd->node);
		if (atomic_dec_and_test(&rd->pending))
			heca_rdma_read_finish(rd);
	}
	heca_rdma_unexpose(c);
	/*
	 * After the cm_id no CM handler runs (one may still have been setting
	 * up a connection that timed out); so the QP goes after it, with
	 * ib_destroy_qp(), as in nvme-rdma.
	 */
	if (own_id && c->id)
		rdma_destroy_id(c->id);
	if (c->qp)
		ib_destroy_qp(c->qp);
	if (c->cq)
		ib_free_cq(c->cq);

	ibdev = c->dev ? c->dev->ibdev : NULL;
	for (i = 0; i < HECA_RDMA_RQ_DEPTH; i++) {
		if (c->rx[i].mapped)
			ib_dma_unmap_single(ibdev, c->rx[i].dma,
					    HECA_RDMA_MSG_MAX, DMA_FROM_DEVICE);
		if (c->rx[i].buf)
			free_pages_exact(c->rx[i].buf, HECA_RDMA_MSG_MAX);
	}
	if (c->tx_mapped)
		ib_dma_unmap_single(ibdev, c->tx_dma, HECA_RDMA_MSG_MAX,
				    DMA_TO_DEVICE);
	if (c->tx_buf)
		free_pages_exact(c->tx_buf, HECA_RDMA_MSG_MAX);
	kvfree(c->rmrs);
	heca_rdma_dev_put(c);
	kfree(c);
}

static void heca_rdma_close(struct heca_rdma_conn *c)
{
	if (c)
		heca_rdma_conn_destroy(c, true);
}

static void heca_rdma_conn_param(struct heca_rdma_conn *c,
				 struct rdma_conn_param *p, u8 initiator,
				 u8 responder)
{
	const struct ib_device_attr *a = &c->dev->ibdev->attrs;

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
static int heca_rdma_route_resolved(struct heca_rdma_conn *c)
{
	struct heca_msg_cm cm = {
		.magic = cpu_to_le32(HECA_PROTO_MAGIC),
		.version = cpu_to_le16(HECA_PROTO_CM_VERSION),
		.channel = cpu_to_le16(c->urgent_chan ? HECA_CM_URGENT :
							HECA_CM_MAIN),
		.cookie = cpu_to_le64(c->cookie),
	};
	struct rdma_conn_param p;

	if (c->urgent_chan)
		memcpy(cm.token, c->base.p.token, sizeof(cm.token));
	heca_rdma_conn_param(c, &p, 0, 255);
	p.private_data = &cm;
	p.private_data_len = sizeof(cm);
	return rdma_connect_locked(c->id, &p);
}

static int heca_rdma_conn_event(struct heca_rdma_conn *c, struct rdma_cm_event *ev)
{
	bool flushed;
	int err = 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		err = heca_rdma_conn_setup(c);
		if (!err)
			err = rdma_resolve_route(c->id, jiffies_to_msecs(c->base.p.timeout));
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		err = heca_rdma_route_resolved(c);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		spin_lock_irq(&c->lock);
		c->established = true;
		c->ever_established = true;
		flushed = c->flushed;
		spin_unlock_irq(&c->lock);
		wake_up_all(&c->wq);
		/* Its receives went before it was up: it cannot work. */
		if (flushed)
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
		if (!c->ever_established || c->urgent_chan)
			heca_rdma_fail(c, -ECONNRESET);
		rdma_disconnect(c->id);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
		/* Timed out (not: no route): worth another try. */
		if (ev->status == -ETIMEDOUT)
			WRITE_ONCE(c->addr_error, true);
		err = heca_rdma_cm_errno(ev);
		break;
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* The ib_client killed us already; stay until close(). */
		heca_rdma_fail(c, -ENODEV);
		break;
	default:
		err = heca_rdma_cm_errno(ev);
		break;
	}
	if (err)
		heca_rdma_fail(c, err);
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
 * The main channel waiting in @l whose urgent channel has @cookie and is
 * not there yet, or NULL.  Under @l->lock.
 */
static struct heca_rdma_conn *
heca_rdma_main_of(struct heca_rdma_listener *l, u64 cookie)
{
	struct heca_rdma_conn *m = NULL;

	lockdep_assert_held(&l->lock);
	if (l->pending && l->pending->cookie == cookie)
		m = l->pending;
	else if (l->taken && l->taken->cookie == cookie)
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
	struct heca_rdma_conn *c, *m;
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
	c = heca_rdma_conn_alloc(&l->base.p, urgent);
	if (!c) {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -ENOMEM;
	}
	c->id = id;
	c->cookie = cookie;
	id->context = c;
	err = heca_rdma_conn_setup(c);
	if (!err) {
		heca_rdma_conn_param(c, &p, ev->param.conn.initiator_depth,
				     ev->param.conn.responder_resources);
		err = rdma_accept(id, &p);
	} else {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
	}
	if (err) {
		heca_rdma_conn_destroy(c, false);
		return err;
	}
	spin_lock_irq(&l->lock);
	m = urgent ? heca_rdma_main_of(l, cookie) : NULL;
	if (m)
		m->urgent = c;
	else if (!urgent)
		l->pending = c;
	spin_unlock_irq(&l->lock);
	if (urgent && !m) {
		/* Its main channel went meanwhile. */
		heca_rdma_conn_destroy(c, false);
		return -ECONNRESET;	/* rdma_cm destroys @id */
	}
	wake_up_all(&l->wq);
	return 0;
}

static int heca_rdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	enum heca_rdma_kind *kind = id->context;
	struct heca_rdma_listener *l;

	if (*kind == HECA_RDMA_CONN)
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

/* ---- the ops ---------------------------------------------------------- */

static int heca_rdma_listen(const struct heca_conn_params *p,
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
	l->base.t = &heca_rdma_transport;
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

static bool heca_rdma_settled(struct heca_rdma_conn *c)
{
	bool ret;

	spin_lock_irq(&c->lock);
	ret = c->established || c->err;
	spin_unlock_irq(&c->lock);
	return ret;
}

/* Wait for @c to connect; 0, or the error (@c is not freed). */
static int heca_rdma_wait_established(struct heca_rdma_conn *c,
				      unsigned long timeout)
{
	long ret;
	int err;

	ret = wait_event_interruptible_timeout(c->wq, heca_rdma_settled(c),
					       timeout);
	if (ret < 0)
		return ret;
	spin_lock_irq(&c->lock);
	err = c->err ?: (c->established ? 0 : -ETIMEDOUT);
	spin_unlock_irq(&c->lock);
	return err;
}

/**
 * heca_rdma_link() - make @u the urgent channel of @c
 * @c: a main channel, connected
 * @u: an urgent channel, connected, of the same session
 *
 * Both must be on one device: the source's registrations, on the device's
 * PD, then serve the READs of both QPs.  On error @u is not linked: the
 * source closes it; on the destination it is @c's @urgent already and
 * goes with @c.
 *
 * Return: 0, -EXDEV (two devices), or @u's error.
 */
static int heca_rdma_link(struct heca_rdma_conn *c, struct heca_rdma_conn *u)
{
	int err;

	if (c->dev != u->dev) {
		pr_err("%s: the session's RDMA channels are on %s and %s; they must share one device\n",
		       heca_rdma_name(c), dev_name(&c->dev->ibdev->dev),
		       dev_name(&u->dev->ibdev->dev));
		return -EXDEV;
	}
	/* From now on, @u's death disconnects @c (heca_rdma_urgent_lost()). */
	spin_lock_irq(&u->lock);
	err = u->err;
	if (!err) {
		u->parent = c;
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
	struct heca_rdma_conn *u;
	bool removed;
	long left;
	int err;

	if (time_before(deadline, until))
		until = deadline;
	for (;;) {
		err = heca_rdma_err(c);
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

static int heca_rdma_accept(struct heca_listener *listener,
			    unsigned long timeout, struct heca_conn **conn)
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
		err = heca_rdma_wait_established(c, left);
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

static void heca_rdma_unlisten(struct heca_listener *listener)
{
	struct heca_rdma_listener *l = to_rdma_listener(listener);

	/* No CONNECT_REQUEST after this; then nobody else sees pending. */
	rdma_destroy_id(l->id);
	if (l->pending)
		heca_rdma_close(l->pending);	/* and its urgent channel */
	kfree(l);
}

/* One attempt to connect; *@retry: the address did not resolve in time. */
static int heca_rdma_connect_once(const struct heca_conn_params *p,
				  struct sockaddr_storage *ss, bool urgent,
				  u64 cookie, unsigned long timeout,
				  struct heca_rdma_conn **conn, bool *retry)
{
	struct rdma_cm_id *id;
	struct heca_rdma_conn *c;
	int err;

	c = heca_rdma_conn_alloc(p, urgent);
	if (!c)
		return -ENOMEM;
	c->cookie = cookie;
	id = rdma_create_id(current->nsproxy->net_ns, heca_rdma_cm_handler, c,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		heca_rdma_close(c);
		return PTR_ERR(id);
	}
	c->id = id;
	err = rdma_resolve_addr(id, NULL, (struct sockaddr *)ss,
				min(jiffies_to_msecs(timeout),
				    HECA_RDMA_RESOLVE_MS));
	if (!err)
		err = heca_rdma_wait_established(c, timeout);
	if (err) {
		*retry = READ_ONCE(c->addr_error);
		heca_rdma_close(c);
		return err;
	}
	*conn = c;
	return 0;
}

/*
 * Source: connect one channel before @deadline.  Address resolution is
 * given a short time of its own and retried: ib_addr re-checks a neighbour
 * that was not resolved at once only at the end of that time (or on a
 * netevent, which may not come), so a long one would wait out the whole
 * timeout.
 */
static int heca_rdma_connect_chan(const struct heca_conn_params *p,
				  struct sockaddr_storage *ss, bool urgent,
				  u64 cookie, unsigned long deadline,
				  struct heca_rdma_conn **conn)
{
	bool retry;
	long left;
	int err;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		retry = false;
		err = heca_rdma_connect_once(p, ss, urgent, cookie, left, conn,
					     &retry);
		if (!retry || fatal_signal_pending(current))
			return err;
	}
}

/* Source: connect the main channel, then the urgent one, within @timeout. */
static int heca_rdma_connect(const struct heca_conn_params *p,
			     const struct heca_addr *addr,
			     unsigned long timeout, struct heca_conn **conn)
{
	unsigned long deadline = jiffies + timeout;
	struct sockaddr_storage ss;
	struct heca_rdma_conn *c, *u;
	u64 cookie;
	int err;

	err = heca_addr_to_sockaddr(addr, &ss);
	if (err < 0)
		return err;
	/* Pairs the channels of this attempt at the destination. */
	cookie = get_random_u64() ?: 1;
	err = heca_rdma_connect_chan(p, &ss, false, cookie, deadline, &c);
	if (err)
		return err;
	err = heca_rdma_connect_chan(p, &ss, true, cookie, deadline, &u);
	if (err)
		goto err_close_main;
	err = heca_rdma_link(c, u);
	if (err)
		goto err_close_urgent;
	*conn = &c->base;
	return 0;

err_close_urgent:
	heca_rdma_close(u);
err_close_main:
	heca_rdma_close(c);
	return err;
}

static int heca_rdma_start(struct heca_rdma_conn *c)
{
	spin_lock_irq(&c->lock);
	c->started = true;
	spin_unlock_irq(&c->lock);
	/* What came before (and a death) is handed over now. */
	queue_work(heca_rdma_wq, &c->rx_work);
	return 0;
}

static struct heca_rdma_conn *to_rdma(struct heca_conn *c)
{
	return container_of(c, struct heca_rdma_conn, base);
}

static int heca_rdma_op_recv_msg(struct heca_conn *c, struct heca_msg_hdr *hdr,
				 void *buf, size_t max, unsigned long timeout)
{
	return heca_rdma_recv_msg(to_rdma(c), hdr, buf, max, timeout);
}

static int heca_rdma_op_send_msg(struct heca_conn *c, u16 type,
				 const void *payload, size_t len)
{
	return heca_rdma_send_msg(to_rdma(c), type, payload, len);
}

static int heca_rdma_op_expose(struct heca_conn *c)
{
	return heca_rdma_expose(to_rdma(c));
}

static int heca_rdma_op_start(struct heca_conn *c)
{
	return heca_rdma_start(to_rdma(c));
}

static int heca_rdma_op_read_pages(struct heca_conn *c, struct heca_fetch *f)
{
	return heca_rdma_read_pages(to_rdma(c), f);
}

static void heca_rdma_op_close(struct heca_conn *c)
{
	heca_rdma_close(to_rdma(c));
}

static struct heca_transport heca_rdma_transport = {
	.name = "rdma",
	.id = HECA_TRANSPORT_RDMA,
	.owner = THIS_MODULE,
	.listen = heca_rdma_listen,
	.accept = heca_rdma_accept,
	.unlisten = heca_rdma_unlisten,
	.connect = heca_rdma_connect,
	.recv_msg = heca_rdma_op_recv_msg,
	.send_msg = heca_rdma_op_send_msg,
	.expose = heca_rdma_op_expose,
	.start = heca_rdma_op_start,
	.read_pages = heca_rdma_op_read_pages,
	.close = heca_rdma_op_close,
};

static int __init heca_rdma_init(void)
{
	int err;

	/* A read spans at most HECA_RDMA_MAX_SEGS chunks. */
	BUILD_BUG_ON(ilog2(HECA_PROTO_MAX_READ) > HECA_PROTO_MR_MIN_SHIFT);
	BUILD_BUG_ON(HECA_RDMA_MAX_SEGS < 2);
	BUILD_BUG_ON(!in_range(HECA_RDMA_MR_MAX_SHIFT, HECA_PROTO_MR_MIN_SHIFT,
			       HECA_PROTO_MR_MAX_SHIFT - HECA_PROTO_MR_MIN_SHIFT + 1));

	heca_rdma_wq = alloc_workqueue("heca_rdma", WQ_UNBOUND, 0);
	if (!heca_rdma_wq)
		return -ENOMEM;
	err = ib_register_client(&heca_rdma_client);
	if (err)
		goto err_destroy_wq;
	err = heca_transport_register(&heca_rdma_transport);
	if (err)
		goto err_unregister_client;
	return 0;

err_unregister_client:
	ib_unregister_client(&heca_rdma_client);
err_destroy_wq:
	destroy_workqueue(heca_rdma_wq);
	return err;
}

static void __exit heca_rdma_exit(void)
{
	/* No session holds the module: none uses the transport. */
	heca_transport_unregister(&heca_rdma_transport);
	ib_unregister_client(&heca_rdma_client);
	destroy_workqueue(heca_rdma_wq);
}

module_init(heca_rdma_init);
module_exit(heca_rdma_exit);

MODULE_DESCRIPTION("heca: the RDMA transport (rdma_cm, RDMA READ)");
MODULE_AUTHOR("The heca developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_HECA_TRANSPORT(HECA_TRANSPORT_RDMA);
