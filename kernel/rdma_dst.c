// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: the destination keeps the table of the source's chunks (from
 * HECA_MSG_MEMORY) and READs the pages of each fetch through it.
 */

#include "rdma.h"
#include "trace_rdma.h"

/* ---- destination: the table and the reads ---------------------------- */

int heca_rdma_set_memory(struct heca_rdma_conn *c, const void *payload,
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
	if (c->dst.rmrs && shift != c->dst.rmr_shift)
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
	if (!c->dst.rmrs) {
		table = kvcalloc(nchunks, sizeof(*table), GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}

	spin_lock_irq(&c->dst.rmr_lock);
	final = c->dst.rmrs_final;
	if (!final && table) {
		c->dst.rmrs = table;
		c->dst.nrmrs = nchunks;
		c->dst.rmr_shift = shift;
		table = NULL;
	}
	for (i = 0; i < count && !final; i++) {
		/* A chunk registered anew: reads from now on use this one. */
		rmr = &c->dst.rmrs[le32_to_cpu(e[i].chunk)];
		rmr->iova = le64_to_cpu(e[i].iova);
		rmr->rkey = le32_to_cpu(e[i].rkey);
		rmr->valid = true;
	}
	spin_unlock_irq(&c->dst.rmr_lock);
	kvfree(table);
	return final ? -EPROTO : 0;
}

static void heca_rdma_read_destroy(struct heca_rdma_chan *ch,
				   struct heca_rdma_read *rd)
{
	unsigned int i;

	for (i = 0; i < rd->nctx; i++)
		rdma_rw_ctx_destroy(&rd->seg[i].ctx, ch->qp, ch->port,
				    &rd->sg[rd->seg[i].first], rd->seg[i].n,
				    DMA_FROM_DEVICE);
}

void heca_rdma_read_finish(struct heca_rdma_read *rd)
{
	struct heca_rdma_conn *c = rd->c;
	struct heca_fetch *f = rd->f;
	int err;

	heca_rdma_read_destroy(rd->ch, rd);
	heca_rdma_sq_put(rd->ch, rd->nwqe);
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
		heca_rdma_wc_error(rd->ch, wc, "READ");
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

	spin_lock_irq(&c->dst.rmr_lock);
	while (i < f->count) {
		idx = f->first + i;
		chunk = idx >> c->dst.rmr_shift;
		if (!c->dst.rmrs || chunk >= c->dst.nrmrs || !c->dst.rmrs[chunk].valid ||
		    rd->nseg == HECA_RDMA_MAX_SEGS) {
			err = -EPROTO;	/* the source said it has the page */
			break;
		}
		rmr = &c->dst.rmrs[chunk];
		end = (chunk + 1) << c->dst.rmr_shift;
		n = min_t(pgoff_t, f->count - i, end - idx);
		rd->seg[rd->nseg].first = i;
		rd->seg[rd->nseg].n = n;
		rd->seg[rd->nseg].raddr = rmr->iova +
			((u64)(idx - (chunk << c->dst.rmr_shift)) << PAGE_SHIFT);
		rd->seg[rd->nseg].rkey = rmr->rkey;
		rd->nseg++;
		i += n;
	}
	spin_unlock_irq(&c->dst.rmr_lock);
	return err;
}

/* The READ contexts of @rd's segments (DMA-maps the fetch's pages). */
static int heca_rdma_read_init(struct heca_rdma_chan *ch,
			       struct heca_rdma_read *rd)
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
		ret = rdma_rw_ctx_init(&rd->seg[rd->nctx].ctx, ch->qp, ch->port,
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
 * @c: the connection
 * @f: the fetch
 *
 * One READ per up to max_sge_rd pages, posted at once.  A fetch a fault
 * waits for (@f->urgent) goes on the urgent channel's QP, where it waits
 * behind nothing but other urgent READs; a background one on the main
 * channel's.  The table of the source's registrations is the
 * connection's; its rkeys serve both QPs (one PD on the source).
 *
 * Return: 0 when the fetch's completion follows, or an error (it does not).
 */
int heca_rdma_read_pages(struct heca_rdma_conn *c, struct heca_fetch *f)
{
	struct heca_rdma_chan *q = f->urgent && c->urgent ? c->urgent : &c->main;
	struct heca_rdma_read *rd;
	unsigned long flags;
	unsigned int posted;
	int err;

	err = heca_rdma_err(&c->main) ?: heca_rdma_err(q);
	if (err)
		return err;
	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->cqe.done = heca_rdma_read_done;
	rd->c = c;
	rd->ch = q;
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
	trace_heca_rdma_read(c->base.p.name, f->first, f->count, f->urgent,
			     q != &c->main);

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
		 * end the fetch only after the teardown drained the QP.
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

/* SWITCH came: no MEMORY after it. */
void heca_rdma_set_final(struct heca_rdma_conn *c)
{
	spin_lock_irq(&c->dst.rmr_lock);
	c->dst.rmrs_final = true;
	spin_unlock_irq(&c->dst.rmr_lock);
}

/* The destination's part of @c, at its allocation. */
void heca_rdma_dst_init(struct heca_rdma_conn *c)
{
	spin_lock_init(&c->dst.rmr_lock);
}

/* At the teardown, after both QPs are drained. */
void heca_rdma_dst_free(struct heca_rdma_conn *c)
{
	kvfree(c->dst.rmrs);
}
