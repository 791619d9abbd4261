/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: module-internal definitions shared by its files.
 */
#ifndef _HECA_H
#define _HECA_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/heca.h>

struct mem_cgroup;

/**
 * struct heca_region - guest RAM owned by heca, exposed as /dev/heca/<name>
 * @dev:	the region's device; its refcount is the region's lifetime:
 *		the creator holds one reference until destroy, each open file
 *		one more.  Its release frees the region and its pages.
 * @cdev:	char device of /dev/heca/<name>, parented to @dev
 * @node:	entry in heca_regions; guarded by heca_regions_lock
 * @users:	open files of the region (a mapping holds its file);
 *		guarded by heca_regions_lock
 * @dead:	set once destroyed, refuses further opens;
 *		guarded by heca_regions_lock
 * @name:	NUL-terminated name; constant after creation
 * @size:	size in bytes; constant after creation
 * @npages:	@size in pages; constant after creation
 * @minor:	minor number of @cdev, or -1 before one was allocated
 * @inode:	private anon inode whose address_space every mapping of the
 *		region shares (rmap, unmap and mkclean work through it)
 * @fs_pinned:	whether this region holds a pin on heca's pseudo filesystem
 * @pages:	page cache of the region: page offset -> struct page; entries
 *		are added by the fault path (xarray lock) and removed only when
 *		the region is freed
 * @resident:	number of entries in @pages
 * @memcg:	memory cgroup of the creator, charged for every page (a
 *		reference is held), or NULL when memcg is disabled
 */
struct heca_region {
	struct device dev;
	struct cdev cdev;
	struct list_head node;
	unsigned int users;
	bool dead;

	char name[HECA_NAME_MAX];
	u64 size;
	pgoff_t npages;
	int minor;
	struct inode *inode;
	bool fs_pinned;

	struct xarray pages;
	atomic_long_t resident;
	struct mem_cgroup *memcg;
};

/* region.c: the set of regions and their char devices */
int heca_regions_init(void);
void heca_regions_exit(void);
int heca_region_create(const struct heca_region_create *arg);
int heca_region_destroy(const struct heca_region_destroy *arg);
int heca_region_list(struct heca_region_list *arg);

/* region_mm.c: region memory, mappings and faults */
int heca_region_mm_init(struct heca_region *r);
void heca_region_mm_free(struct heca_region *r);
int heca_region_mmap(struct file *file, struct vm_area_struct *vma);
loff_t heca_region_llseek(struct file *file, loff_t offset, int whence);

#endif /* _HECA_H */
