// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the source side of a session.
 *
 * The source's pages stay where they are; the transport reads them when the
 * destination asks (TCP) or the destination reads them itself (RDMA).  At
 * the switchover, with the VM paused, the source sends the bitmap of the
 * pages it has: pages it never touched are zero, and are never sent.
 */

#include <linux/mm.h>
#include <linux/slab.h>

#include "heca.h"
#include "session.h"

/* Bits per EXISTS chunk: 8192 words, 2 GiB of 4 KiB pages. */
#define HECA_EXISTS_WORDS	8192

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

/**
 * heca_source_switchover() - send the page-existence bitmap and SWITCH
 * @s: a connected source session; the VM is paused
 *
 * Return: 0 or the transport's error.
 */
int heca_source_switchover(struct heca_session *s)
{
	struct heca_region *r = s->r;
	struct heca_msg_bitmap *bm;
	struct heca_msg_switch sw;
	unsigned long idx, remote = 0;
	pgoff_t first, nbits;
	struct page *page;
	__le64 *words;
	size_t len;
	u64 w;
	int err = 0;

	bm = kvmalloc(sizeof(*bm) + HECA_EXISTS_WORDS * sizeof(u64),
		      GFP_KERNEL);
	if (!bm)
		return -ENOMEM;
	words = (__le64 *)(bm + 1);

	for (first = 0; first < r->npages && !err;
	     first += HECA_EXISTS_WORDS * 64) {
		nbits = min_t(pgoff_t, HECA_EXISTS_WORDS * 64,
			      r->npages - first);
		memset(words, 0, HECA_EXISTS_WORDS * sizeof(u64));
		xa_for_each_range(&r->pages, idx, page, first,
				  first + nbits - 1) {
			w = le64_to_cpu(words[(idx - first) / 64]);
			w |= 1ULL << ((idx - first) % 64);
			words[(idx - first) / 64] = cpu_to_le64(w);
			remote++;
		}
		bm->first = cpu_to_le64(first);
		bm->nbits = cpu_to_le64(nbits);
		len = sizeof(*bm) + DIV_ROUND_UP(nbits, 64) * sizeof(u64);
		err = s->ops->send_msg(s->conn, HECA_MSG_EXISTS, bm, len);
	}
	kvfree(bm);
	if (err)
		return err;

	sw.remote = cpu_to_le64(remote);
	return s->ops->send_msg(s->conn, HECA_MSG_SWITCH, &sw, sizeof(sw));
}
