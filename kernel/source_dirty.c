// SPDX-License-Identifier: GPL-2.0
/*
 * heca: write tracking of a source region (pre-copy's dirty sets).
 *
 * Once armed, every write to a page of the region after the last round is
 * recorded: a round write-protects each page it takes (folio_mkclean, which
 * also makes KVM drop its writable mapping through the MMU notifier) and the
 * next write faults into heca_page_mkwrite(), which sets the page's bit.
 * Both hold the page lock, so a write either lands before the round takes
 * the page (and is read with it) or sets the bit for the next round.
 * See Documentation/design.rst, "Dirty tracking".
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "heca.h"
#include "source.h"

/**
 * heca_page_mkwrite() - the first write to a write-protected page
 * @vmf: the fault
 *
 * Return: VM_FAULT_LOCKED (the page stays locked until its PTE is
 * writable, which closes the race with a round's folio_mkclean()), or
 * VM_FAULT_NOPAGE if the page is no longer the region's.
 */
vm_fault_t heca_page_mkwrite(struct vm_fault *vmf)
{
	struct heca_region *r = vmf->vma->vm_private_data;
	vm_fault_t ret;

	ret = heca_region_page_mkwrite(vmf);
	if (ret == VM_FAULT_LOCKED && READ_ONCE(r->dirty_armed))
		set_bit(vmf->page->index, r->dirty);
	return ret;
}

/*
 * Take @page for this round: write-protect it, then forget its old dirty
 * bit, under the page lock; a write after the protection faults into
 * heca_page_mkwrite(), waits for the lock and sets the bit again.
 */
static void heca_dirty_take_page(struct heca_region *r, struct page *page)
{
	lock_page(page);
	folio_mkclean(page_folio(page));
	clear_bit(page->index, r->dirty);
	unlock_page(page);
}

/**
 * heca_dirty_take() - take and clear the dirty set, and re-arm tracking
 * @r:   a source region
 * @out: a zeroed bitmap of @r->npages bits that receives the set
 *
 * The first call arms tracking and takes every page the region has.
 * Write protection is per page (folio_mkclean) for small sets and one
 * unmap of every mapping for large ones (the first round, and sets over a
 * sixteenth of the region): then reads fault once more too, but KVM gets
 * one invalidation instead of one per page.  Callers serialize (the
 * session lock, or the ioctl's exclusion of sessions).
 *
 * Return: the number of pages taken, or -ENOMEM.
 */
long heca_dirty_take(struct heca_region *r, unsigned long *out)
{
	struct page *page;
	unsigned long idx, n = 0;

	if (!r->dirty) {
		r->dirty = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long),
				    GFP_KERNEL_ACCOUNT);
		if (!r->dirty)
			return -ENOMEM;
	}
	if (!r->dirty_armed) {
		/*
		 * From now on writes are recorded; take everything there is,
		 * then unmap every mapping at once (one MMU notifier call for
		 * KVM instead of one per page): the next write to any page
		 * faults into heca_page_mkwrite().  A write before the unmap
		 * lands in a page of this round, which is read after it.
		 */
		WRITE_ONCE(r->dirty_armed, true);
		xa_for_each(&r->pages, idx, page) {
			clear_bit(idx, r->dirty);
			__set_bit(idx, out);
			n++;
		}
		unmap_mapping_range(r->inode->i_mapping, 0, 0, 0);
		r->dirty_round = 1;
		return n;
	}
	n = bitmap_weight(r->dirty, r->npages);
	if (n > r->npages / 16) {
		/*
		 * Many pages: the same in bulk.  A page written between its
		 * bit's clearing and the unmap is in this round; any other
		 * page is write-protected already, so its write faults.
		 */
		n = 0;
		for_each_set_bit(idx, r->dirty, r->npages) {
			if (test_and_clear_bit(idx, r->dirty)) {
				__set_bit(idx, out);
				n++;
			}
		}
		unmap_mapping_range(r->inode->i_mapping, 0, 0, 0);
		r->dirty_round++;
		return n;
	}
	n = 0;
	for_each_set_bit(idx, r->dirty, r->npages) {
		page = xa_load(&r->pages, idx);
		if (WARN_ON_ONCE(!page))
			continue;
		heca_dirty_take_page(r, page);
		__set_bit(idx, out);
		n++;
		cond_resched();
	}
	r->dirty_round++;
	return n;
}

/**
 * heca_dirty_reset() - forget earlier rounds: the next one takes everything
 * @r: a source region; callers serialize as for heca_dirty_take()
 *
 * Tracking stops (writes no longer fault into heca_page_mkwrite() once
 * their pages were written once more), the round count restarts.
 */
void heca_dirty_reset(struct heca_region *r)
{
	WRITE_ONCE(r->dirty_armed, false);
	r->dirty_round = 0;
	if (r->dirty)
		bitmap_zero(r->dirty, r->npages);
}

/**
 * heca_dirty_free() - stop tracking and free the bitmap
 * @r: the region, unused
 */
void heca_dirty_free(struct heca_region *r)
{
	kvfree(r->dirty);
	r->dirty = NULL;
	r->dirty_armed = false;
}

/**
 * heca_dirty_ioctl() - HECA_IOC_DIRTY
 * @r: the region
 * @a: the argument, argsz checked; @a->pages and @a->round are set
 *
 * Return: 0; -EINVAL for nonzero flags or reserved fields or a short
 * buffer (the dispatcher refuses a destination region); -EBUSY while a session exists; -EFAULT;
 * -ENOMEM.
 */
int heca_dirty_ioctl(struct heca_region *r, struct heca_dirty *a)
{
	size_t words = DIV_ROUND_UP(r->npages, 64);
	unsigned long *set;
	u64 *arr;
	long n;
	int err = 0;

	if (a->flags || a->reserved0 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->bitmap_bytes < words * sizeof(u64))
		return -EINVAL;

	set = kvcalloc(BITS_TO_LONGS(r->npages), sizeof(long), GFP_KERNEL);
	arr = kvcalloc(words, sizeof(u64), GFP_KERNEL);
	if (!set || !arr) {
		err = -ENOMEM;
		goto out_free;
	}

	/* The session lock keeps sessions, and their rounds, away. */
	mutex_lock(&r->session_lock);
	if (r->session) {
		mutex_unlock(&r->session_lock);
		err = -EBUSY;
		goto out_free;
	}
	n = heca_dirty_take(r, set);
	a->round = r->dirty_round;
	mutex_unlock(&r->session_lock);
	if (n < 0) {
		err = n;
		goto out_free;
	}
	a->pages = n;
	bitmap_to_arr64(arr, set, r->npages);
	if (copy_to_user(u64_to_user_ptr(a->bitmap), arr,
			 words * sizeof(u64)))
		err = -EFAULT;
out_free:
	kvfree(arr);
	kvfree(set);
	return err;
}
