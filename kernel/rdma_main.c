// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: the transport's ops table, module init and exit.
 */

#include "rdma.h"

static struct heca_rdma_conn *to_rdma(struct heca_conn *c)
{
	return container_of(c, struct heca_rdma_conn, base);
}

static int heca_rdma_op_recv_msg(struct heca_conn *c, struct heca_msg_hdr *hdr,
				 void *buf, size_t max, unsigned long timeout)
{
	return heca_rdma_recv_msg(&to_rdma(c)->main, hdr, buf, max, timeout);
}

static int heca_rdma_op_send_msg(struct heca_conn *c, u16 type,
				 const void *payload, size_t len)
{
	return heca_rdma_send_msg(&to_rdma(c)->main, type, payload, len);
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

static struct heca_transport heca_rdma_transport;

static int heca_rdma_op_listen(const struct heca_conn_params *p,
			       const struct heca_addr *addr,
			       struct heca_listener **l)
{
	return heca_rdma_listen(&heca_rdma_transport, p, addr, l);
}

static int heca_rdma_op_connect(const struct heca_conn_params *p,
				const struct heca_addr *addr,
				unsigned long timeout, struct heca_conn **c)
{
	return heca_rdma_connect(&heca_rdma_transport, p, addr, timeout, c);
}

static struct heca_transport heca_rdma_transport = {
	.name = "rdma",
	.id = HECA_TRANSPORT_RDMA,
	.owner = THIS_MODULE,
	.listen = heca_rdma_op_listen,
	.accept = heca_rdma_accept,
	.unlisten = heca_rdma_unlisten,
	.connect = heca_rdma_op_connect,
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
	err = heca_rdma_dev_init();
	if (err)
		goto err_destroy_wq;
	err = heca_transport_register(&heca_rdma_transport);
	if (err)
		goto err_unregister_client;
	return 0;

err_unregister_client:
	heca_rdma_dev_exit();
err_destroy_wq:
	destroy_workqueue(heca_rdma_wq);
	return err;
}

static void __exit heca_rdma_exit(void)
{
	/* No session holds the module: none uses the transport. */
	heca_transport_unregister(&heca_rdma_transport);
	heca_rdma_dev_exit();
	destroy_workqueue(heca_rdma_wq);
}

module_init(heca_rdma_init);
module_exit(heca_rdma_exit);

MODULE_DESCRIPTION("heca: the RDMA transport (rdma_cm, RDMA READ)");
MODULE_AUTHOR("The heca developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS_HECA_TRANSPORT(HECA_TRANSPORT_RDMA);
