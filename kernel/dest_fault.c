// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination role: faults on its mappings.
 *
 * A fault on an absent page queues an urgent fetch of it, which the puller
 * (dest_pull.c) issues ahead of the background pull.
 *
 * Fault contract (Documentation/design.rst, "Fault path"): with
 * FAULT_FLAG_RETRY_NOWAIT (KVM's first try) answer VM_FAULT_RETRY at once,
 * holding mmap_lock, so KVM can run the vCPU on while the page comes; with
 * ALLOW_RETRY alone pin the region, drop mmap_lock, wait (killable, bounded)
 * and answer VM_FAULT_RETRY; without ALLOW_RETRY wait holding the lock,
 * then map the page or answer SIGBUS.  Every wait is bounded by the
 * session's fault timeout (without a session, the default 30 s); a page
 * that does not come in time fails the session, and a failed session
 * answers SIGBUS, or VM_FAULT_HWPOISON to KVM's first try (see
 * heca_dest_map()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "heca.h"
#include "dest.h"
#include "session.h"
#include "trace.h"

/*
 * Wait for page @idx, at most the session's fault timeout.  Returns 0 when
 * it is settled (present, zero, or the session failed), -EINTR on a fatal
 * signal (@killable), -ETIMEDOUT after failing the session.
 */
static int heca_dest_wait(struct heca_region *r, pgoff_t idx, bool killable)
{
	struct heca_dest *d = r->dest;
	unsigned long timeout = heca_dest_timeout(d);
	long ret;

	if (killable)
		ret = wait_event_killable_timeout(d->page_wq,
						  heca_dest_settled(r, idx),
						  timeout);
	else
		ret = wait_event_timeout(d->page_wq, heca_dest_settled(r, idx),
					 timeout);
	if (ret > 0)
		return 0;
	if (ret < 0)
		return -EINTR;
	heca_session_fail(r, -ETIMEDOUT, "a page did not arrive in time");
	return -ETIMEDOUT;
}

static vm_fault_t heca_dest_map(struct heca_region *r, struct vm_fault *vmf,
				enum heca_page_kind kind)
{
	struct page *page;
	bool fresh;

	switch (kind) {
	case HECA_PAGE_MAP:
		/*
		 * Map it locked: a set from the source that invalidates the
		 * page takes the lock before it unmaps, so it unmaps this
		 * mapping too.  If it got here first, wait for the new data.
		 */
		page = xa_load(&r->pages, vmf->pgoff);
		if (WARN_ON_ONCE(!page))
			return VM_FAULT_SIGBUS;
		lock_page(page);
		if (!test_bit(vmf->pgoff, r->dest->present)) {
			unlock_page(page);
			return VM_FAULT_NOPAGE;
		}
		get_page(page);
		vmf->page = page;
		return VM_FAULT_LOCKED;
	case HECA_PAGE_ZERO:
		page = heca_region_page(r, vmf->pgoff, &fresh);
		if (IS_ERR(page))
			return vmf_error(PTR_ERR(page));
		if (fresh)
			atomic64_inc(&r->stats.pages_zero);
		break;
	default:
		/*
		 * A page the failed session will never bring.  KVM's first try
		 * (RETRY_NOWAIT) takes a plain GUP failure as a reason to go
		 * asynchronous and would retry forever; a poisoned page it
		 * turns into SIGBUS (BUS_MCEERR_AR) for the vCPU thread, as
		 * for a memory error.  Everybody else gets SIGBUS.
		 */
		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT)
			return VM_FAULT_HWPOISON;
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

/**
 * heca_dest_fault() - a fault on a destination region
 * @vmf: the fault; the region (pinned by the mapping's file) is the VMA's
 *
 * Return: 0 with vmf->page set, VM_FAULT_RETRY (see the file comment for
 * whether mmap_lock is still held), VM_FAULT_SIGBUS or VM_FAULT_OOM.
 */
static vm_fault_t heca_dest_fault(struct vm_fault *vmf)
{
	struct heca_region *r = vmf->vma->vm_private_data;
	struct heca_dest *d = r->dest;
	enum heca_page_kind kind;
	bool queued = false;
	vm_fault_t ret;

	if (unlikely(vmf->pgoff >= r->npages))
		return VM_FAULT_SIGBUS;

	spin_lock(&d->lock);
	kind = heca_dest_classify(r, vmf->pgoff, true, &queued);
	spin_unlock(&d->lock);
	trace_heca_fault(r->name, vmf->pgoff, vmf->flags, kind);
	if (queued)
		atomic64_inc(&r->stats.faults);
	if (kind != HECA_PAGE_WAIT)
		return heca_dest_map(r, vmf, kind);

	if (vmf->flags & FAULT_FLAG_ALLOW_RETRY) {
		if (vmf->flags & FAULT_FLAG_RETRY_NOWAIT) {
			/* KVM goes asynchronous: mmap_lock stays held. */
			atomic64_inc(&r->stats.faults_nowait);
			return VM_FAULT_RETRY;
		}
		if (vmf->flags & FAULT_FLAG_REMOTE)
			atomic64_inc(&r->stats.faults_async);
		/* The VMA may go once the lock is dropped: pin the region. */
		heca_region_get(r);
		mmap_read_unlock(vmf->vma->vm_mm);
		heca_dest_wait(r, vmf->pgoff,
			       vmf->flags & FAULT_FLAG_KILLABLE);
		trace_heca_fault_done(r->name, vmf->pgoff,
				      (__force unsigned int)VM_FAULT_RETRY);
		heca_region_put(r);
		return VM_FAULT_RETRY;
	}

	/* No retry allowed: wait with mmap_lock held, then map or fail. */
	if (heca_dest_wait(r, vmf->pgoff, false)) {
		ret = VM_FAULT_SIGBUS;
	} else {
		spin_lock(&d->lock);
		kind = heca_dest_classify(r, vmf->pgoff, false, &queued);
		spin_unlock(&d->lock);
		ret = heca_dest_map(r, vmf, kind);
	}
	trace_heca_fault_done(r->name, vmf->pgoff, (__force unsigned int)ret);
	return ret;
}

const struct vm_operations_struct heca_dest_vm_ops = {
	.fault = heca_dest_fault,
	.page_mkwrite = heca_region_page_mkwrite,
};
