// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the kernel-TCP transport.
 *
 * Two TCP connections per session, both made by the source and introduced
 * by CHANNEL (proto.h): the main one carries the control messages and the
 * prefetch and background reads, the urgent one only the reads a fault
 * waits for, so that a fault's 4 KiB never queues behind a 128 KiB answer.
 * Each message is sent whole under its connection's tx_lock.  A receive
 * thread per connection reads messages: on the destination, READ answers
 * go straight into the fetch's pages; on the source, READ requests are
 * answered on the connection they came from; control messages (main only)
 * go to the session (struct heca_conn_cb).  Sends are bounded by the
 * session's timeout (SO_SNDTIMEO); a receive thread blocks until a message
 * comes or the connection is shut down by close.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/bvec.h>
#include <linux/highmem.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "transport.h"
#include "trace.h"

/**
 * struct heca_tcp_sock - one TCP connection of a session
 * @c:		the session's connection it belongs to
 * @sock:	the connected socket
 * @tx_lock:	serializes whole messages on @sock
 * @rx:		its receive thread
 * @urgent:	the urgent connection (only reads a fault waits for)
 */
struct heca_tcp_sock {
	struct heca_tcp_conn *c;
	struct socket *sock;
	struct mutex tx_lock;	/* one whole message at a time */
	struct task_struct *rx;
	bool urgent;
};

/**
 * struct heca_tcp_conn - the TCP connections of a session
 * @c:		the transport-independent part
 * @net:	their network namespace (a reference is held: kernel sockets
 *		hold none)
 * @main:	control messages, prefetch and background reads
 * @urgent:	the reads a fault waits for, so that none waits behind a
 *		128 KiB answer on @main
 * @fetches:	destination: tag -> outstanding struct heca_fetch, on either
 *		connection; whoever erases an entry owns the fetch and
 *		completes it
 * @ctrl:	receive buffer for control payloads (HECA_PROTO_MAX_CTRL);
 *		used by the receive thread of @main only
 * @urgent_err:	why @urgent's receive thread ended, or 0; written by it
 *		before it shuts @main's receiving down, read by @main's
 */
struct heca_tcp_conn {
	struct heca_conn c;
	struct net *net;
	struct heca_tcp_sock main;
	struct heca_tcp_sock urgent;
	struct xarray fetches;
	void *ctrl;
	int urgent_err;
};

/**
 * struct heca_tcp_listener - a listening socket
 * @l:		the transport-independent part
 * @sock:	the socket
 * @net:	its network namespace (a reference is held)
 * @pending:	a main (0) and an urgent (1) connection waiting for the
 *		other of their pair, or NULL
 * @cookie:	their cookies
 * @token:	the token of the urgent one waiting
 *
 * Used by the session's listening thread only.
 */
struct heca_tcp_listener {
	struct heca_listener l;
	struct socket *sock;
	struct net *net;
	struct socket *pending[2];
	u64 cookie[2];
	u8 token[HECA_TOKEN_BYTES];
};

/* How long an accepted connection has to say which one it is. */
#define HECA_TCP_CHANNEL_WAIT	(5 * HZ)

static struct heca_transport heca_tcp_transport;

/* Send @n kvecs totalling @len bytes, all or an error; @flags: MSG_MORE. */
static int heca_tcp_sendv_flags(struct heca_tcp_sock *k, struct kvec *vec,
				size_t n, size_t len, int flags)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | flags };
	int ret;

	iov_iter_kvec(&msg.msg_iter, WRITE, vec, n, len);
	while (msg_data_left(&msg)) {
		ret = sock_sendmsg(k->sock, &msg);
		if (ret <= 0)
			return ret == -EAGAIN ? -ETIMEDOUT : (ret ?: -EPIPE);
	}
	heca_conn_account(&k->c->c, HECA_ACCT_BYTES_TX, len);
	return 0;
}

static int heca_tcp_sendv(struct heca_tcp_sock *k, struct kvec *vec,
			  size_t n, size_t len)
{
	return heca_tcp_sendv_flags(k, vec, n, len, 0);
}

/*
 * Send one page whole, without copying it when the socket can (as
 * nvme-tcp does); @flags: MSG_MORE | MSG_SENDPAGE_NOTLAST but for the last
 * page of a message.  The page is read when the data leaves, so a page
 * written meanwhile goes out torn: only before the switchover, while the
 * VM runs, and then that write put it in the next set (a page of the
 * region, or the zero page, lives as long as the session).
 */
static int heca_tcp_send_page(struct heca_tcp_sock *k, struct page *page,
			      int flags)
{
	struct kvec vec;
	size_t off = 0;
	int ret;

	if (!sendpage_ok(page)) {
		vec.iov_base = kmap_local_page(page);
		vec.iov_len = PAGE_SIZE;
		ret = heca_tcp_sendv_flags(k, &vec, 1, PAGE_SIZE,
					   flags & MSG_MORE);
		kunmap_local(vec.iov_base);
		return ret;
	}
	while (off < PAGE_SIZE) {
		ret = kernel_sendpage(k->sock, page, off, PAGE_SIZE - off,
				      MSG_NOSIGNAL | flags);
		if (ret <= 0)
			return ret == -EAGAIN ? -ETIMEDOUT : (ret ?: -EPIPE);
		off += ret;
	}
	heca_conn_account(&k->c->c, HECA_ACCT_BYTES_TX, PAGE_SIZE);
	return 0;
}

/* Receive exactly @len bytes into @buf from @sock. */
static int heca_tcp_recv_sock(struct socket *sock, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, READ, &vec, 1, len);
	while (msg_data_left(&msg)) {
		ret = sock_recvmsg(sock, &msg, MSG_WAITALL);
		if (ret <= 0)
			return ret == -EAGAIN ? -ETIMEDOUT :
						(ret ?: -ECONNRESET);
	}
	return 0;
}

static int heca_tcp_recv(struct heca_tcp_sock *k, void *buf, size_t len)
{
	int err = heca_tcp_recv_sock(k->sock, buf, len);

	if (!err)
		heca_conn_account(&k->c->c, HECA_ACCT_BYTES_RX, len);
	return err;
}

static struct heca_tcp_conn *to_tcp(struct heca_conn *conn)
{
	return container_of(conn, struct heca_tcp_conn, c);
}

static int heca_tcp_send(struct heca_tcp_sock *k, u16 type,
			 const void *payload, size_t len)
{
	struct heca_msg_hdr h;
	struct kvec vec[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	int err;

	heca_proto_build_hdr(&h, type, len);
	mutex_lock(&k->tx_lock);
	err = heca_tcp_sendv(k, vec, len ? 2 : 1, sizeof(h) + len);
	mutex_unlock(&k->tx_lock);
	return err;
}

static int heca_tcp_send_msg(struct heca_conn *conn, u16 type,
			     const void *payload, size_t len)
{
	return heca_tcp_send(&to_tcp(conn)->main, type, payload, len);
}

static int heca_tcp_recv_msg(struct heca_conn *conn, struct heca_msg_hdr *hdr,
			     void *buf, size_t max, unsigned long timeout)
{
	struct heca_tcp_sock *k = &to_tcp(conn)->main;
	long len;
	int err;

	k->sock->sk->sk_rcvtimeo = timeout;
	err = heca_tcp_recv(k, hdr, sizeof(*hdr));
	if (err)
		goto out;
	len = heca_proto_check_hdr(hdr);
	if (len < 0 || len > max) {
		err = len < 0 ? len : -EPROTO;
		goto out;
	}
	err = heca_tcp_recv(k, buf, len);
out:
	k->sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	return err;
}

/* Destination: the answer to one of our reads, on either connection. */
static int heca_tcp_rx_read_resp(struct heca_tcp_sock *k, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct bio_vec bv[HECA_PROTO_MAX_READ];
	struct heca_tcp_conn *c = k->c;
	struct heca_msg_read rd;
	struct heca_fetch *f;
	unsigned int i;
	int err, ret;

	err = heca_tcp_recv(k, &rd, sizeof(rd));
	if (err)
		return err;
	f = xa_erase(&c->fetches, (unsigned long)le64_to_cpu(rd.tag));
	if (!f)
		return -EPROTO;
	if (le64_to_cpu(rd.first) != f->first ||
	    le32_to_cpu(rd.count) != f->count || rd.reserved ||
	    len != sizeof(rd) + (size_t)f->count * PAGE_SIZE) {
		heca_conn_fetch_done(&c->c, f, -EPROTO);
		return -EPROTO;
	}
	/* Every page of the answer in one receive. */
	for (i = 0; i < f->count; i++)
		bv[i] = (struct bio_vec){ .bv_page = f->pages[i],
					  .bv_len = PAGE_SIZE };
	iov_iter_bvec(&msg.msg_iter, READ, bv, f->count, f->count * PAGE_SIZE);
	while (msg_data_left(&msg) && !err) {
		ret = sock_recvmsg(k->sock, &msg, MSG_WAITALL);
		if (ret <= 0)
			err = ret == -EAGAIN ? -ETIMEDOUT : (ret ?: -ECONNRESET);
	}
	if (!err)
		heca_conn_account(&c->c, HECA_ACCT_BYTES_RX,
				  f->count * PAGE_SIZE);
	heca_conn_fetch_done(&c->c, f, err);
	return err;
}

/* Source: serve a read from the region's pages, on the connection it came. */
static int heca_tcp_rx_read_req(struct heca_tcp_sock *k, size_t len)
{
	struct heca_conn *conn = &k->c->c;
	pgoff_t npages = conn->p.npages;
	struct heca_msg_read rd;
	struct heca_msg_hdr h;
	struct kvec vec[2];
	struct page *page;
	u64 first, count, i;
	int err;

	if (len != sizeof(rd))
		return -EPROTO;
	err = heca_tcp_recv(k, &rd, sizeof(rd));
	if (err)
		return err;
	first = le64_to_cpu(rd.first);
	count = le32_to_cpu(rd.count);
	if (!count || count > HECA_PROTO_MAX_READ || rd.reserved ||
	    first >= npages || count > npages - first)
		return -EPROTO;

	heca_proto_build_hdr(&h, HECA_MSG_READ_RESP, sizeof(rd) + count * PAGE_SIZE);
	vec[0] = (struct kvec){ .iov_base = &h, .iov_len = sizeof(h) };
	vec[1] = (struct kvec){ .iov_base = &rd, .iov_len = sizeof(rd) };
	mutex_lock(&k->tx_lock);
	err = heca_tcp_sendv_flags(k, vec, 2, sizeof(h) + sizeof(rd), MSG_MORE);
	for (i = 0; i < count && !err; i++) {
		page = heca_conn_page(conn, first + i) ?: ZERO_PAGE(0);
		err = heca_tcp_send_page(k, page, i + 1 < count ?
					 MSG_MORE | MSG_SENDPAGE_NOTLAST : 0);
	}
	mutex_unlock(&k->tx_lock);
	if (!err) {
		heca_conn_account(conn, HECA_ACCT_PAGES_SENT, count);
		heca_conn_account(conn, HECA_ACCT_REQUESTS, 1);
	}
	return err;
}

static int heca_tcp_rx_one(struct heca_tcp_sock *k)
{
	struct heca_tcp_conn *c = k->c;
	bool dest = c->c.p.dest;
	struct heca_msg_hdr h;
	long len;
	u16 type;
	int err;

	err = heca_tcp_recv(k, &h, sizeof(h));
	if (err)
		return err;
	len = heca_proto_check_hdr(&h);
	if (len < 0)
		return len;
	type = le16_to_cpu(h.type);
	if (type == HECA_MSG_READ_RESP)
		return dest ? heca_tcp_rx_read_resp(k, len) : -EPROTO;
	if (type == HECA_MSG_READ_REQ)
		return dest ? -EPROTO : heca_tcp_rx_read_req(k, len);
	/* Control messages come on the main connection, CHANNEL only first. */
	if (k->urgent || type == HECA_MSG_CHANNEL)
		return -EPROTO;
	err = heca_tcp_recv(k, c->ctrl, len);
	if (err)
		return err;
	heca_conn_recv(&c->c, type, c->ctrl, len);
	return 0;
}

/*
 * A receive thread ended with @err: fail the session, in order after the
 * messages received on the main connection.  When the urgent connection
 * ends (the peer closing both, after DONE; or dying), the main one's
 * receiving is shut down: its thread reads what came before, then ends
 * too and fails the session, which a completed session ignores.
 */
static void heca_tcp_rx_end(struct heca_tcp_sock *k, int err)
{
	struct heca_tcp_conn *c = k->c;
	int uerr;

	if (k->urgent) {
		WRITE_ONCE(c->urgent_err, err);
		kernel_sock_shutdown(c->main.sock, SHUT_RD);
		return;
	}
	uerr = READ_ONCE(c->urgent_err);
	heca_conn_fail(&c->c, uerr ?: err, uerr ? "urgent connection lost" :
						  "connection lost");
}

static int heca_tcp_rx_thread(void *arg)
{
	struct heca_tcp_sock *k = arg;
	int err = 0;

	while (!kthread_should_stop() && !err)
		err = heca_tcp_rx_one(k);
	if (err && !kthread_should_stop())
		heca_tcp_rx_end(k, err);

	/* Stay until close() stops us, so that it can always kthread_stop. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return err;
}

static void heca_tcp_sock_init(struct heca_tcp_conn *c, struct heca_tcp_sock *k,
			       struct socket *sock, bool urgent)
{
	k->c = c;
	k->sock = sock;
	k->urgent = urgent;
	mutex_init(&k->tx_lock);
	sock->sk->sk_sndtimeo = c->c.p.timeout;
	sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	tcp_sock_set_nodelay(sock->sk);
}

/* A session's connections, from its two sockets; takes them and @net. */
static struct heca_tcp_conn *
heca_tcp_conn_alloc(const struct heca_conn_params *p, struct socket *main,
		    struct socket *urgent, struct net *net)
{
	struct heca_tcp_conn *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->ctrl = kvmalloc(HECA_PROTO_MAX_CTRL, GFP_KERNEL);
	if (!c->ctrl) {
		kfree(c);
		return NULL;
	}
	heca_conn_init(&c->c, &heca_tcp_transport, p);
	c->net = net;
	heca_tcp_sock_init(c, &c->main, main, false);
	heca_tcp_sock_init(c, &c->urgent, urgent, true);
	xa_init_flags(&c->fetches, XA_FLAGS_ALLOC1);
	return c;
}

/*
 * Destination: the CHANNEL message an accepted connection starts with,
 * checked.  Returns 0, or why the connection is dropped.
 */
static int heca_tcp_recv_channel(struct socket *sock, unsigned long timeout,
				 struct heca_msg_channel *ch)
{
	static const u8 zero[HECA_TOKEN_BYTES];
	struct heca_msg_hdr h;
	long len;
	int err;

	sock->sk->sk_rcvtimeo = timeout;
	err = heca_tcp_recv_sock(sock, &h, sizeof(h));
	if (err)
		return err;
	len = heca_proto_check_hdr(&h);
	if (len < 0)
		return len;
	if (le16_to_cpu(h.type) != HECA_MSG_CHANNEL)
		return -EPROTO;
	err = heca_tcp_recv_sock(sock, ch, sizeof(*ch));
	if (err)
		return err;
	if (ch->reserved || ch->reserved1 || !ch->cookie)
		return -EPROTO;
	switch (le16_to_cpu(ch->channel)) {
	case HECA_CM_MAIN:
		return memcmp(ch->token, zero, sizeof(zero)) ? -EPROTO : 0;
	case HECA_CM_URGENT:
		return 0;	/* its token is checked once it is paired */
	default:
		return -EPROTO;
	}
}

/* Destination: let the waiting connection of kind @k (0 main, 1 urgent) go. */
static void heca_tcp_unpend(struct heca_tcp_listener *l, int k)
{
	if (l->pending[k])
		sock_release(l->pending[k]);
	l->pending[k] = NULL;
}

/*
 * Destination: a pair whose urgent connection has the wrong token.  The
 * source hears why on its main connection, as from the handshake, and
 * both go; the listener listens on.
 */
static void heca_tcp_refuse(struct heca_tcp_listener *l)
{
	struct heca_msg_reject rej = { .error = cpu_to_le32(EACCES) };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT };
	struct heca_msg_hdr h;
	struct kvec vec[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = &rej, .iov_len = sizeof(rej) },
	};

	heca_proto_build_hdr(&h, HECA_MSG_REJECT, sizeof(rej));
	kernel_sendmsg(l->pending[0], &msg, vec, 2, sizeof(h) + sizeof(rej));
	pr_warn_ratelimited("%s: refused a peer: wrong session token (%d)\n",
			    l->l.p.name, -EACCES);
	heca_tcp_unpend(l, 0);
	heca_tcp_unpend(l, 1);
}

static int heca_tcp_listen(const struct heca_conn_params *p,
			   const struct heca_addr *addr,
			   struct heca_listener **listener)
{
	struct net *net = get_net(current->nsproxy->net_ns);
	struct heca_tcp_listener *l;
	struct sockaddr_storage ss;
	int len, err;

	len = heca_addr_to_sockaddr(addr, &ss);
	if (len < 0) {
		err = len;
		goto err_put_net;
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l) {
		err = -ENOMEM;
		goto err_put_net;
	}
	err = sock_create_kern(net, ss.ss_family, SOCK_STREAM, IPPROTO_TCP,
			       &l->sock);
	if (err)
		goto err_free;
	sock_set_reuseaddr(l->sock->sk);
	err = kernel_bind(l->sock, (struct sockaddr *)&ss, len);
	if (err)
		goto err_release;
	err = kernel_listen(l->sock, 4);
	if (err)
		goto err_release;
	l->net = net;
	l->l.t = &heca_tcp_transport;
	l->l.p = *p;
	*listener = &l->l;
	return 0;

err_release:
	sock_release(l->sock);
err_free:
	kfree(l);
err_put_net:
	put_net(net);
	return err;
}

/**
 * heca_tcp_accept() - wait for a source's two connections
 * @listener: the listener
 * @timeout:  how long to wait, in jiffies
 * @conn:     the session's connections, on success
 *
 * A source connects its main connection, then its urgent one; each starts
 * with CHANNEL.  They may be accepted in either order (their handshakes
 * can complete on different CPUs), so the listener keeps one connection of
 * each kind waiting for the other of its cookie; a newer one of a kind
 * replaces the older, so strays cannot hold the listener.  A connection
 * whose CHANNEL does not come or is wrong is dropped.  A pair whose urgent
 * connection has the wrong token is refused with REJECT EACCES on the main
 * one (heca_tcp_refuse()).
 *
 * Return: 0, -ETIMEDOUT, -ENOMEM, or the socket's error (-ERESTARTSYS on a
 * signal).
 */
static int heca_tcp_accept(struct heca_listener *listener,
			   unsigned long timeout, struct heca_conn **conn)
{
	struct heca_tcp_listener *l = container_of(listener,
						   struct heca_tcp_listener, l);
	unsigned long deadline = jiffies + timeout;
	struct heca_msg_channel ch;
	struct heca_tcp_conn *c;
	struct socket *sock;
	long left;
	int err, k;

	for (;;) {
		left = (long)(deadline - jiffies);
		if (left <= 0)
			return -ETIMEDOUT;
		l->sock->sk->sk_rcvtimeo = left;
		err = kernel_accept(l->sock, &sock, 0);
		if (err)
			return err == -EAGAIN ? -ETIMEDOUT : err;
		err = heca_tcp_recv_channel(sock, min_t(long, left,
							HECA_TCP_CHANNEL_WAIT),
					    &ch);
		if (err) {
			pr_warn_ratelimited("%s: dropped a connection (%d)\n",
					    l->l.p.name, err);
			sock_release(sock);
			if (fatal_signal_pending(current))
				return -EINTR;
			continue;
		}
		k = le16_to_cpu(ch.channel) == HECA_CM_URGENT;
		heca_tcp_unpend(l, k);
		l->pending[k] = sock;
		l->cookie[k] = le64_to_cpu(ch.cookie);
		if (k)
			memcpy(l->token, ch.token, HECA_TOKEN_BYTES);
		if (!l->pending[0] || !l->pending[1] ||
		    l->cookie[0] != l->cookie[1])
			continue;
		if (crypto_memneq(l->token, l->l.p.token, HECA_TOKEN_BYTES)) {
			heca_tcp_refuse(l);
			continue;
		}
		c = heca_tcp_conn_alloc(&l->l.p, l->pending[0], l->pending[1],
					get_net(l->net));
		if (!c) {
			put_net(l->net);
			return -ENOMEM;
		}
		l->pending[0] = NULL;
		l->pending[1] = NULL;
		*conn = &c->c;
		return 0;
	}
}

static void heca_tcp_unlisten(struct heca_listener *listener)
{
	struct heca_tcp_listener *l = container_of(listener,
						   struct heca_tcp_listener, l);

	heca_tcp_unpend(l, 0);
	heca_tcp_unpend(l, 1);
	memzero_explicit(l->token, sizeof(l->token));
	sock_release(l->sock);
	put_net(l->net);
	kfree(l);
}

/* Source: one connected socket, within @timeout jiffies. */
static int heca_tcp_dial(struct net *net, struct sockaddr_storage *ss,
			 int len, long timeout, struct socket **sockp)
{
	struct socket *sock;
	int err;

	if (timeout <= 0)
		return -ETIMEDOUT;
	err = sock_create_kern(net, ss->ss_family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	sock->sk->sk_sndtimeo = timeout;
	err = kernel_connect(sock, (struct sockaddr *)ss, len, 0);
	if (err) {
		sock_release(sock);
		return err == -EINPROGRESS || err == -EAGAIN ? -ETIMEDOUT : err;
	}
	*sockp = sock;
	return 0;
}

static void heca_tcp_close(struct heca_conn *conn);

/*
 * Source: the main connection, then the urgent one, each introduced by
 * CHANNEL (struct heca_msg_channel), within @timeout jiffies in all.
 */
static int heca_tcp_connect(const struct heca_conn_params *p,
			    const struct heca_addr *addr,
			    unsigned long timeout, struct heca_conn **conn)
{
	struct net *net = get_net(current->nsproxy->net_ns);
	unsigned long deadline = jiffies + timeout;
	struct heca_msg_channel ch = { };
	struct socket *main, *urgent;
	struct sockaddr_storage ss;
	struct heca_tcp_conn *c;
	int len, err;

	len = heca_addr_to_sockaddr(addr, &ss);
	if (len < 0) {
		err = len;
		goto err_put_net;
	}
	err = heca_tcp_dial(net, &ss, len, timeout, &main);
	if (err)
		goto err_put_net;
	err = heca_tcp_dial(net, &ss, len, (long)(deadline - jiffies),
			    &urgent);
	if (err)
		goto err_release_main;
	c = heca_tcp_conn_alloc(p, main, urgent, net);
	if (!c) {
		err = -ENOMEM;
		goto err_release_urgent;
	}
	do {
		ch.cookie = cpu_to_le64(get_random_u64());
	} while (!ch.cookie);
	ch.channel = cpu_to_le16(HECA_CM_MAIN);
	err = heca_tcp_send(&c->main, HECA_MSG_CHANNEL, &ch, sizeof(ch));
	if (err)
		goto err_close;
	ch.channel = cpu_to_le16(HECA_CM_URGENT);
	memcpy(ch.token, p->token, HECA_TOKEN_BYTES);
	err = heca_tcp_send(&c->urgent, HECA_MSG_CHANNEL, &ch, sizeof(ch));
	memzero_explicit(ch.token, sizeof(ch.token));
	if (err)
		goto err_close;
	*conn = &c->c;
	return 0;

err_close:
	heca_tcp_close(&c->c);
	return err;
err_release_urgent:
	sock_release(urgent);
err_release_main:
	sock_release(main);
err_put_net:
	put_net(net);
	return err;
}

static int heca_tcp_start_rx(struct heca_tcp_sock *k, const char *fmt)
{
	struct task_struct *t;

	t = kthread_run(heca_tcp_rx_thread, k, fmt, k->c->c.p.name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	k->rx = t;
	return 0;
}

/* A receive thread per connection; close() stops what was started. */
static int heca_tcp_start(struct heca_conn *conn)
{
	struct heca_tcp_conn *c = to_tcp(conn);
	int err;

	err = heca_tcp_start_rx(&c->main, "heca-rx/%s");
	if (!err)
		err = heca_tcp_start_rx(&c->urgent, "heca-rxu/%s");
	return err;
}

static int heca_tcp_read_pages(struct heca_conn *conn, struct heca_fetch *f)
{
	struct heca_tcp_conn *c = to_tcp(conn);
	struct heca_tcp_sock *k = f->urgent ? &c->urgent : &c->main;
	struct heca_msg_read rd = {
		.first = cpu_to_le64(f->first),
		.count = cpu_to_le32(f->count),
	};
	u32 tag;
	int err;

	err = xa_alloc(&c->fetches, &tag, f, xa_limit_32b, GFP_KERNEL);
	if (err)
		return err;
	f->tag = tag;
	rd.tag = cpu_to_le64(tag);
	trace_heca_tcp_read(conn->p.name, f->first, f->count, f->urgent,
			    k->urgent);
	err = heca_tcp_send(k, HECA_MSG_READ_REQ, &rd, sizeof(rd));
	/* If the receive side took it meanwhile, it completes it. */
	if (err && xa_erase(&c->fetches, tag) != f)
		err = 0;
	return err;
}

static void heca_tcp_close(struct heca_conn *conn)
{
	struct heca_tcp_conn *c = to_tcp(conn);
	struct heca_fetch *f;
	unsigned long tag;

	kernel_sock_shutdown(c->main.sock, SHUT_RDWR);
	kernel_sock_shutdown(c->urgent.sock, SHUT_RDWR);
	if (c->main.rx)
		kthread_stop(c->main.rx);
	if (c->urgent.rx)
		kthread_stop(c->urgent.rx);
	xa_for_each(&c->fetches, tag, f) {
		if (xa_erase(&c->fetches, tag) == f)
			heca_conn_fetch_done(&c->c, f, -ECONNRESET);
	}
	xa_destroy(&c->fetches);
	sock_release(c->main.sock);
	sock_release(c->urgent.sock);
	put_net(c->net);
	kvfree(c->ctrl);
	kfree(c);
}

static struct heca_transport heca_tcp_transport = {
	.name = "tcp",
	.id = HECA_TRANSPORT_TCP,
	.owner = THIS_MODULE,
	.listen = heca_tcp_listen,
	.accept = heca_tcp_accept,
	.unlisten = heca_tcp_unlisten,
	.connect = heca_tcp_connect,
	.recv_msg = heca_tcp_recv_msg,
	.send_msg = heca_tcp_send_msg,
	.start = heca_tcp_start,
	.read_pages = heca_tcp_read_pages,
	.close = heca_tcp_close,
};

int heca_tcp_init(void)
{
	return heca_transport_register(&heca_tcp_transport);
}

void heca_tcp_exit(void)
{
	heca_transport_unregister(&heca_tcp_transport);
}
