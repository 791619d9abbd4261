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
struct heca_dest;
struct heca_session;

/**
 * struct heca_region_stats - counters behind HECA_IOC_STATS
 * @lock:	guards the fault_* fields
 */
struct heca_region_stats {
	atomic64_t pages_zero;
	atomic64_t pages_on_demand;
	atomic64_t pages_prefetched;
	atomic64_t pages_sent;
	atomic64_t bytes_rx;
	atomic64_t bytes_tx;
	atomic64_t requests;
	atomic64_t faults;
	atomic64_t faults_nowait;
	atomic64_t faults_async;
	spinlock_t lock;	/* guards the fault_* fields */
	u64 fault_ns_min;
	u64 fault_ns_max;
	u64 fault_ns_sum;
	u64 fault_count;
	u64 fault_hist[HECA_HIST_BUCKETS];
};

/**
 * struct heca_region - guest RAM owned by heca, exposed as /dev/heca/<name>
 * @dev:	the region's device; its refcount is the region's lifetime:
 *		the creator holds one reference until destroy, each open file
 *		one more.  Its release frees the region and its pages.
 * @cdev:	char device of /dev/heca/<name>, parented to @dev
 * @node:	entry in heca_regions; guarded by heca_regions_lock
 * @users:	open files of the region (a mapping holds its file) and
 *		its session; guarded by heca_regions_lock
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
 * @dest:	page state of a destination region; NULL for a source
 * @session_lock: serializes starting, switching and ending sessions
 * @session:	the current session or NULL; guarded by @session_lock
 * @live_session: the same, for contexts that cannot take @session_lock;
 *		guarded by @state_lock
 * @state_lock:	guards @state, @error, @transport, @t_switch, @t_end,
 *		@synced_round, @switched
 * @state:	enum heca_state of the region's session
 * @error:	positive errno a failed session ended with
 * @transport:	HECA_TRANSPORT_* of the last session
 * @t_switch:	ktime (ns) of the switchover
 * @t_end:	ktime (ns) the session completed or failed, 0 before
 * @synced_round: source: the last pre-copy round the destination holds
 * @switched:	source: the destination took the switchover (SWITCHED)
 * @state_wq:	HECA_IOC_WAIT callers
 * @stats:	counters
 * @dirty:	source: pages written since the last round (atomic bitops)
 * @dirty_armed: source: writes are being recorded in @dirty
 * @dirty_round: source: rounds taken so far
 *		(@dirty_armed and @dirty_round change only in
 *		heca_dirty_take(), which its callers serialize)
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

	struct heca_dest *dest;
	struct mutex session_lock;	/* see above */
	struct heca_session *session;
	struct heca_session *live_session;
	spinlock_t state_lock;		/* see above */
	enum heca_state state;
	int error;
	u32 transport;
	u64 t_switch;
	u64 t_end;
	u32 synced_round;
	bool switched;
	wait_queue_head_t state_wq;
	struct heca_region_stats stats;
	unsigned long *dirty;
	bool dirty_armed;
	u32 dirty_round;
};

static inline bool heca_region_is_dest(const struct heca_region *r)
{
	return r->dest;
}

/* main.c */
int heca_copy_in(void *karg, size_t size, unsigned int cmd, unsigned int want,
		 void __user *uarg);

/* session.c */
int heca_sessions_init(void);
void heca_sessions_exit(void);

/* region.c: the set of regions and their char devices */
int heca_regions_init(void);
void heca_regions_exit(void);
int heca_region_create(const struct heca_region_create *arg);
int heca_region_destroy(const struct heca_region_destroy *arg);
int heca_region_list(struct heca_region_list *arg);
void heca_region_get(struct heca_region *r);
void heca_region_put(struct heca_region *r);
int heca_region_use(struct heca_region *r);
void heca_region_unuse(struct heca_region *r);

/* dirty.c: write tracking of source regions */
vm_fault_t heca_page_mkwrite(struct vm_fault *vmf);
long heca_dirty_take(struct heca_region *r, unsigned long *out);
void heca_dirty_free(struct heca_region *r);
void heca_dirty_reset(struct heca_region *r);
int heca_dirty_ioctl(struct heca_region *r, struct heca_dirty *a);

/* region_mm.c: region memory, mappings and faults */
int heca_region_mm_init(struct heca_region *r);
void heca_region_mm_free(struct heca_region *r);
int heca_region_mmap(struct file *file, struct vm_area_struct *vma);
loff_t heca_region_llseek(struct file *file, loff_t offset, int whence);
struct page *heca_region_page(struct heca_region *r, pgoff_t idx);
struct page *heca_region_alloc_page(struct heca_region *r);

#endif /* _HECA_H */
