/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the core: region objects, their memory, the session state machine,
 * statistics, and the role interface.  See Documentation/design.rst for
 * the layers (module and control device, region device and ioctls,
 * session, roles, core); a file calls only into the layers below it.
 */
#ifndef _HECA_H
#define _HECA_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/heca.h>

struct mem_cgroup;
struct heca_dest;
struct heca_region;
struct heca_session;
struct work_struct;

/**
 * struct heca_role - what a region does as a source or a destination
 * @name:	"source", "destination"
 * @region_flags: HECA_REGION_DEST or 0, as HECA_IOC_REGION_LIST reports it
 * @stats_role:	struct heca_stats.role: 0 source, 1 destination
 * @accepts:	its session waits for the peer (the destination listens);
 *		else it connects to it
 * @vm_ops:	faults and writes of its mappings
 * @alloc:	optional: set up the role's state of a region being created
 * @free:	optional: free it; the region is unused
 * @prepare:	a session is about to start (under the session lock):
 *		reset what an earlier one left, or refuse with an errno
 * @start:	optional: the session is connected and published: start the
 *		role's threads
 * @stop:	optional: the session ends: stop them (may sleep)
 * @recv:	a control message from the peer; an error fails the session
 * @wake:	optional: the session's state changed: wake the role's waiters
 * @fill_stats:	the role's fields of HECA_IOC_STATS
 *
 * Each role is one table, chosen when the region is created; no lower
 * layer branches on the role.
 */
struct heca_role {
	const char *name;
	u32 region_flags;
	u32 stats_role;
	bool accepts;
	const struct vm_operations_struct *vm_ops;
	int (*alloc)(struct heca_region *r);
	void (*free)(struct heca_region *r);
	int (*prepare)(struct heca_region *r);
	int (*start)(struct heca_session *s);
	void (*stop)(struct heca_session *s);
	int (*recv)(struct heca_session *s, u16 type, const void *payload,
		    size_t len);
	void (*wake)(struct heca_region *r);
	void (*fill_stats)(struct heca_region *r, struct heca_stats *st);
};

/**
 * struct heca_region_stats - counters behind HECA_IOC_STATS
 * @pages_zero:	destination: pages allocated zero (the source has none)
 * @pages_on_demand: destination: pages a fault waited for, fetched
 * @pages_prefetched: destination: the other pages fetched
 * @prefetch_pages: destination: of those, the pages prefetched around faults
 * @prefetch_used: destination: prefetched pages a fault found later
 * @pages_sent:	source: pages served to reads (TCP)
 * @bytes_rx:	bytes received, headers included
 * @bytes_tx:	bytes sent, headers included
 * @requests:	reads: served (source, TCP) or completed (destination)
 * @faults:	destination: faults that queued an urgent fetch
 * @faults_nowait: destination: faults answered VM_FAULT_RETRY at once
 *		(KVM's first try)
 * @faults_async: destination: faults from KVM's async page-fault worker
 * @lock:	guards the fault_* fields
 * @fault_ns_min: shortest fault service time, ns
 * @fault_ns_max: longest
 * @fault_ns_sum: sum of all
 * @fault_count: faults timed
 * @fault_hist:	log2-microsecond histogram of the fault service times
 *
 * Every atomic counter is reset when a session starts
 * (heca_stats_reset()).
 */
struct heca_region_stats {
	atomic64_t pages_zero;
	atomic64_t pages_on_demand;
	atomic64_t pages_prefetched;
	atomic64_t prefetch_pages;
	atomic64_t prefetch_used;
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
 * @role:	source or destination; constant after creation
 * @dest:	page state of a destination region; NULL for a source
 * @session_lock: serializes starting, switching and ending sessions
 * @session:	the current session or NULL; guarded by @session_lock
 * @end_work:	ends the current session (queued on COMPLETE or FAILED), or
 *		NULL; guarded by @state_lock
 * @state_lock:	guards @state, @end_work, @error, @transport, @t_switch,
 *		@t_end, @synced_round, @switched
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

	const struct heca_role *role;
	struct heca_dest *dest;
	struct mutex session_lock;	/* see above */
	struct heca_session *session;
	struct work_struct *end_work;
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

/* Roles (source.c, dest.c) */
extern const struct heca_role heca_source_role;
extern const struct heca_role heca_dest_role;

/* region.c: the set of regions */
int heca_regions_init(void);
void heca_regions_exit(void);
int heca_region_create(const struct heca_region_create *arg,
		       const struct heca_role *role,
		       const struct file_operations *fops);
int heca_region_destroy(const struct heca_region_destroy *arg);
int heca_region_list(struct heca_region_list *arg);
void heca_region_get(struct heca_region *r);
void heca_region_put(struct heca_region *r);
int heca_region_use(struct heca_region *r);
void heca_region_unuse(struct heca_region *r);

/* region_mm.c: region memory and mappings */
int heca_region_mm_init(struct heca_region *r);
void heca_region_mm_free(struct heca_region *r);
int heca_region_mmap(struct file *file, struct vm_area_struct *vma);
loff_t heca_region_llseek(struct file *file, loff_t offset, int whence);
struct page *heca_region_page(struct heca_region *r, pgoff_t idx,
			      bool *fresh);
struct page *heca_region_alloc_page(struct heca_region *r);
vm_fault_t heca_region_page_mkwrite(struct vm_fault *vmf);

/* state.c: the session state machine */
int heca_state_init(void);
void heca_state_exit(void);
enum heca_state heca_region_state(struct heca_region *r);
bool heca_region_set_state(struct heca_region *r, enum heca_state next,
			   int err);
void heca_region_set_end_work(struct heca_region *r, struct work_struct *work);
void heca_session_fail(struct heca_region *r, int err, const char *why);

/* stats.c */
void heca_stats_fault_time(struct heca_region *r, u64 ns);
void heca_stats_fill(struct heca_region *r, struct heca_stats *st);
void heca_stats_reset(struct heca_region *r);

#endif /* _HECA_H */
