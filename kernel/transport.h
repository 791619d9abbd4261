/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the transport interface.
 *
 * A transport (TCP in heca.ko, RDMA in heca_rdma.ko) moves control messages
 * and page reads between a source and a destination.  It registers a
 * struct heca_transport with heca_transport_register(); a session finds it
 * by its HECA_TRANSPORT_* id (loading "heca-transport-<id>" on demand) and
 * hands it a struct heca_conn_params: what the transport may know of the
 * session, and the callbacks (struct heca_conn_cb) through which it reports
 * back.  A transport calls nothing else of heca but the helpers declared
 * here and in proto.h, so calls go one way: session -> transport -> core.
 */
#ifndef _HECA_TRANSPORT_H
#define _HECA_TRANSPORT_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/socket.h>
#include <linux/stringify.h>
#include <linux/types.h>

#include <linux/heca.h>

#include "proto.h"

struct heca_conn;
struct heca_session;
struct page;

/**
 * struct heca_fetch - one read of contiguous pages from the source
 * @s:		the session it belongs to (opaque to the transport)
 * @first:	first page index
 * @count:	pages, 1..HECA_PROTO_MAX_READ
 * @urgent:	a fault waits for page @fault_idx, the only page
 * @prefetch:	pages along the trend of the faults; not urgent
 * @fault_idx:	the page a fault asked for (when @urgent)
 * @t_fault:	when that fault asked (ktime ns)
 * @tag:	transport's identifier of the request
 * @pages:	destination pages the data goes to, owned by the fetch until
 *		its completion (struct heca_conn_cb.fetch_done)
 */
struct heca_fetch {
	struct heca_session *s;
	pgoff_t first;
	unsigned int count;
	bool urgent;
	bool prefetch;
	pgoff_t fault_idx;
	u64 t_fault;
	u64 tag;
	struct page *pages[HECA_PROTO_MAX_READ];
};

/* What a transport counts for the session's statistics. */
enum heca_acct {
	HECA_ACCT_BYTES_RX,	/* bytes received, headers included */
	HECA_ACCT_BYTES_TX,	/* bytes sent, headers included */
	HECA_ACCT_PAGES_SENT,	/* source: pages served to a read */
	HECA_ACCT_REQUESTS,	/* source: reads served */
};

/**
 * struct heca_conn_cb - how a transport reports to its session
 * @recv:	a control message from the peer, in order; @type is known and
 *		@len within the type's bounds (heca_proto_check_hdr()); may
 *		sleep
 * @fetch_done:	destination: @f finished, @err 0 if every page holds the
 *		source's data; exactly once per fetch accepted by read_pages;
 *		process context; frees @f
 * @page:	source: the page at @idx (< npages) to serve, or NULL for a
 *		page the source never had (zero); it lives as long as the
 *		session
 * @next_page:	source: the first page the source has at an index from
 *		*@idx to @last, with *@idx set to it; NULL if none
 * @fail:	the connection failed: fail the session (once), @why for
 *		the log
 * @account:	add @n to the counter @what
 */
struct heca_conn_cb {
	void (*recv)(struct heca_conn *c, u16 type, const void *payload,
		     size_t len);
	void (*fetch_done)(struct heca_conn *c, struct heca_fetch *f, int err);
	struct page *(*page)(struct heca_conn *c, pgoff_t idx);
	struct page *(*next_page)(struct heca_conn *c, pgoff_t *idx,
				  pgoff_t last);
	void (*fail)(struct heca_conn *c, int err, const char *why);
	void (*account)(struct heca_conn *c, enum heca_acct what, u64 n);
};

/**
 * struct heca_conn_params - what a transport knows of a session
 * @name:	the region's name, for logs and thread names
 * @npages:	pages of the region: every index from the peer is below it
 * @dest:	the destination (it reads pages); else the source (serves)
 * @timeout:	bound of every wait for the peer, in jiffies
 * @token:	the session's secret (HECA_TOKEN_BYTES)
 * @cb:		the session's callbacks
 * @ctx:	the session, for @cb
 *
 * Constant for the life of the connections made with it.
 */
struct heca_conn_params {
	const char *name;
	pgoff_t npages;
	bool dest;
	unsigned long timeout;
	const u8 *token;
	const struct heca_conn_cb *cb;
	void *ctx;
};

/**
 * struct heca_conn - a connection of a session; embedded by each transport
 * @t:	its transport
 * @p:	the session's parameters, a copy
 */
struct heca_conn {
	const struct heca_transport *t;
	struct heca_conn_params p;
};

/**
 * struct heca_listener - a destination waiting for its source; embedded
 * @t:	its transport
 * @p:	the parameters of the connections it accepts, a copy
 */
struct heca_listener {
	const struct heca_transport *t;
	struct heca_conn_params p;
};

/**
 * struct heca_transport - a transport, registered by its module
 * @name:	"tcp", "rdma"
 * @id:		HECA_TRANSPORT_*
 * @owner:	the module; a session holds a reference for its lifetime
 * @node:	entry in the registry; guarded by its lock
 * @listen:	destination: bind and listen on @addr
 * @accept:	destination: wait up to @timeout jiffies for one connection
 * @unlisten:	destination: stop listening, free @l
 * @connect:	source: connect to @addr within @timeout jiffies
 * @recv_msg:	before @start only: receive one message within @timeout
 *		jiffies, its header checked; the payload (at most @max
 *		bytes) lands in @buf
 * @send_msg:	send one control message; may sleep; serialized inside;
 *		bounded by the session's timeout
 * @expose:	source, optional: before a set of pages is sent (EXISTS: each
 *		pre-copy round, the switchover), make the pages the source
 *		has readable by the peer (RDMA: register the chunks that got
 *		pages since the last call, send their registrations); NULL
 *		when the transport serves reads itself
 * @start:	start receiving: messages go to cb->recv, read answers to
 *		cb->fetch_done, READ requests are served from cb->page
 * @read_pages:	destination: start reading @f; cb->fetch_done follows,
 *		exactly once, also when the connection fails or closes;
 *		on an error return it does not
 * @close:	tear the connection down, completing every outstanding
 *		fetch with an error, and free it; may sleep
 */
struct heca_transport {
	const char *name;
	u32 id;
	struct module *owner;
	struct list_head node;
	int (*listen)(const struct heca_conn_params *p,
		      const struct heca_addr *addr, struct heca_listener **l);
	int (*accept)(struct heca_listener *l, unsigned long timeout,
		      struct heca_conn **c);
	void (*unlisten)(struct heca_listener *l);
	int (*connect)(const struct heca_conn_params *p,
		       const struct heca_addr *addr, unsigned long timeout,
		       struct heca_conn **c);
	int (*recv_msg)(struct heca_conn *c, struct heca_msg_hdr *hdr,
			void *buf, size_t max, unsigned long timeout);
	int (*send_msg)(struct heca_conn *c, u16 type, const void *payload,
			size_t len);
	int (*expose)(struct heca_conn *c);
	int (*start)(struct heca_conn *c);
	int (*read_pages)(struct heca_conn *c, struct heca_fetch *f);
	void (*close)(struct heca_conn *c);
};

/* The module alias heca_transport_get() asks for: "heca-transport-<id>". */
#define MODULE_ALIAS_HECA_TRANSPORT(id) \
	MODULE_ALIAS("heca-transport-" __stringify(id))

int heca_transport_register(struct heca_transport *t);
void heca_transport_unregister(struct heca_transport *t);
const struct heca_transport *heca_transport_get(u32 id);
void heca_transport_put(const struct heca_transport *t);

int heca_addr_to_sockaddr(const struct heca_addr *a,
			  struct sockaddr_storage *ss);

/* transport_tcp.c, built into heca.ko */
int heca_tcp_init(void);
void heca_tcp_exit(void);

static inline void heca_conn_init(struct heca_conn *c,
				  const struct heca_transport *t,
				  const struct heca_conn_params *p)
{
	c->t = t;
	c->p = *p;
}

static inline void heca_conn_recv(struct heca_conn *c, u16 type,
				  const void *payload, size_t len)
{
	c->p.cb->recv(c, type, payload, len);
}

static inline void heca_conn_fetch_done(struct heca_conn *c,
					struct heca_fetch *f, int err)
{
	c->p.cb->fetch_done(c, f, err);
}

static inline struct page *heca_conn_page(struct heca_conn *c, pgoff_t idx)
{
	return c->p.cb->page(c, idx);
}

static inline struct page *heca_conn_next_page(struct heca_conn *c,
					       pgoff_t *idx, pgoff_t last)
{
	return c->p.cb->next_page(c, idx, last);
}

static inline void heca_conn_fail(struct heca_conn *c, int err,
				  const char *why)
{
	c->p.cb->fail(c, err, why);
}

static inline void heca_conn_account(struct heca_conn *c, enum heca_acct what,
				     u64 n)
{
	c->p.cb->account(c, what, n);
}

#endif /* _HECA_TRANSPORT_H */
