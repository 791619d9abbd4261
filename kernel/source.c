// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the source role.
 *
 * The source's pages stay where they are; the transport reads them when the
 * destination asks (TCP) or the destination reads them itself (RDMA).  At
 * the switchover, with the VM paused, the source sends the bitmap of the
 * pages it has: pages it never touched are zero, and are never sent.
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "heca.h"
#include "session.h"
#include "source.h"

/*
 * Words per EXISTS chunk: as many as fit a control message with the chunk's
 * header (8190 words, ~2 GiB of 4 KiB pages).
 */
#define HECA_EXISTS_WORDS	\
	((HECA_PROTO_MAX_CTRL - sizeof(struct heca_msg_bitmap)) / sizeof(u64))

/**
 * heca_source_page() - the source page at @idx for the transport to send
 * @s:   the session
 * @idx: page index, checked by the caller against the region
 *
 * Return: the page, or NULL for a page the source never touched (zero).
 * Pages live as long as the region, which the session pins.
 */
struct page *heca_source_page(struct heca_session *s, pgoff_t idx)
{
	return xa_load(&s->r->pages, idx);
}

static void heca_cpu_to_le64s(u64 *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cpu_to_le64s(&a[i]);
}

/* Zero words that end an EXISTS chunk: a new chunk costs its header. */
#define HECA_EXISTS_GAP_WORDS	4

/*
 * The bits of the EXISTS chunk that starts at @first (a multiple of 64,
 * its first word not zero): up to HECA_EXISTS_WORDS words, ending before
 * HECA_EXISTS_GAP_WORDS zero words in a row, so that a sparse set costs
 * what it holds, not the size of the region.
 */
static pgoff_t heca_source_chunk_bits(const unsigned long *set,
				      pgoff_t npages, pgoff_t first)
{
	pgoff_t k = first / 64, last = k;
	pgoff_t end = min_t(pgoff_t, k + HECA_EXISTS_WORDS,
			    DIV_ROUND_UP(npages, 64));

	/* Word k of the wire's 64-page words holds a page: k is the last. */
	for (; k < end && k - last <= HECA_EXISTS_GAP_WORDS; k++)
		if (find_next_bit(set, min_t(pgoff_t, (k + 1) * 64, npages),
				  k * 64) < min_t(pgoff_t, (k + 1) * 64, npages))
			last = k;
	return min_t(pgoff_t, (last + 1) * 64, npages) - first;
}

/*
 * Send @set (pages of @r) as EXISTS chunks, each from a word with a page
 * to the last before a gap (heca_source_chunk_bits()).  Returns 0 or the
 * transport's error.
 */
static int heca_source_send_set(struct heca_session *s,
				const unsigned long *set)
{
	struct heca_region *r = s->r;
	struct heca_msg_bitmap *bm;
	pgoff_t first, nbits;
	size_t words, len;
	u64 *arr;
	int err = 0;

	if (!s->sent) {
		s->sent = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
				   GFP_KERNEL);
		if (!s->sent)
			return -ENOMEM;
	}
	bitmap_or(s->sent, s->sent, set, r->npages);

	bm = kvmalloc(sizeof(*bm) + HECA_EXISTS_WORDS * sizeof(u64),
		      GFP_KERNEL);
	if (!bm)
		return -ENOMEM;
	arr = (u64 *)(bm + 1);

	for (first = 0; !err; first += nbits) {
		first = find_next_bit(set, r->npages, first);
		if (first >= r->npages)
			break;
		first = round_down(first, 64);
		nbits = heca_source_chunk_bits(set, r->npages, first);
		words = DIV_ROUND_UP(nbits, 64);
		bitmap_to_arr64(arr, set + first / BITS_PER_LONG, nbits);
		heca_cpu_to_le64s(arr, words);
		bm->first = cpu_to_le64(first);
		bm->nbits = cpu_to_le64(nbits);
		len = sizeof(*bm) + words * sizeof(u64);
		err = s->t->send_msg(s->conn, HECA_MSG_EXISTS, bm, len);
	}
	kvfree(bm);
	return err;
}

/**
 * heca_source_round() - send one pre-copy round
 * @s:      a connected source session, before the switchover
 * @round:  set to the round's number
 * @pages:  set to the pages in it
 *
 * Takes the dirty set (the first round arms write tracking and takes every
 * page the region has), sends it and ROUND.  The caller holds
 * r->session_lock.
 *
 * Return: 0, -ENOMEM or the transport's error.
 */
int heca_source_round(struct heca_session *s, u32 *round, u64 *pages)
{
	struct heca_region *r = s->r;
	struct heca_msg_round msg = { 0 };
	unsigned long *set;
	long n;
	int err;

	set = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long), GFP_KERNEL);
	if (!set)
		return -ENOMEM;
	n = heca_dirty_take(r, set);
	if (n < 0) {
		err = n;
		goto out_free;
	}
	/* RDMA: register the pages that appeared since the last round. */
	err = s->t->expose ? s->t->expose(s->conn) : 0;
	if (!err)
		err = heca_source_send_set(s, set);
	if (err)
		goto out_free;
	msg.round = cpu_to_le32(r->dirty_round);
	msg.pages = cpu_to_le64(n);
	err = s->t->send_msg(s->conn, HECA_MSG_ROUND, &msg, sizeof(msg));
	*round = r->dirty_round;
	*pages = n;
out_free:
	kvfree(set);
	return err;
}

/**
 * heca_source_switchover() - expose the pages, send the final set and SWITCH
 * @s: a connected source session; the VM is paused
 *
 * After pre-copy rounds the final set is what was written since the last
 * one; without rounds (post-copy) it is every page the region has, taken
 * without arming write tracking.
 *
 * Return: 0 or the transport's error.
 */
int heca_source_switchover(struct heca_session *s)
{
	struct heca_region *r = s->r;
	struct heca_msg_switch sw;
	unsigned long *set, idx;
	struct page *page;
	long n;
	int err;

	/* RDMA: register the pages the destination will read. */
	err = s->t->expose ? s->t->expose(s->conn) : 0;
	if (err)
		return err;

	set = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long), GFP_KERNEL);
	if (!set)
		return -ENOMEM;
	if (r->dirty_armed) {
		n = heca_dirty_take(r, set);
		err = n < 0 ? n : 0;
	} else {
		xa_for_each(&r->pages, idx, page)
			__set_bit(idx, set);
	}
	if (!err)
		err = heca_source_send_set(s, set);
	kvfree(set);
	if (err)
		return err;

	/* The pages the destination has from us: all sets together. */
	sw.remote = cpu_to_le64(bitmap_weight(s->sent, r->npages));
	return s->t->send_msg(s->conn, HECA_MSG_SWITCH, &sw, sizeof(sw));
}

/* Source: the destination holds every page of a round. */
static int heca_source_synced(struct heca_region *r, const void *payload,
			      size_t len)
{
	const struct heca_msg_round *m = payload;
	u32 round;

	if (len != sizeof(*m) || m->reserved || m->pages)
		return -EPROTO;
	round = le32_to_cpu(m->round);
	spin_lock_irq(&r->state_lock);
	if (round <= r->synced_round || round > r->dirty_round) {
		spin_unlock_irq(&r->state_lock);
		return -EPROTO;
	}
	r->synced_round = round;
	spin_unlock_irq(&r->state_lock);
	wake_up_all(&r->state_wq);
	return 0;
}

/* Source: the destination took the switchover; the VM may run there. */
static int heca_source_switched(struct heca_region *r)
{
	int err = 0;

	spin_lock_irq(&r->state_lock);
	if (r->switched || r->state != HECA_STATE_RUNNING)
		err = -EPROTO;
	else
		r->switched = true;
	spin_unlock_irq(&r->state_lock);
	wake_up_all(&r->state_wq);
	return err;
}

/* A message from the destination: DONE, SYNCED or SWITCHED. */
static int heca_source_recv(struct heca_session *s, u16 type,
			    const void *payload, size_t len)
{
	struct heca_region *r = s->r;

	switch (type) {
	case HECA_MSG_DONE:
		/* Only after the switchover: every page then went. */
		return !len && heca_region_set_state(r, HECA_STATE_COMPLETE, 0) ?
		       0 : -EPROTO;
	case HECA_MSG_SYNCED:
		return heca_source_synced(r, payload, len);
	case HECA_MSG_SWITCHED:
		return len ? -EPROTO : heca_source_switched(r);
	default:
		return -EPROTO;
	}
}

/*
 * A new session starts from a clean slate: the source forgets the write
 * tracking of an earlier session or of HECA_IOC_DIRTY (its first round
 * takes every page again).
 */
static int heca_source_prepare(struct heca_region *r)
{
	lockdep_assert_held(&r->session_lock);
	heca_dirty_reset(r);
	return 0;
}

static void heca_source_fill_stats(struct heca_region *r,
				   struct heca_stats *st)
{
	st->round = r->dirty_round;
	st->pages_present = atomic_long_read(&r->resident);
	st->pages_remote = st->pages_present;
}

static vm_fault_t heca_source_fault(struct vm_fault *vmf)
{
	struct heca_region *r = vmf->vma->vm_private_data;
	struct page *page;

	if (unlikely(vmf->pgoff >= r->npages))
		return VM_FAULT_SIGBUS;
	page = heca_region_page(r, vmf->pgoff, NULL);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));

	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct heca_source_vm_ops = {
	.fault = heca_source_fault,
	.page_mkwrite = heca_page_mkwrite,
};

const struct heca_role heca_source_role = {
	.name = "source",
	.region_flags = 0,
	.stats_role = 0,
	.accepts = false,
	.vm_ops = &heca_source_vm_ops,
	.free = heca_dirty_free,
	.prepare = heca_source_prepare,
	.recv = heca_source_recv,
	.fill_stats = heca_source_fill_stats,
};
