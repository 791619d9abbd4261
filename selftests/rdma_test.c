// SPDX-License-Identifier: GPL-2.0
/*
 * heca's RDMA transport seen from outside: this test plays heca's peer with
 * libibverbs/librdmacm on the lab's soft-RoCE pair (heca_lab.h: the first
 * LAB_RXE device on va, LAB_SELF_IP; the second on vb, LAB_PEER_IP) and
 * speaks the wire protocol itself.
 *
 * As a destination (the kernel region is the source): the table of memory
 * registrations (HECA_MSG_MEMORY) is usable (an RDMA READ returns the
 * source's page), the registrations are read-only (an RDMA WRITE is refused),
 * bounded (a READ past a chunk is refused), and gone once the session ended
 * (a READ with a previous session's rkey is refused) -- each refusal ends
 * the kernel's session too.
 *
 * Each session has two RC connections, each connection request saying
 * which channel it is (struct heca_msg_cm as private data): the main one
 * (control messages, background READs) and the urgent one (the READs a
 * fault waits for), which carries the session's token.  The source's
 * registrations serve READs on both.
 *
 * As a source (the kernel region is the destination): a malformed table is
 * refused and fails the session; connection requests without channel, of
 * another version, or for an urgent channel without the token are refused.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "heca_harness.h"
#include "heca_test.h"

#define MEM		(8 * MiB)
#define PG		4096
#define NPAGES		(MEM / PG)
#define FILLED		600		/* pages [0, FILLED) hold data */
#define RQ		16
#define HDR		16
#define MSG_MAX		(HDR + 64 * 1024)
#define DATA_PAGES	64
#define WAIT_MS		20000

/* proto.h, as the wire has it. */
enum {
	MSG_HELLO = 1, MSG_WELCOME, MSG_REJECT, MSG_EXISTS, MSG_SWITCH,
	MSG_READ_REQ, MSG_READ_RESP, MSG_DONE, MSG_MEMORY,
	MSG_ROUND, MSG_SYNCED, MSG_SWITCHED,
};
#define PROTO_MAGIC	0x48454341
#define PROTO_VERSION	3

#define CM_VERSION	1
enum { CM_MAIN = 1, CM_URGENT = 2 };

struct cm_hdr {
	__le32 magic;
	__le16 version;
	__le16 channel;
	__le32 reserved;
	__le64 cookie;
	__u8 token[HECA_TOKEN_BYTES];
} __attribute__((packed));

struct cm_reject {
	__le32 magic;
	__le16 version;
	__le16 reserved;
	__le32 error;
} __attribute__((packed));

struct hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 len;
	__le32 reserved;
} __attribute__((packed));

struct hello {
	__u8 token[HECA_TOKEN_BYTES];
	__le32 page_shift;
	__le32 flags;
	__le64 npages;
} __attribute__((packed));

struct memory {
	__le32 chunk_shift;
	__le32 count;
} __attribute__((packed));

struct mr_entry {
	__le32 chunk;
	__le32 rkey;
	__le64 iova;
} __attribute__((packed));

struct rmr {
	__u64 iova;
	__u32 rkey;
	bool valid;
};

/* The RC connections of one session of ours. */
struct peer {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *listen;
	struct rdma_cm_id *id;
	struct rdma_cm_id *uid;		/* the urgent channel */
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *rx_mr, *tx_mr, *data_mr;
	uint8_t *rx, *tx, *data;
	/* what the source told us */
	unsigned int shift;
	struct rmr mrs[NPAGES];
	unsigned int nmrs;
	bool switched;
};

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The private data of the last event (it goes with the ack). */
static uint8_t ev_pdata[256];
static unsigned int ev_plen;

/* The next CM event (acked), or -ETIMEDOUT. */
static int next_event(struct peer *p, struct rdma_cm_event *out, int ms)
{
	struct pollfd pfd = { .fd = p->ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&pfd, 1, ms) <= 0)
		return -ETIMEDOUT;
	if (rdma_get_cm_event(p->ch, &ev))
		return -errno;
	*out = *ev;
	ev_plen = 0;
	if (ev->param.conn.private_data) {
		ev_plen = ev->param.conn.private_data_len;
		memcpy(ev_pdata, ev->param.conn.private_data, ev_plen);
	}
	out->param.conn.private_data = NULL;
	rdma_ack_cm_event(ev);
	return 0;
}

/* Our channels' cookie (both channels of an attempt say the same). */
#define COOKIE	0x636f6f6b69653031ULL

static void cm_hdr_init(struct cm_hdr *m, int channel, const __u8 *token)
{
	memset(m, 0, sizeof(*m));
	m->magic = htole32(PROTO_MAGIC);
	m->version = htole16(CM_VERSION);
	m->channel = htole16(channel);
	m->cookie = htole64(COOKIE);
	if (token)
		memcpy(m->token, token, HECA_TOKEN_BYTES);
}

static int expect_event(struct peer *p, enum rdma_cm_event_type want,
			struct rdma_cm_event *out)
{
	struct rdma_cm_event ev;
	int err = next_event(p, &ev, WAIT_MS);

	if (err)
		return err;
	if (out)
		*out = ev;
	return ev.event == want ? 0 : -EPROTO - 1000 * (int)ev.event;
}

static int post_recv(struct peer *p, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(p->rx + i * MSG_MAX),
		.length = MSG_MAX, .lkey = p->rx_mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(p->id->qp, &wr, &bad);
}

/* PD, CQ, QP and buffers on p->id's device; receives posted. */
static int peer_setup(struct peer *p)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = RQ,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.sq_sig_all = 1,
	};
	unsigned int i;

	p->pd = ibv_alloc_pd(p->id->verbs);
	p->cq = ibv_create_cq(p->id->verbs, 64, NULL, NULL, 0);
	p->rx = calloc(RQ, MSG_MAX);
	p->tx = calloc(1, MSG_MAX);
	p->data = aligned_alloc(PG, DATA_PAGES * PG);
	if (!p->pd || !p->cq || !p->rx || !p->tx || !p->data)
		return -ENOMEM;
	p->rx_mr = ibv_reg_mr(p->pd, p->rx, RQ * MSG_MAX,
			      IBV_ACCESS_LOCAL_WRITE);
	p->tx_mr = ibv_reg_mr(p->pd, p->tx, MSG_MAX, 0);
	p->data_mr = ibv_reg_mr(p->pd, p->data, DATA_PAGES * PG,
				IBV_ACCESS_LOCAL_WRITE);
	if (!p->rx_mr || !p->tx_mr || !p->data_mr)
		return -ENOMEM;
	qa.send_cq = p->cq;
	qa.recv_cq = p->cq;
	if (rdma_create_qp(p->id, p->pd, &qa))
		return -errno;
	for (i = 0; i < RQ; i++)
		if (post_recv(p, i))
			return -EIO;
	return 0;
}

/* The urgent channel's QP on p->uid: the same PD and CQ, no receives. */
static int peer_setup_urgent(struct peer *p)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.sq_sig_all = 1,
		.send_cq = p->cq, .recv_cq = p->cq,
	};

	if (p->uid->verbs != p->id->verbs)
		return -EXDEV;
	return rdma_create_qp(p->uid, p->pd, &qa) ? -errno : 0;
}

static void peer_close(struct peer *p)
{
	if (p->uid) {
		rdma_disconnect(p->uid);
		if (p->uid->qp)
			rdma_destroy_qp(p->uid);
	}
	if (p->id) {
		rdma_disconnect(p->id);
		if (p->id->qp)
			rdma_destroy_qp(p->id);
	}
	if (p->data_mr)
		ibv_dereg_mr(p->data_mr);
	if (p->tx_mr)
		ibv_dereg_mr(p->tx_mr);
	if (p->rx_mr)
		ibv_dereg_mr(p->rx_mr);
	if (p->cq)
		ibv_destroy_cq(p->cq);
	if (p->pd)
		ibv_dealloc_pd(p->pd);
	if (p->uid)
		rdma_destroy_id(p->uid);
	if (p->id)
		rdma_destroy_id(p->id);
	if (p->listen)
		rdma_destroy_id(p->listen);
	if (p->ch)
		rdma_destroy_event_channel(p->ch);
	free(p->rx);
	free(p->tx);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

/*
 * Wait for one completion; returns its status (IBV_WC_*), or -ETIMEDOUT.
 * Receives come back with *@type and *@len set and the buffer reposted
 * after *@payload was copied to @buf.
 */
static int poll_one(struct peer *p, bool *recv, uint16_t *type,
		    void *buf, uint32_t *len)
{
	struct timespec t0;
	struct ibv_wc wc;
	struct hdr *h;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = ibv_poll_cq(p->cq, 1, &wc)) == 0) {
		if (ms_since(&t0) > WAIT_MS)
			return -ETIMEDOUT;
		usleep(200);
	}
	if (n < 0)
		return -EIO;
	*recv = wc.opcode & IBV_WC_RECV;
	if (*recv && wc.status == IBV_WC_SUCCESS) {
		h = (struct hdr *)(p->rx + wc.wr_id * MSG_MAX);
		*type = le16toh(h->type);
		*len = le32toh(h->len);
		if (le32toh(h->magic) != PROTO_MAGIC ||
		    *len != wc.byte_len - HDR)
			return -EPROTO;
		if (buf)
			memcpy(buf, h + 1, *len);
		post_recv(p, wc.wr_id);
	}
	return wc.status;
}

/* The next message from the kernel; 0 or an error. */
static int recv_msg(struct peer *p, uint16_t *type, void *buf, uint32_t *len)
{
	bool recv;
	int st;

	do {
		st = poll_one(p, &recv, type, buf, len);
	} while (st == IBV_WC_SUCCESS && !recv);
	return st == IBV_WC_SUCCESS ? 0 : (st < 0 ? st : -EIO);
}

static int send_msg(struct peer *p, uint16_t type, const void *payload,
		    uint32_t len)
{
	struct hdr *h = (struct hdr *)p->tx;
	struct ibv_sge sge = {
		.addr = (uintptr_t)p->tx, .length = HDR + len,
		.lkey = p->tx_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 1000, .sg_list = &sge, .num_sge = 1,
		.opcode = IBV_WR_SEND,
	}, *bad;
	uint32_t rlen;
	uint16_t rtype;
	bool recv;
	int st;

	h->magic = htole32(PROTO_MAGIC);
	h->version = htole16(PROTO_VERSION);
	h->type = htole16(type);
	h->len = htole32(len);
	h->reserved = 0;
	memcpy(h + 1, payload, len);
	if (ibv_post_send(p->id->qp, &wr, &bad))
		return -EIO;
	do {
		st = poll_one(p, &recv, &rtype, NULL, &rlen);
	} while (st == IBV_WC_SUCCESS && recv);
	return st;
}

/* One RDMA READ or WRITE of @len bytes at the start of p->data, on @qp. */
static int rdma_op_on(struct peer *p, struct ibv_qp *qp, enum ibv_wr_opcode op,
		      __u64 raddr, __u32 rkey, __u32 len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)p->data, .length = len,
		.lkey = p->data_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = 2000, .sg_list = &sge, .num_sge = 1, .opcode = op,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	uint32_t rlen;
	uint16_t rtype;
	bool recv;
	int st;

	if (ibv_post_send(qp, &wr, &bad))
		return -EIO;
	do {
		st = poll_one(p, &recv, &rtype, NULL, &rlen);
	} while (st == IBV_WC_SUCCESS && recv);
	return st;
}

/* The same on the main channel. */
static int rdma_op(struct peer *p, enum ibv_wr_opcode op, __u64 raddr,
		   __u32 rkey, __u32 len)
{
	return rdma_op_on(p, p->id->qp, op, raddr, rkey, len);
}

/* Take MEMORY, EXISTS and SWITCH messages until SWITCH. */
static int take_switchover(struct peer *p)
{
	static uint8_t buf[MSG_MAX];
	struct memory *m = (struct memory *)buf;
	struct mr_entry *e = (struct mr_entry *)(m + 1);
	uint32_t len, i, c;
	uint16_t type;
	int err;

	while (!p->switched) {
		err = recv_msg(p, &type, buf, &len);
		if (err)
			return err;
		if (type == MSG_SWITCH) {
			p->switched = true;
		} else if (type == MSG_MEMORY) {
			p->shift = le32toh(m->chunk_shift);
			if (p->shift < 5 || p->shift > 20 ||
			    len != sizeof(*m) + le32toh(m->count) * sizeof(*e))
				return -EPROTO;
			for (i = 0; i < le32toh(m->count); i++) {
				c = le32toh(e[i].chunk);
				if (c >= NPAGES >> p->shift || p->mrs[c].valid)
					return -EPROTO;
				p->mrs[c].iova = le64toh(e[i].iova);
				p->mrs[c].rkey = le32toh(e[i].rkey);
				p->mrs[c].valid = true;
				p->nmrs++;
			}
		} else if (type != MSG_EXISTS) {
			return -EPROTO;
		}
	}
	return 0;
}

/* Remote address of page @pg through the table. */
static __u64 page_addr(struct peer *p, unsigned long pg)
{
	struct rmr *m = &p->mrs[pg >> p->shift];

	return m->iova + (pg & ((1UL << p->shift) - 1)) * PG;
}

struct source_thread {
	pthread_t t;
	int fd;
	struct heca_session_start a;
	int err;
};

static void *source_main(void *arg)
{
	struct source_thread *st = arg;

	st->err = heca_session_connect(st->fd, &st->a, 20);
	return NULL;
}

/* The kernel source's switchover: it returns once SWITCHED came. */
static void *switchover_main(void *arg)
{
	struct source_thread *st = arg;

	st->err = heca_switchover(st->fd);
	return NULL;
}

FIXTURE(rdma) {
	int ctl;
	char name[HECA_NAME_MAX];
	int fd;
	uint8_t *mem;
	__u8 token[HECA_TOKEN_BYTES];
	uint16_t port;
	struct peer p;
	bool skip;
};

FIXTURE_SETUP(rdma)
{
	char path[64];
	unsigned long i;

	if (!lab_have_rxe_pair()) {
		self->skip = true;
		return;
	}
	srand(time(NULL) ^ getpid());
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
	heca_unique_name(self->name, sizeof(self->name), "rdma");
	ASSERT_EQ(0, heca_region_create(self->ctl, self->name, MEM, 0));
	heca_region_path(path, sizeof(path), self->name);
	self->fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	for (i = 0; i < FILLED; i++)
		memset(self->mem + i * PG, (int)(i * 7 + 1), PG);
	heca_random_token(self->token);
	/* Below the ephemeral range (32768-60999). */
	self->port = 20000 + (getpid() * 7 + rand()) % 12000;
}

FIXTURE_TEARDOWN(rdma)
{
	if (self->skip)
		return;
	peer_close(&self->p);
	heca_session_abort(self->fd);
	munmap(self->mem, MEM);
	close(self->fd);
	heca_region_destroy_settled(self->ctl, self->name);
	close(self->ctl);
}

#define NEED_RXE()							\
	do {								\
		if (self->skip)						\
			SKIP(return, "no %s/%s: run in the lab",	\
			     lab_rxe(0), lab_rxe(1));			\
	} while (0)

/*
 * Listen as a destination, let the kernel source connect, answer its
 * HELLO with WELCOME, switch it over and take the table.
 */
static void accept_source(struct __test_metadata *_metadata,
			  FIXTURE_DATA(rdma) *self)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct rdma_conn_param cp = { .rnr_retry_count = 7 };
	static const __u8 zero[HECA_TOKEN_BYTES];
	struct ibv_device_attr attr;
	struct rdma_cm_event ev;
	struct source_thread st = { .fd = self->fd };
	struct hello hello;
	struct peer *p = &self->p;
	bool main_up = false, urgent_up = false;
	struct cm_hdr cm;
	__u64 cookie = 0;
	unsigned int i;
	uint16_t type;
	uint32_t len;

	memset(p, 0, sizeof(*p));
	p->ch = rdma_create_event_channel();
	ASSERT_NE(NULL, p->ch);
	ASSERT_EQ(0, rdma_create_id(p->ch, &p->listen, NULL, RDMA_PS_TCP));
	sin.sin_port = htons(self->port);
	inet_pton(AF_INET, lab_peer_ip(), &sin.sin_addr);
	ASSERT_EQ(0, rdma_bind_addr(p->listen, (struct sockaddr *)&sin));
	ASSERT_EQ(0, rdma_listen(p->listen, 1));

	heca_start_args(&st.a, lab_peer_ip(), self->port, self->token, 20000, 0);
	st.a.transport = HECA_TRANSPORT_RDMA;
	ASSERT_EQ(0, pthread_create(&st.t, NULL, source_main, &st));

	/*
	 * The main channel, then the urgent one, each saying so in its
	 * private data; their ESTABLISHED events may interleave.
	 */
	while (!main_up || !urgent_up) {
		ASSERT_EQ(0, next_event(p, &ev, WAIT_MS));
		if (ev.event == RDMA_CM_EVENT_ESTABLISHED) {
			ASSERT_TRUE(ev.id == p->id || ev.id == p->uid);
			if (ev.id == p->id)
				main_up = true;
			else
				urgent_up = true;
			continue;
		}
		ASSERT_EQ(RDMA_CM_EVENT_CONNECT_REQUEST, ev.event);
		ASSERT_LE(sizeof(cm), ev_plen);
		memcpy(&cm, ev_pdata, sizeof(cm));
		ASSERT_EQ(PROTO_MAGIC, le32toh(cm.magic));
		ASSERT_EQ(CM_VERSION, le16toh(cm.version));
		ASSERT_EQ(0, cm.reserved);
		for (i = sizeof(cm); i < ev_plen; i++)
			ASSERT_EQ(0, ev_pdata[i]);
		if (!p->id) {
			ASSERT_EQ(CM_MAIN, le16toh(cm.channel));
			ASSERT_EQ(0, memcmp(cm.token, zero, sizeof(zero)));
			cookie = le64toh(cm.cookie);
			ASSERT_NE(0, cookie);
			p->id = ev.id;
			ASSERT_EQ(0, peer_setup(p));
		} else {
			ASSERT_EQ(NULL, p->uid) TH_LOG("a third connection");
			ASSERT_EQ(CM_URGENT, le16toh(cm.channel));
			ASSERT_EQ(0, memcmp(cm.token, self->token,
					    HECA_TOKEN_BYTES));
			ASSERT_EQ(cookie, le64toh(cm.cookie));
			p->uid = ev.id;
			ASSERT_EQ(0, peer_setup_urgent(p));
		}
		ASSERT_EQ(0, ibv_query_device(ev.id->verbs, &attr));
		cp.initiator_depth = ev.param.conn.initiator_depth <
				     attr.max_qp_init_rd_atom ?
				     ev.param.conn.initiator_depth :
				     attr.max_qp_init_rd_atom;
		ASSERT_LT(0, cp.initiator_depth)
			TH_LOG("the source offers no READ resources");
		ASSERT_EQ(0, rdma_accept(ev.id, &cp));
	}

	ASSERT_EQ(0, recv_msg(p, &type, &hello, &len));
	ASSERT_EQ(MSG_HELLO, type);
	ASSERT_EQ(sizeof(hello), len);
	ASSERT_EQ(0, memcmp(hello.token, self->token, HECA_TOKEN_BYTES));
	ASSERT_EQ(NPAGES, le64toh(hello.npages));
	ASSERT_EQ(IBV_WC_SUCCESS, send_msg(p, MSG_WELCOME, NULL, 0));
	pthread_join(st.t, NULL);
	ASSERT_EQ(0, st.err);

	/*
	 * The source's switchover waits for our SWITCHED, sent once the
	 * final set and SWITCH are taken.
	 */
	st.err = -1;
	ASSERT_EQ(0, pthread_create(&st.t, NULL, switchover_main, &st));
	ASSERT_EQ(0, take_switchover(p));
	ASSERT_EQ(IBV_WC_SUCCESS, send_msg(p, MSG_SWITCHED, NULL, 0));
	pthread_join(st.t, NULL);
	ASSERT_EQ(0, st.err);
	/* 600 pages in chunks of at least 32: every chunk of them has one. */
	ASSERT_EQ((FILLED + (1U << p->shift) - 1) >> p->shift, p->nmrs);
}

/* The kernel source's session ends in @want (COMPLETE or FAILED). */
static void expect_source_state(struct __test_metadata *_metadata,
				FIXTURE_DATA(rdma) *self, __u32 want)
{
	__u32 reached = 0, error = 0;

	heca_wait_state(self->fd, HECA_STATE_COMPLETE, WAIT_MS, &reached, &error);
	EXPECT_EQ(want, reached) TH_LOG("source error %u", error);
}

/* The session ended; wait (bounded) until a new one may start. */
static void settle(FIXTURE_DATA(rdma) *self)
{
	struct heca_stats st;
	int i;

	for (i = 0; i < 200; i++) {
		heca_stats(self->fd, &st);
		/* The teardown (MRs deregistered) ran when abort says so. */
		if (heca_session_abort(self->fd) == -ENOTCONN)
			return;
		usleep(50 * 1000);
	}
}

/*
 * The table works, it is read-only and bounded, and a previous session's
 * rkeys are dead: every refusal also fails the kernel's session.
 */
TEST_F_TIMEOUT(rdma, source_registrations, 300)
{
	struct peer *p = &self->p;
	struct rmr old[NPAGES];
	unsigned long pg = 37, c, stale = ~0UL;
	__u64 raddr;
	int st;

	NEED_RXE();

	/* 1: READ a page: the source's data.  DONE ends it cleanly. */
	accept_source(_metadata, self);
	st = rdma_op(p, IBV_WR_RDMA_READ, page_addr(p, pg), p->mrs[0].rkey,
		     PG);
	ASSERT_EQ(IBV_WC_SUCCESS, st) TH_LOG("READ: %s", ibv_wc_status_str(st));
	EXPECT_EQ(0, memcmp(p->data, self->mem + pg * PG, PG));
	/* Several pages in one READ, within a chunk. */
	st = rdma_op(p, IBV_WR_RDMA_READ, page_addr(p, 0), p->mrs[0].rkey,
		     DATA_PAGES * PG);
	ASSERT_EQ(IBV_WC_SUCCESS, st);
	EXPECT_EQ(0, memcmp(p->data, self->mem, DATA_PAGES * PG));
	/* The same rkey serves the urgent channel's QP. */
	memset(p->data, 0, PG);
	st = rdma_op_on(p, p->uid->qp, IBV_WR_RDMA_READ, page_addr(p, pg),
			p->mrs[0].rkey, PG);
	ASSERT_EQ(IBV_WC_SUCCESS, st)
		TH_LOG("READ on the urgent QP: %s", ibv_wc_status_str(st));
	EXPECT_EQ(0, memcmp(p->data, self->mem + pg * PG, PG));
	ASSERT_EQ(IBV_WC_SUCCESS, send_msg(p, MSG_DONE, NULL, 0));
	expect_source_state(_metadata, self, HECA_STATE_COMPLETE);
	memcpy(old, p->mrs, sizeof(old));
	peer_close(p);
	settle(self);

	/* 2: the first session's rkeys are dead in the second. */
	accept_source(_metadata, self);
	for (c = 0; c < NPAGES >> p->shift && stale == ~0UL; c++)
		if (old[c].valid && old[c].rkey != p->mrs[c].rkey)
			stale = c;
	ASSERT_NE(~0UL, stale) TH_LOG("every rkey came back the same");
	st = rdma_op(p, IBV_WR_RDMA_READ, old[stale].iova, old[stale].rkey, PG);
	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR, st)
		TH_LOG("READ with a stale rkey: %s", ibv_wc_status_str(st));
	expect_source_state(_metadata, self, HECA_STATE_FAILED);
	peer_close(p);
	settle(self);

	/* 3: read-only: a WRITE through a live rkey is refused. */
	accept_source(_metadata, self);
	st = rdma_op(p, IBV_WR_RDMA_WRITE, page_addr(p, pg), p->mrs[0].rkey,
		     PG);
	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR, st)
		TH_LOG("WRITE: %s", ibv_wc_status_str(st));
	expect_source_state(_metadata, self, HECA_STATE_FAILED);
	EXPECT_EQ((uint8_t)(pg * 7 + 1), self->mem[pg * PG]);
	peer_close(p);
	settle(self);

	/* 4: bounded: a READ past the end of a chunk is refused. */
	accept_source(_metadata, self);
	raddr = p->mrs[0].iova + (1ULL << p->shift) * PG - PG / 2;
	st = rdma_op(p, IBV_WR_RDMA_READ, raddr, p->mrs[0].rkey, PG);
	EXPECT_EQ(IBV_WC_REM_ACCESS_ERR, st)
		TH_LOG("READ past the chunk: %s", ibv_wc_status_str(st));
	expect_source_state(_metadata, self, HECA_STATE_FAILED);
}

/* IB CM reject reasons: nobody listens; the listener refused. */
#define REJ_INVALID_SERVICE_ID	8
#define REJ_CONSUMER_DEFINED	28

/* The reason of the last REJECTED event connect_chan() saw. */
static int last_reject;

/* The errno in that refusal's private data, or -1. */
static int reject_error(void)
{
	struct cm_reject r;

	if (ev_plen < sizeof(r))
		return -1;
	memcpy(&r, ev_pdata, sizeof(r));
	if (le32toh(r.magic) != PROTO_MAGIC ||
	    le16toh(r.version) != CM_VERSION || r.reserved)
		return -1;
	return le32toh(r.error);
}

/*
 * Connect @id (on p->ch) to @dst with @plen bytes of @cm as private data;
 * its QP is the main channel's (@id is p->id) or the urgent one's.
 * Returns 0 when established, -ECONNREFUSED on another event (REJECTED:
 * last_reject says why), or an error.
 */
static int connect_chan(struct peer *p, struct rdma_cm_id *id,
			struct sockaddr_in *dst, const struct cm_hdr *cm,
			uint8_t plen)
{
	struct rdma_conn_param cp = {
		.responder_resources = 16, .rnr_retry_count = 7,
		.retry_count = 7, .private_data = plen ? cm : NULL,
		.private_data_len = plen,
	};
	struct rdma_cm_event ev;
	int err;

	last_reject = -1;
	if (rdma_resolve_addr(id, NULL, (struct sockaddr *)dst, 2000))
		return -errno;
	err = expect_event(p, RDMA_CM_EVENT_ADDR_RESOLVED, NULL);
	if (!err && rdma_resolve_route(id, 2000))
		err = -errno;
	if (!err)
		err = expect_event(p, RDMA_CM_EVENT_ROUTE_RESOLVED, NULL);
	if (!err)
		err = id == p->id ? peer_setup(p) : peer_setup_urgent(p);
	if (!err && rdma_connect(id, &cp))
		err = -errno;
	if (!err)
		err = next_event(p, &ev, WAIT_MS);
	if (err)
		return err;
	if (ev.event == RDMA_CM_EVENT_REJECTED)
		last_reject = ev.status;
	return ev.event == RDMA_CM_EVENT_ESTABLISHED ? 0 : -ECONNREFUSED;
}

/*
 * The main channel with @plen bytes of @cm, retried while the destination
 * does not listen yet.
 */
static int connect_main(struct peer *p, uint16_t port, const struct cm_hdr *cm,
			uint8_t plen)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct timespec t0;
	int err;

	dst.sin_port = htons(port);
	inet_pton(AF_INET, lab_peer_ip(), &dst.sin_addr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		memset(p, 0, sizeof(*p));
		p->ch = rdma_create_event_channel();
		if (!p->ch || rdma_create_id(p->ch, &p->id, NULL, RDMA_PS_TCP))
			return -ENOMEM;
		err = connect_chan(p, p->id, &dst, cm, plen);
		if (!err || err != -ECONNREFUSED ||
		    last_reject != REJ_INVALID_SERVICE_ID ||
		    ms_since(&t0) > WAIT_MS)
			return err;
		/* The destination does not listen yet. */
		peer_close(p);
		usleep(50 * 1000);
	}
}

/* The urgent channel, after the main one, with @token and @cookie. */
static int connect_urgent(struct peer *p, uint16_t port, const __u8 *token,
			  __u64 cookie)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct cm_hdr cm;

	dst.sin_port = htons(port);
	inet_pton(AF_INET, lab_peer_ip(), &dst.sin_addr);
	cm_hdr_init(&cm, CM_URGENT, token);
	cm.cookie = htole64(cookie);
	if (rdma_create_id(p->ch, &p->uid, NULL, RDMA_PS_TCP))
		return -errno;
	return connect_chan(p, p->uid, &dst, &cm, sizeof(cm));
}

static int hello_welcome(FIXTURE_DATA(rdma) *self, struct peer *p)
{
	struct hello hello = {
		.page_shift = htole32(12), .npages = htole64(NPAGES),
	};
	uint16_t type;
	uint32_t len;
	int err;

	memcpy(hello.token, self->token, HECA_TOKEN_BYTES);
	if (send_msg(p, MSG_HELLO, &hello, sizeof(hello)) != IBV_WC_SUCCESS)
		return -EIO;
	err = recv_msg(p, &type, NULL, &len);
	if (err)
		return err;
	return type == MSG_WELCOME ? 0 : -EACCES;
}

/* Connect to the kernel destination as a source: both channels; HELLO. */
static int connect_dest(FIXTURE_DATA(rdma) *self, struct peer *p,
			uint16_t port)
{
	struct cm_hdr cm;
	int err;

	cm_hdr_init(&cm, CM_MAIN, NULL);
	err = connect_main(p, port, &cm, sizeof(cm));
	if (!err)
		err = connect_urgent(p, port, self->token, COOKIE);
	return err ?: hello_welcome(self, p);
}

/* A kernel destination region, listening on @port. */
static void listen_dest(struct __test_metadata *_metadata,
			FIXTURE_DATA(rdma) *self, uint16_t port,
			char *name, int *fd, struct heca_listener *l)
{
	struct heca_session_start a;

	heca_unique_name(name, HECA_NAME_MAX, "rdst");
	ASSERT_EQ(0, heca_region_create(self->ctl, name, MEM, HECA_REGION_DEST));
	*fd = heca_region_open(name, O_RDWR);
	ASSERT_LE(0, *fd);
	heca_start_args(&a, lab_peer_ip(), port, self->token, 20000, 0);
	a.transport = HECA_TRANSPORT_RDMA;
	ASSERT_EQ(0, heca_listen_async(l, *fd, &a));
}

/*
 * The destination checks each connection request's private data: a main
 * channel without it, of another version, with a bad field, and an urgent
 * channel without the session's token are refused (and the destination
 * goes on listening: the right source then gets in).
 */
TEST_F_TIMEOUT(rdma, channels_checked, 300)
{
	static const struct {
		const char *what;
		uint32_t magic;
		uint16_t version, channel;
		uint32_t reserved;
		uint8_t token0, plen;
		int error;	/* in the refusal */
		bool no_cookie;
	} cases[] = {
		{ "no cookie", PROTO_MAGIC, CM_VERSION, CM_MAIN, 0, 0, 36,
		  EPROTO, true },
		{ "no private data", PROTO_MAGIC, CM_VERSION, CM_MAIN, 0, 0, 0,
		  EPROTO, false },
		{ "bad magic", 0x12345678, CM_VERSION, CM_MAIN, 0, 0, 36,
		  EPROTO, false },
		{ "another version", PROTO_MAGIC, 2, CM_MAIN, 0, 0, 36,
		  EPROTONOSUPPORT, false },
		{ "unknown channel", PROTO_MAGIC, CM_VERSION, 3, 0, 0, 36,
		  EPROTO, false },
		{ "reserved set", PROTO_MAGIC, CM_VERSION, CM_MAIN, 1, 0, 36,
		  EPROTO, false },
		{ "main with a token", PROTO_MAGIC, CM_VERSION, CM_MAIN, 0, 1,
		  36, EPROTO, false },
	};
	char name[HECA_NAME_MAX];
	struct heca_listener l;
	__u8 wrong[HECA_TOKEN_BYTES];
	struct cm_hdr cm;
	unsigned int i;
	int fd, err;

	NEED_RXE();
	listen_dest(_metadata, self, self->port, name, &fd, &l);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cm_hdr_init(&cm, cases[i].channel, NULL);
		cm.magic = htole32(cases[i].magic);
		cm.version = htole16(cases[i].version);
		cm.reserved = htole32(cases[i].reserved);
		cm.token[0] = cases[i].token0;
		if (cases[i].no_cookie)
			cm.cookie = 0;
		err = connect_main(&self->p, self->port, &cm, cases[i].plen);
		EXPECT_EQ(-ECONNREFUSED, err) TH_LOG("%s", cases[i].what);
		EXPECT_EQ(REJ_CONSUMER_DEFINED, last_reject)
			TH_LOG("%s", cases[i].what);
		EXPECT_EQ(cases[i].error, reject_error())
			TH_LOG("%s", cases[i].what);
		peer_close(&self->p);
	}

	/*
	 * The main channel; an urgent one with a wrong token; one for another
	 * main channel (cookie); the right one.
	 * (A short private data is not refused: the InfiniBand CM pads it
	 * with zeros.)
	 */
	cm_hdr_init(&cm, CM_MAIN, NULL);
	ASSERT_EQ(0, connect_main(&self->p, self->port, &cm, sizeof(cm)));
	memcpy(wrong, self->token, sizeof(wrong));
	wrong[5] ^= 1;
	EXPECT_EQ(-ECONNREFUSED,
		  connect_urgent(&self->p, self->port, wrong, COOKIE));
	EXPECT_EQ(REJ_CONSUMER_DEFINED, last_reject);
	EXPECT_EQ(EACCES, reject_error());
	rdma_destroy_qp(self->p.uid);
	rdma_destroy_id(self->p.uid);
	self->p.uid = NULL;
	EXPECT_EQ(-ECONNREFUSED, connect_urgent(&self->p, self->port,
						self->token, COOKIE + 1));
	EXPECT_EQ(REJ_CONSUMER_DEFINED, last_reject);
	EXPECT_EQ(-1, reject_error());
	rdma_destroy_qp(self->p.uid);
	rdma_destroy_id(self->p.uid);
	self->p.uid = NULL;
	ASSERT_EQ(0, connect_urgent(&self->p, self->port, self->token,
				    COOKIE));
	ASSERT_EQ(0, hello_welcome(self, &self->p));
	ASSERT_EQ(0, heca_listen_finish(&l));

	peer_close(&self->p);
	heca_session_abort(fd);
	close(fd);
	EXPECT_EQ(0, heca_region_destroy_settled(self->ctl, name));
}

/* A malformed table from the source fails the destination's session. */
TEST_F_TIMEOUT(rdma, bad_table_refused, 300)
{
	static const struct {
		const char *what;
		__u32 shift, count, chunk;
		__u64 iova;
		int extra;	/* bytes off the announced length */
		bool twice;	/* the same chunk twice */
	} cases[] = {
		{ "chunk out of range", 9, 1, NPAGES >> 9, 0, 0, false },
		{ "chunks too small", 2, 1, 0, 0, 0, false },
		{ "length and count disagree", 9, 2, 0, 0, 0, false },
		{ "unaligned iova", 9, 1, 1, 100, 0, false },
		{ "a chunk twice", 9, 2, 1, 0, 0, true },
	};
	struct {
		struct memory m;
		struct mr_entry e[2];
	} __attribute__((packed)) msg;
	struct heca_session_start a;
	struct heca_listener l;
	struct side_region {
		char name[HECA_NAME_MAX];
		int fd;
	} dst;
	char path[64];
	__u32 reached, error;
	unsigned int i, n;
	size_t len;
	int err;

	NEED_RXE();

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct heca_region_create c = {
			.argsz = sizeof(c), .size = MEM,
			.flags = HECA_REGION_DEST,
		};

		heca_unique_name(dst.name, sizeof(dst.name), "rdst");
		memcpy(c.name, dst.name, strlen(dst.name));
		ASSERT_EQ(0, ioctl(self->ctl, HECA_IOC_REGION_CREATE, &c));
		heca_region_path(path, sizeof(path), dst.name);
		dst.fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dst.fd);

		heca_start_args(&a, lab_peer_ip(), self->port + i, self->token, 20000,
				0);
		a.transport = HECA_TRANSPORT_RDMA;
		ASSERT_EQ(0, heca_listen_async(&l, dst.fd, &a));
		err = connect_dest(self, &self->p, self->port + i);
		ASSERT_EQ(0, err) TH_LOG("%s: connect: %d", cases[i].what, err);
		ASSERT_EQ(0, heca_listen_finish(&l));

		memset(&msg, 0, sizeof(msg));
		n = cases[i].twice ? 2 : 1;
		msg.m.chunk_shift = htole32(cases[i].shift);
		msg.m.count = htole32(cases[i].count);
		msg.e[0].chunk = htole32(cases[i].chunk);
		msg.e[0].rkey = htole32(0x1234);
		msg.e[0].iova = htole64(cases[i].iova);
		msg.e[1] = msg.e[0];
		len = sizeof(msg.m) + n * sizeof(msg.e[0]);
		ASSERT_EQ(IBV_WC_SUCCESS,
			  send_msg(&self->p, MSG_MEMORY, &msg, len));
		EXPECT_EQ(-EIO, heca_wait_state(dst.fd, HECA_STATE_RUNNING, WAIT_MS,
						&reached, &error))
			TH_LOG("%s: the destination took it", cases[i].what);
		EXPECT_EQ(HECA_STATE_FAILED, reached);
		EXPECT_EQ(EPROTO, error) TH_LOG("%s", cases[i].what);

		peer_close(&self->p);
		heca_session_abort(dst.fd);
		close(dst.fd);
		EXPECT_EQ(0, heca_region_destroy_settled(self->ctl, dst.name));
	}
}

TEST_HARNESS_MAIN
