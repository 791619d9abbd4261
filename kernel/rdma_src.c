// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: the source exposes its region: it registers its chunks
 * read-only with fast registrations and sends the destination where they
 * are, in HECA_MSG_MEMORY messages.
 */

#include "rdma.h"

#include <linux/log2.h>

/* ---- source: exposing the region -------------------------------------- */

static void heca_rdma_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct heca_rdma_conn *c = container_of(wc->wr_cqe, struct heca_rdma_conn,
						src.reg_cqe);

	heca_rdma_sq_put(&c->main, 1);
	if (wc->status != IB_WC_SUCCESS) {
		heca_rdma_wc_error(&c->main, wc, "memory registration");
		WRITE_ONCE(c->src.reg_err, heca_rdma_wc_errno(wc->status));
	}
	if (atomic_dec_and_test(&c->src.reg_pending))
		complete(&c->src.reg_done);
}

/* Post @n chained registrations and wait for all of them. */
static int heca_rdma_post_regs(struct heca_rdma_conn *c, struct ib_reg_wr *wr,
			       unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++)
		wr[i].wr.next = i + 1 < n ? &wr[i + 1].wr : NULL;
	err = heca_rdma_sq_get(&c->main, n);
	if (err)
		return err;
	reinit_completion(&c->src.reg_done);
	atomic_set(&c->src.reg_pending, n);
	WRITE_ONCE(c->src.reg_err, 0);
	err = ib_post_send(c->main.qp, &wr[0].wr, NULL);
	if (err) {
		/* What was posted completes flushed; the QP drains at close. */
		heca_rdma_kill(&c->main, err);
		return err;
	}
	if (!wait_for_completion_timeout(&c->src.reg_done, c->base.p.timeout)) {
		heca_rdma_kill(&c->main, -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	return READ_ONCE(c->src.reg_err);
}

/* Whether chunk @i has a page its latest registration lacks (or has none). */
static bool heca_rdma_chunk_stale(struct heca_rdma_conn *c, unsigned long i)
{
	struct heca_rdma_lmr *l = c->src.chunks[i];
	pgoff_t first = (pgoff_t)i << c->src.lmr_shift;
	pgoff_t last = min_t(pgoff_t, first + (1UL << c->src.lmr_shift),
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
	struct ib_device *ibdev = c->main.dev->ibdev;
	pgoff_t first = (pgoff_t)i << c->src.lmr_shift;
	struct heca_rdma_lmr *l;
	struct scatterlist *sg;
	struct page *page;
	unsigned int n, j;
	struct ib_mr *mr;
	int ret;

	n = min_t(pgoff_t, 1UL << c->src.lmr_shift, npages - first);
	l = kzalloc(struct_size(l, real, BITS_TO_LONGS(n)), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	list_add_tail(&l->node, &c->src.lmr_list);	/* freed by unexpose */

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

	mr = ib_alloc_mr(c->main.dev->pd, IB_MR_TYPE_MEM_REG, n);
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
	wr->wr.wr_cqe = &c->src.reg_cqe;
	wr->wr.send_flags = IB_SEND_SIGNALED;
	wr->mr = mr;
	wr->key = mr->rkey;
	wr->access = IB_ACCESS_REMOTE_READ;
	c->src.chunks[i] = l;
	return 0;
}

/*
 * Deregister everything (which invalidates the rkeys); the QP is drained,
 * or never ran.
 */
void heca_rdma_unexpose(struct heca_rdma_conn *c)
{
	struct heca_rdma_lmr *l, *tmp;

	list_for_each_entry_safe(l, tmp, &c->src.lmr_list, node) {
		if (l->mr)
			ib_dereg_mr(l->mr);
		if (l->mapped)
			ib_dma_unmap_sg(c->main.dev->ibdev, l->sgt.sgl,
					l->sgt.orig_nents, DMA_TO_DEVICE);
		sg_free_table(&l->sgt);
		list_del(&l->node);
		kfree(l);
	}
	kvfree(c->src.chunks);
	c->src.chunks = NULL;
	c->src.nchunks = 0;
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
	for_each_set_bit(i, set, c->src.nchunks) {
		mr = c->src.chunks[i]->mr;
		e[n].chunk = cpu_to_le32(i);
		e[n].rkey = cpu_to_le32(mr->rkey);
		e[n].iova = cpu_to_le64(mr->iova);
		if (++n < HECA_RDMA_MRS_PER_MSG)
			continue;
		m->chunk_shift = cpu_to_le32(c->src.lmr_shift);
		m->count = cpu_to_le32(n);
		err = heca_rdma_send_msg(&c->main, HECA_MSG_MEMORY, m,
					 sizeof(*m) + n * sizeof(*e));
		n = 0;
		if (err)
			break;
	}
	if (!err && n) {
		m->chunk_shift = cpu_to_le32(c->src.lmr_shift);
		m->count = cpu_to_le32(n);
		err = heca_rdma_send_msg(&c->main, HECA_MSG_MEMORY, m,
					 sizeof(*m) + n * sizeof(*e));
	}
	kvfree(m);
	return err;
}

static int heca_rdma_expose_init(struct heca_rdma_conn *c)
{
	struct ib_device *ibdev = c->main.dev->ibdev;
	unsigned int max = ibdev->attrs.max_fast_reg_page_list_len;

	if (max < HECA_RDMA_MR_MIN_PAGES) {
		pr_err("%s: %s registers at most %u pages at once, heca needs %lu\n",
		       heca_rdma_name(&c->main), dev_name(&ibdev->dev), max,
		       HECA_RDMA_MR_MIN_PAGES);
		return -EOPNOTSUPP;
	}
	/* Chunks of max_fast_reg_page_list_len pages (a power of 2). */
	c->src.lmr_shift = min_t(unsigned int, ilog2(max), HECA_RDMA_MR_MAX_SHIFT);
	c->src.nchunks = DIV_ROUND_UP(c->base.p.npages, 1UL << c->src.lmr_shift);
	c->src.chunks = kvcalloc(c->src.nchunks, sizeof(*c->src.chunks), GFP_KERNEL);
	return c->src.chunks ? 0 : -ENOMEM;
}

/*
 * Before a set of pages is announced (each pre-copy round, the switchover):
 * register, read-only, every chunk with a page that its latest
 * registration does not map (at first: every chunk with a page), and tell
 * the destination, before the set, where they are.
 */
int heca_rdma_expose(struct heca_rdma_conn *c)
{
	unsigned long *announce = NULL, i;
	struct ib_reg_wr *wr;
	unsigned int n = 0;
	int err;

	err = heca_rdma_err(&c->main);
	if (!err && !c->src.chunks)
		err = heca_rdma_expose_init(c);
	if (err)
		return err;
	wr = kcalloc(HECA_RDMA_REG_BATCH, sizeof(*wr), GFP_KERNEL);
	announce = kvcalloc(BITS_TO_LONGS(c->src.nchunks), sizeof(long),
			    GFP_KERNEL);
	if (!wr || !announce) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->src.nchunks && !err; i++) {
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

/* The source's part of @c, at its allocation. */
void heca_rdma_src_init(struct heca_rdma_conn *c)
{
	c->src.reg_cqe.done = heca_rdma_reg_done;
	init_completion(&c->src.reg_done);
	INIT_LIST_HEAD(&c->src.lmr_list);
}
