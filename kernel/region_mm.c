// SPDX-License-Identifier: GPL-2.0
/*
 * heca: region memory.
 *
 * A region's pages are ordinary order-0 pages, allocated zeroed on first
 * touch and charged to the creator's memory cgroup.  They live in the
 * region's own xarray, not in the page cache, but page->mapping and
 * page->index point at the region's private address_space so that rmap
 * walks (folio_mkclean, unmap_mapping_range) find every mapping of them.
 * See Documentation/design.rst.
 */

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>

#include "heca.h"

#define HECA_FS_MAGIC	0x68656361	/* "heca" */

static int heca_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, HECA_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * The pseudo filesystem that holds the regions' anon inodes.  Each region
 * pins it; the pin holds a reference on this module (owner), so the module
 * cannot be unloaded while any region exists.
 */
static struct file_system_type heca_fs_type = {
	.name = "heca",
	.owner = THIS_MODULE,
	.init_fs_context = heca_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static struct vfsmount *heca_fs_mnt;
static int heca_fs_count;

/*
 * Writes to a shared mapping mark the page dirty through this; heca has no
 * backing store to write back to, so there is nothing to record.
 */
static const struct address_space_operations heca_aops = {
	.dirty_folio = noop_dirty_folio,
};

/**
 * heca_region_mm_init() - give a region its address_space and memcg
 * @r: a region being created, not yet visible
 *
 * On failure the caller frees what was set up with heca_region_mm_free().
 *
 * Return: 0 or a negative errno.
 */
int heca_region_mm_init(struct heca_region *r)
{
	struct inode *inode;
	int err;

	xa_init(&r->pages);
	atomic_long_set(&r->resident, 0);

	err = simple_pin_fs(&heca_fs_type, &heca_fs_mnt, &heca_fs_count);
	if (err)
		return err;
	r->fs_pinned = true;

	inode = alloc_anon_inode(heca_fs_mnt->mnt_sb);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	inode->i_mapping->a_ops = &heca_aops;
	i_size_write(inode, r->size);
	r->inode = inode;

	r->memcg = get_mem_cgroup_from_mm(current->mm);
	return 0;
}

/**
 * heca_region_mm_free() - free a region's pages and address_space
 * @r: a region nobody can open or map any more
 */
void heca_region_mm_free(struct heca_region *r)
{
	struct page *page;
	unsigned long idx;

	xa_for_each(&r->pages, idx, page) {
		page->mapping = NULL;
		put_page(page);
	}
	xa_destroy(&r->pages);

	mem_cgroup_put(r->memcg);
	r->memcg = NULL;
	if (r->inode) {
		iput(r->inode);
		r->inode = NULL;
	}
	if (r->fs_pinned) {
		simple_release_fs(&heca_fs_mnt, &heca_fs_count);
		r->fs_pinned = false;
	}
}

/**
 * heca_region_alloc_page() - a page for the region, charged to its creator
 * @r: the region
 *
 * The contents are undefined: the caller fills the page.
 *
 * Return: the page or NULL.
 */
struct page *heca_region_alloc_page(struct heca_region *r)
{
	struct mem_cgroup *old_memcg;
	struct page *page;

	old_memcg = set_active_memcg(r->memcg);
	page = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
	set_active_memcg(old_memcg);
	return page;
}

/**
 * heca_region_page() - the page at @idx, allocated zeroed on first use
 * @r:     the region
 * @idx:   page offset, below @r->npages
 * @fresh: optional: set to whether this call allocated the page
 *
 * The page is charged to the creator's memcg even when another task (a
 * vCPU thread, KVM's async page-fault worker) faults it in.
 *
 * Return: the page (no reference taken: it lives as long as @r), or an
 * ERR_PTR: -ENOMEM.
 */
struct page *heca_region_page(struct heca_region *r, pgoff_t idx,
			      bool *fresh)
{
	struct mem_cgroup *old_memcg;
	struct page *page, *old;

	if (fresh)
		*fresh = false;
	page = xa_load(&r->pages, idx);
	if (page)
		return page;

	old_memcg = set_active_memcg(r->memcg);
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	set_active_memcg(old_memcg);
	if (!page)
		return ERR_PTR(-ENOMEM);
	page->mapping = r->inode->i_mapping;
	page->index = idx;

	old = xa_cmpxchg(&r->pages, idx, NULL, page, GFP_KERNEL);
	if (unlikely(old)) {
		/* Lost a race with another fault, or no memory for the node. */
		page->mapping = NULL;
		__free_page(page);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
	}
	atomic_long_inc(&r->resident);
	if (fresh)
		*fresh = true;
	return page;
}

/**
 * heca_region_page_mkwrite() - the first write to a page mapped read-only
 * @vmf: the fault
 *
 * Return: VM_FAULT_LOCKED, the page locked until its PTE is writable (so
 * that whoever write-protects or unmaps the page under its lock does not
 * miss this mapping), or VM_FAULT_NOPAGE if the page is no longer the
 * region's.
 */
vm_fault_t heca_region_page_mkwrite(struct vm_fault *vmf)
{
	struct heca_region *r = vmf->vma->vm_private_data;
	struct page *page = vmf->page;

	lock_page(page);
	if (page->mapping != r->inode->i_mapping) {
		unlock_page(page);
		return VM_FAULT_NOPAGE;
	}
	return VM_FAULT_LOCKED;
}

/**
 * heca_region_mmap() - map a region (or part of it)
 * @file: an open region
 * @vma:  the new mapping
 *
 * Only shared mappings are allowed: a private one would turn guest writes
 * into anonymous copies heca never sees.  The mapping must lie inside the
 * region.  It is never VM_IO or VM_PFNMAP, so GUP and with it KVM's
 * asynchronous page faults work on it; VM_MIXEDMAP keeps automatic NUMA
 * balancing from unmapping it behind KVM's back.
 *
 * Return: 0, or -EINVAL for a private mapping or one past the end.
 */
int heca_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct heca_region *r = file->private_data;
	unsigned long end;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma), &end) ||
	    end > r->npages)
		return -EINVAL;

	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_MIXEDMAP;
	vma->vm_ops = r->role->vm_ops;
	vma->vm_private_data = r;
	return 0;
}

/* QEMU sizes a char device used as a memory backend with lseek(SEEK_END). */
loff_t heca_region_llseek(struct file *file, loff_t offset, int whence)
{
	struct heca_region *r = file->private_data;

	return fixed_size_llseek(file, offset, whence, r->size);
}
