// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the kernel-TCP transport.
 *
 * One TCP connection per session.  Each message (proto.h) is sent whole
 * under tx_lock.  A receive thread per connection reads messages: on the
 * destination, READ answers go straight into the fetch's pages; on the
 * source, READ requests are answered from the region's pages; control
 * messages go to the session (struct heca_conn_cb).  Sends are bounded by the session's
 * timeout (SO_SNDTIMEO); the receive thread blocks until a message comes or
 * the connection is shut down by close.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "transport.h"

/**
 * struct heca_tcp_conn - a TCP connection of a session
 * @c:		the transport-independent part
 * @sock:	the connected socket
 * @net:	its network namespace (a reference is held: kernel sockets
 *		hold none)
 * @tx_lock:	serializes whole messages on @sock
 * @rx:		the receive thread
 * @fetches:	destination: tag -> outstanding struct heca_fetch; whoever
 *		erases an entry owns the fetch and completes it
 * @ctrl:	receive buffer for control payloads (HECA_PROTO_MAX_CTRL);
 *		used by @rx only
 */
struct heca_tcp_conn {
	struct heca_conn c;
	struct socket *sock;
	struct net *net;
	struct mutex tx_lock;	/* one whole message at a time */
	struct task_struct *rx;
	struct xarray fetches;
	void *ctrl;
};

/**
 * struct heca_tcp_listener - a listening socket
 * @l:		the transport-independent part
 * @sock:	the socket
 * @net:	its network namespace (a reference is held)
 */
struct heca_tcp_listener {
	struct heca_listener l;
	struct socket *sock;
	struct net *net;
};

static struct heca_transport heca_tcp_transport;

/* Send @n kvecs totalling @len bytes, all or an error. */
static int heca_tcp_sendv(struct heca_tcp_conn *c, struct kvec *vec, size_t n,
			  size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, WRITE, vec, n, len);
	while (msg_data_left(&msg)) {
		ret = sock_sendmsg(c->sock, &msg);
		if (ret <= 0)
			return ret == -EAGAIN ? -ETIMEDOUT : (ret ?: -EPIPE);
	}
	heca_conn_account(&c->c, HECA_ACCT_BYTES_TX, len);
	return 0;
}

/* Receive exactly @len bytes into @buf. */
static int heca_tcp_recv(struct heca_tcp_conn *c, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, READ, &vec, 1, len);
	while (msg_data_left(&msg)) {
		ret = sock_recvmsg(c->sock, &msg, MSG_WAITALL);
		if (ret <= 0)
			return ret == -EAGAIN ? -ETIMEDOUT :
						(ret ?: -ECONNRESET);
	}
	heca_conn_account(&c->c, HECA_ACCT_BYTES_RX, len);
	return 0;
}

static struct heca_tcp_conn *to_tcp(struct heca_conn *conn)
{
	return container_of(conn, struct heca_tcp_conn, c);
}

static int heca_tcp_send(struct heca_tcp_conn *c, u16 type,
			 const void *payload, size_t len)
{
	struct heca_msg_hdr h;
	struct kvec vec[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	int err;

	heca_proto_build_hdr(&h, type, len);
	mutex_lock(&c->tx_lock);
	err = heca_tcp_sendv(c, vec, len ? 2 : 1, sizeof(h) + len);
	mutex_unlock(&c->tx_lock);
	return err;
}

static int heca_tcp_send_msg(struct heca_conn *conn, u16 type,
			     const void *payload, size_t len)
{
	return heca_tcp_send(to_tcp(conn), type, payload, len);
}

static int heca_tcp_recv_msg(struct heca_conn *conn, struct heca_msg_hdr *hdr,
			     void *buf, size_t max, unsigned long timeout)
{
	struct heca_tcp_conn *c = to_tcp(conn);
	long len;
	int err;

	c->sock->sk->sk_rcvtimeo = timeout;
	err = heca_tcp_recv(c, hdr, sizeof(*hdr));
	if (err)
		goto out;
	len = heca_proto_check_hdr(hdr);
	if (len < 0 || len > max) {
		err = len < 0 ? len : -EPROTO;
		goto out;
	}
	err = heca_tcp_recv(c, buf, len);
out:
	c->sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	return err;
}

/* Destination: the answer to one of our reads. */
static int heca_tcp_rx_read_resp(struct heca_tcp_conn *c, size_t len)
{
	struct heca_msg_read rd;
	struct heca_fetch *f;
	unsigned int i;
	void *addr;
	int err;

	err = heca_tcp_recv(c, &rd, sizeof(rd));
	if (err)
		return err;
	f = xa_erase(&c->fetches, (unsigned long)le64_to_cpu(rd.tag));
	if (!f)
		return -EPROTO;
	if (le64_to_cpu(rd.first) != f->first ||
	    le32_to_cpu(rd.count) != f->count ||
	    len != sizeof(rd) + (size_t)f->count * PAGE_SIZE) {
		heca_conn_fetch_done(&c->c, f, -EPROTO);
		return -EPROTO;
	}
	for (i = 0; i < f->count && !err; i++) {
		addr = kmap_local_page(f->pages[i]);
		err = heca_tcp_recv(c, addr, PAGE_SIZE);
		kunmap_local(addr);
	}
	heca_conn_fetch_done(&c->c, f, err);
	return err;
}

/* Source: serve a read from the region's pages. */
static int heca_tcp_rx_read_req(struct heca_tcp_conn *c, size_t len)
{
	pgoff_t npages = c->c.p.npages;
	struct heca_msg_read rd;
	struct heca_msg_hdr h;
	struct kvec vec[2];
	struct page *page;
	u64 first, count, i;
	int err;

	if (len != sizeof(rd))
		return -EPROTO;
	err = heca_tcp_recv(c, &rd, sizeof(rd));
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
	mutex_lock(&c->tx_lock);
	err = heca_tcp_sendv(c, vec, 2, sizeof(h) + sizeof(rd));
	for (i = 0; i < count && !err; i++) {
		page = heca_conn_page(&c->c, first + i) ?: ZERO_PAGE(0);
		vec[0].iov_base = kmap_local_page(page);
		vec[0].iov_len = PAGE_SIZE;
		err = heca_tcp_sendv(c, vec, 1, PAGE_SIZE);
		kunmap_local(vec[0].iov_base);
	}
	mutex_unlock(&c->tx_lock);
	if (!err) {
		heca_conn_account(&c->c, HECA_ACCT_PAGES_SENT, count);
		heca_conn_account(&c->c, HECA_ACCT_REQUESTS, 1);
	}
	return err;
}

static int heca_tcp_rx_one(struct heca_tcp_conn *c)
{
	bool dest = c->c.p.dest;
	struct heca_msg_hdr h;
	long len;
	u16 type;
	int err;

	err = heca_tcp_recv(c, &h, sizeof(h));
	if (err)
		return err;
	len = heca_proto_check_hdr(&h);
	if (len < 0)
		return len;
	type = le16_to_cpu(h.type);
	if (type == HECA_MSG_READ_RESP)
		return dest ? heca_tcp_rx_read_resp(c, len) : -EPROTO;
	if (type == HECA_MSG_READ_REQ)
		return dest ? -EPROTO : heca_tcp_rx_read_req(c, len);
	err = heca_tcp_recv(c, c->ctrl, len);
	if (err)
		return err;
	heca_conn_recv(&c->c, type, c->ctrl, len);
	return 0;
}

static int heca_tcp_rx_thread(void *arg)
{
	struct heca_tcp_conn *c = arg;
	int err = 0;

	while (!kthread_should_stop() && !err)
		err = heca_tcp_rx_one(c);
	if (err && !kthread_should_stop())
		heca_conn_fail(&c->c, err, "connection lost");

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

static struct heca_tcp_conn *
heca_tcp_conn_alloc(const struct heca_conn_params *p, struct socket *sock,
		    struct net *net)
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
	c->sock = sock;
	c->net = net;
	mutex_init(&c->tx_lock);
	xa_init_flags(&c->fetches, XA_FLAGS_ALLOC1);
	sock->sk->sk_sndtimeo = p->timeout;
	sock->sk->sk_rcvtimeo = MAX_SCHEDULE_TIMEOUT;
	tcp_sock_set_nodelay(sock->sk);
	return c;
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

static int heca_tcp_accept(struct heca_listener *listener,
			   unsigned long timeout, struct heca_conn **conn)
{
	struct heca_tcp_listener *l = container_of(listener,
						   struct heca_tcp_listener, l);
	struct socket *sock;
	struct heca_tcp_conn *c;
	int err;

	l->sock->sk->sk_rcvtimeo = timeout;
	err = kernel_accept(l->sock, &sock, 0);
	if (err)
		return err == -EAGAIN ? -ETIMEDOUT : err;
	c = heca_tcp_conn_alloc(&l->l.p, sock, get_net(l->net));
	if (!c) {
		put_net(l->net);
		sock_release(sock);
		return -ENOMEM;
	}
	*conn = &c->c;
	return 0;
}

static void heca_tcp_unlisten(struct heca_listener *listener)
{
	struct heca_tcp_listener *l = container_of(listener,
						   struct heca_tcp_listener, l);

	sock_release(l->sock);
	put_net(l->net);
	kfree(l);
}

static int heca_tcp_connect(const struct heca_conn_params *p,
			    const struct heca_addr *addr,
			    unsigned long timeout, struct heca_conn **conn)
{
	struct net *net = get_net(current->nsproxy->net_ns);
	struct sockaddr_storage ss;
	struct socket *sock;
	struct heca_tcp_conn *c;
	int len, err;

	len = heca_addr_to_sockaddr(addr, &ss);
	if (len < 0) {
		err = len;
		goto err_put_net;
	}
	err = sock_create_kern(net, ss.ss_family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		goto err_put_net;
	sock->sk->sk_sndtimeo = timeout;
	err = kernel_connect(sock, (struct sockaddr *)&ss, len, 0);
	if (err) {
		if (err == -EINPROGRESS || err == -EAGAIN)
			err = -ETIMEDOUT;
		goto err_release;
	}
	c = heca_tcp_conn_alloc(p, sock, net);
	if (!c) {
		err = -ENOMEM;
		goto err_release;
	}
	*conn = &c->c;
	return 0;

err_release:
	sock_release(sock);
err_put_net:
	put_net(net);
	return err;
}

static int heca_tcp_start(struct heca_conn *conn)
{
	struct heca_tcp_conn *c = to_tcp(conn);
	struct task_struct *t;

	t = kthread_run(heca_tcp_rx_thread, c, "heca-rx/%s", c->c.p.name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	c->rx = t;
	return 0;
}

static int heca_tcp_read_pages(struct heca_conn *conn, struct heca_fetch *f)
{
	struct heca_tcp_conn *c = to_tcp(conn);
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
	err = heca_tcp_send(c, HECA_MSG_READ_REQ, &rd, sizeof(rd));
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

	kernel_sock_shutdown(c->sock, SHUT_RDWR);
	if (c->rx)
		kthread_stop(c->rx);
	xa_for_each(&c->fetches, tag, f) {
		if (xa_erase(&c->fetches, tag) == f)
			heca_conn_fetch_done(&c->c, f, -ECONNRESET);
	}
	xa_destroy(&c->fetches);
	sock_release(c->sock);
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
