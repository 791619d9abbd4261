/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the RDMA transport, module heca_rdma.ko; its private header.
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
 * Objects: a struct heca_rdma_conn per session (what the session holds)
 * embeds its main channel and points to its urgent one, each a struct
 * heca_rdma_chan (a cm_id, its QP and CQ, the send queue's slots, the
 * receive buffers of the main channel); the connection holds the source's
 * registrations (struct heca_rdma_src) or the destination's table of them
 * (struct heca_rdma_dst).  A channel holds its device (struct
 * heca_rdma_dev) from its address resolution or connection request on.
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
 * - Completions (one CQ per channel, IB_POLL_WORKQUEUE, process context):
 *   receives are queued on @rx_list; READ completions end their fetch with
 *   their fetch; send and registration completions wake the sender.
 * - @rx_work hands the received messages to the session in order,
 *   once the session started.  A main channel that dies (flushed receive,
 *   device removal, send timeout) fails its session from @rx_work too,
 *   after the messages received before, so a DONE that arrived before the
 *   peer hung up still completes the session.
 * - The urgent channel's death (CM event, QP event) disconnects the main
 *   channel (@rx_work of the urgent channel): its receives flush after
 *   the messages received before, and the session fails from the main
 *   channel's @rx_work, in order, as when the main channel dies.
 * - Device removal: an ib_client, registered after rdma_cm's and so removed
 *   before it, kills the device's channels and waits for their sessions
 *   to close them; the device object and its protection domain, kref'd by
 *   the channels that use it, go with the last of them.
 * - A channel's state (enum heca_rdma_chan_state) changes under its lock
 *   in heca_rdma_chan_set_state() only, traced (heca_rdma_chan_state).
 *
 * Teardown follows nvme-rdma, the urgent channel first, then the main one
 * (so the registrations go only once both QPs are drained): disconnect,
 * drain the QP (every outstanding READ completes, flushed, and ends its
 * fetch), deregister the MRs
 * (invalidating their rkeys), destroy the cm_id (no CM event after it), the
 * QP, the CQ, the buffers, and drop the device (PD).  No global rkey exists:
 * the PD is allocated without IB_PD_UNSAFE_GLOBAL_RKEY.
 *
 * Files, in the order they call each other (down, never up):
 *   rdma_main.c  the transport's ops table, module init and exit
 *   rdma_cm.c    CM events, listen/accept/connect, the channels' handshake
 *                (private data)
 *   rdma_conn.c  a connection: allocation, teardown, handing received
 *                messages to the session
 *   rdma_src.c   source: registering the chunks, MEMORY messages
 *   rdma_dst.c   destination: the table of the source's chunks, READs
 *   rdma_dev.c   the ib_client, the devices and their PDs
 *   rdma_chan.c  a channel: its state, QP and CQ, control messages, send
 *                queue slots
 *   rdma.c       the tracepoints and the workqueue
 */
#ifndef _HECA_RDMA_H
#define _HECA_RDMA_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <rdma/rw.h>

#include "transport.h"

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
	HECA_RDMA_CHAN,
};

/**
 * struct heca_rdma_dev - an RDMA device as heca's channels use it
 * @ref:	a reference per channel that holds the device
 * @node:	entry in heca_rdma_devs
 * @ibdev:	the device
 * @pd:		its protection domain
 * @chans:	channels on the device (struct heca_rdma_chan.dev_node), for
 *		the removal to kill; a channel's teardown unlists it first
 * @released:	the removal waits for the release here, once it started
 *
 * Added by the first channel on the device (heca_rdma_dev_get()), freed
 * with its PD when the last one drops it (heca_rdma_dev_put()).  @node,
 * @chans and @released are guarded by heca_rdma_lock, which the release
 * holds; @ibdev and @pd are constant.
 */
struct heca_rdma_dev {
	struct kref ref;
	struct list_head node;
	struct ib_device *ibdev;
	struct ib_pd *pd;
	struct list_head chans;
	struct completion *released;
};

extern struct workqueue_struct *heca_rdma_wq;

/* A receive buffer: posted, or holding a message until it is consumed. */
struct heca_rdma_rxbuf {
	struct ib_cqe cqe;
	struct heca_rdma_chan *ch;
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
	struct list_head node;		/* on src.lmr_list */
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
	struct heca_rdma_conn *c;	/* the connection the fetch is of */
	struct heca_rdma_chan *ch;	/* the channel whose QP reads */
	struct heca_fetch *f;
	struct list_head node;		/* on ch->orphans */
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
 * enum heca_rdma_chan_state - the life of a channel
 * @HECA_RDMA_CHAN_NEW:		allocated; source: resolving the address
 * @HECA_RDMA_CHAN_CONNECTING:	has its device, QP and receives posted;
 *				source: resolving the route, connecting;
 *				destination: accepting
 * @HECA_RDMA_CHAN_FLUSHED:	a receive was flushed before ESTABLISHED:
 *				rdma_cm moved the QP to error on its way to
 *				an event that fails the channel (see
 *				heca_rdma_flushed_early()); ESTABLISHED
 *				fails it too
 * @HECA_RDMA_CHAN_ESTABLISHED:	connected
 * @HECA_RDMA_CHAN_FAILED:	dead (@err) before it was connected: its QP
 *				holds nothing to drain
 * @HECA_RDMA_CHAN_DISCONNECTED: dead (@err) after it was connected: its QP
 *				may hold work to drain
 * @HECA_RDMA_CHAN_CLOSING:	teardown runs: nothing is posted or handed
 *				out any more; the last state
 *
 * Changed only by heca_rdma_chan_set_state(), which traces every change
 * (heca_rdma_chan_state).  NEW -> CONNECTING -> ESTABLISHED, with FLUSHED
 * between them when a flush comes first; a failure moves NEW, CONNECTING
 * and FLUSHED to FAILED, ESTABLISHED to DISCONNECTED; ESTABLISHED after a
 * failure moves FAILED to DISCONNECTED; every state but CLOSING goes to
 * CLOSING.
 */
enum heca_rdma_chan_state {
	HECA_RDMA_CHAN_NEW,
	HECA_RDMA_CHAN_CONNECTING,
	HECA_RDMA_CHAN_FLUSHED,
	HECA_RDMA_CHAN_ESTABLISHED,
	HECA_RDMA_CHAN_FAILED,
	HECA_RDMA_CHAN_DISCONNECTED,
	HECA_RDMA_CHAN_CLOSING,
};

/**
 * struct heca_rdma_chan - a channel: one RC QP of a session
 * @kind:	HECA_RDMA_CHAN
 * @p:		the session's parameters, a copy (an urgent channel the
 *		destination accepts has them before it knows its connection)
 * @conn:	its connection: a main channel's from its allocation; an
 *		urgent one's set with @started (under @lock) when linked
 * @urgent:	a session's urgent channel: no receive buffers, no control
 *		messages, only the READs of urgent fetches; set at allocation
 * @cookie:	pairs the channels of one attempt (struct heca_msg_cm):
 *		chosen by the source, received by the destination
 * @id:		its cm_id
 * @dev:	its device, once known
 * @dev_node:	entry in @dev->chans
 * @port:	port of @id on @dev
 * @cq:		completions of sends and receives
 * @qp:		the RC queue pair
 * @sq_avail:	send queue slots free
 * @lock:	guards @state, @err, @started, @rx_list, @orphans and
 *		posting receives
 * @state:	where the channel is in its life
 * @err:	first error, set with the move to FAILED, DISCONNECTED or
 *		CLOSING: the channel is dead
 * @started:	the session runs: messages go to the session; on
 *		the urgent channel: linked to @conn.  Not a state: a channel
 *		is started once connected, and stays so when it dies (its
 *		death then goes to the session)
 * @addr_error:	source: the address did not resolve in time (worth another
 *		try with a new channel); why this attempt failed, read after
 *		it did.  WRITE_ONCE/READ_ONCE
 * @wq:		waiters: connect, accept, recv_msg, send queue slots
 * @orphans:	destination: reads whose posting on this QP failed half
 *		way: ended after this QP's drain (before the QP goes, which
 *		their contexts need)
 * @rx:		main channel: the receive buffers
 * @rx_list:	received messages not consumed yet, in order
 * @rx_work:	hands @rx_list to the session once started; on the urgent
 *		channel: heca_rdma_urgent_lost()
 * @tx_lock:	main channel: one control message at a time
 * @tx_buf:	the message being sent
 * @tx_dma:	its DMA address
 * @tx_mapped:	@tx_dma is valid
 * @tx_cqe:	completion of the SEND
 * @tx_done:	completed by @tx_cqe
 * @tx_status:	its outcome, an errno
 *
 * @id (by its creator), @dev, @port, @cq and @qp (by the CM handler) are
 * set before the channel connects and constant after; @dev_node is
 * guarded by heca_rdma_lock; @sq_avail is atomic; @tx_buf to @tx_status
 * are used under @tx_lock (@tx_status written by the SEND's completion
 * before @tx_done); the rest as said above.
 */
struct heca_rdma_chan {
	enum heca_rdma_kind kind;
	struct heca_conn_params p;
	struct heca_rdma_conn *conn;
	bool urgent;
	u64 cookie;

	struct rdma_cm_id *id;
	struct heca_rdma_dev *dev;
	struct list_head dev_node;
	u32 port;
	struct ib_cq *cq;
	struct ib_qp *qp;
	atomic_t sq_avail;

	spinlock_t lock;	/* see above */
	enum heca_rdma_chan_state state;
	int err;
	bool started;
	bool addr_error;
	wait_queue_head_t wq;
	struct list_head orphans;

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
};

/**
 * struct heca_rdma_src - the source's part of a connection
 * @reg_cqe:	completions of fast registrations (on the main channel)
 * @reg_pending: registrations of the batch not completed yet
 * @reg_done:	completed by the last of them
 * @reg_err:	their outcome, an errno
 * @chunks:	each chunk's latest registration, or NULL
 * @nchunks:	chunks of the region
 * @lmr_shift:	log2 pages per chunk
 * @lmr_list:	every registration, the latest and the older ones
 *
 * Used by expose() (the session calls it one at a time) and teardown.
 */
struct heca_rdma_src {
	struct ib_cqe reg_cqe;
	atomic_t reg_pending;
	struct completion reg_done;
	int reg_err;
	struct heca_rdma_lmr **chunks;
	unsigned long nchunks;
	unsigned int lmr_shift;
	struct list_head lmr_list;
};

/**
 * struct heca_rdma_dst - the destination's part of a connection
 * @rmr_lock:	guards @rmrs, @nrmrs, @rmr_shift, @rmrs_final
 * @rmrs:	the source's chunks (written by the main channel's rx_work)
 * @nrmrs:	entries of @rmrs
 * @rmr_shift:	log2 pages per chunk of the source
 * @rmrs_final:	SWITCH came: no more changes to @rmrs
 */
struct heca_rdma_dst {
	spinlock_t rmr_lock;	/* see above */
	struct heca_rdma_rmr *rmrs;
	unsigned long nrmrs;
	unsigned int rmr_shift;
	bool rmrs_final;
};

/**
 * struct heca_rdma_conn - an RDMA connection of a session
 * @base:	the transport-independent part (the session's parameters)
 * @main:	the main channel: control messages, background READs
 * @urgent:	its urgent channel; on the destination set by the CM handler
 *		(under the listener's lock, while the connection is the
 *		listener's @pending or @taken), linked by accept() once both
 *		are connected; on the source set when linked
 * @src:	source: the registrations of the region
 * @dst:	destination: the table of the source's registrations
 */
struct heca_rdma_conn {
	struct heca_conn base;
	struct heca_rdma_chan main;
	struct heca_rdma_chan *urgent;
	struct heca_rdma_src src;
	struct heca_rdma_dst dst;
};

/**
 * struct heca_rdma_listener - a destination waiting for its source
 * @kind:	HECA_RDMA_LISTENER
 * @base:	the transport-independent part (the session's parameters)
 * @id:		the listening cm_id
 * @lock:	guards @pending, @taken, @removed, and the @urgent of
 *		@pending and @taken
 * @pending:	a connection whose main channel the CM accepted, not handed
 *		to accept() yet
 * @taken:	the connection accept() took and waits with for its urgent
 *		channel
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

static inline const char *heca_rdma_name(struct heca_rdma_chan *ch)
{
	return ch->p.name;
}

/* rdma_dev.c */
int heca_rdma_dev_init(void);
void heca_rdma_dev_exit(void);
int heca_rdma_dev_get(struct heca_rdma_chan *ch);
void heca_rdma_dev_unlist(struct heca_rdma_chan *ch);
void heca_rdma_dev_put(struct heca_rdma_chan *ch);

/* rdma_chan.c */
bool heca_rdma_chan_up(struct heca_rdma_chan *ch);
bool heca_rdma_chan_close_begin(struct heca_rdma_chan *ch);
bool heca_rdma_chan_closing(struct heca_rdma_chan *ch);
bool heca_rdma_chan_was_connected(struct heca_rdma_chan *ch);
void heca_rdma_fail(struct heca_rdma_chan *ch, int err);
void heca_rdma_kill(struct heca_rdma_chan *ch, int err);
int heca_rdma_err(struct heca_rdma_chan *ch);
int heca_rdma_wc_errno(enum ib_wc_status status);
void heca_rdma_wc_error(struct heca_rdma_chan *ch, struct ib_wc *wc,
			const char *what);
int heca_rdma_sq_get(struct heca_rdma_chan *ch, int n);
void heca_rdma_sq_put(struct heca_rdma_chan *ch, int n);
void heca_rdma_post_recv(struct heca_rdma_chan *ch, struct heca_rdma_rxbuf *b);
void heca_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc);
struct heca_rdma_rxbuf *heca_rdma_rx_pop(struct heca_rdma_chan *ch, int *err);
int heca_rdma_recv_msg(struct heca_rdma_chan *ch, struct heca_msg_hdr *hdr,
		       void *buf, size_t max, unsigned long timeout);
void heca_rdma_send_done(struct ib_cq *cq, struct ib_wc *wc);
int heca_rdma_send_msg(struct heca_rdma_chan *ch, u16 type,
		       const void *payload, size_t len);
int heca_rdma_chan_setup(struct heca_rdma_chan *ch);

/* rdma_src.c */
void heca_rdma_src_init(struct heca_rdma_conn *c);
void heca_rdma_unexpose(struct heca_rdma_conn *c);
int heca_rdma_expose(struct heca_rdma_conn *c);

/* rdma_dst.c */
void heca_rdma_dst_init(struct heca_rdma_conn *c);
void heca_rdma_dst_free(struct heca_rdma_conn *c);
int heca_rdma_set_memory(struct heca_rdma_conn *c, const void *payload,
			 size_t len);
void heca_rdma_set_final(struct heca_rdma_conn *c);
void heca_rdma_read_finish(struct heca_rdma_read *rd);
int heca_rdma_read_pages(struct heca_rdma_conn *c, struct heca_fetch *f);

/* rdma_conn.c */
struct heca_rdma_conn *
heca_rdma_conn_alloc(const struct heca_transport *t,
		     const struct heca_conn_params *p);
struct heca_rdma_chan *heca_rdma_urgent_alloc(const struct heca_conn_params *p);
void heca_rdma_chan_destroy(struct heca_rdma_chan *ch, bool own_id);
void heca_rdma_conn_destroy(struct heca_rdma_conn *c, bool own_id);
void heca_rdma_close(struct heca_rdma_conn *c);
int heca_rdma_start(struct heca_rdma_conn *c);

/* rdma_cm.c */
int heca_rdma_listen(const struct heca_transport *t,
		     const struct heca_conn_params *p,
		     const struct heca_addr *addr,
		     struct heca_listener **listener);
int heca_rdma_accept(struct heca_listener *listener, unsigned long timeout,
		     struct heca_conn **conn);
void heca_rdma_unlisten(struct heca_listener *listener);
int heca_rdma_connect(const struct heca_transport *t,
		      const struct heca_conn_params *p,
		      const struct heca_addr *addr, unsigned long timeout,
		      struct heca_conn **conn);

#endif /* _HECA_RDMA_H */
