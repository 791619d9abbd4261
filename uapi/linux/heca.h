/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * heca: guest RAM regions for live migration of KVM virtual machines.
 *
 * Userspace ABI.  Two kinds of character device:
 *
 *   /dev/heca/control  the control device: create, destroy and list regions.
 *   /dev/heca/<name>   one per region: mmap(MAP_SHARED) it as guest RAM.
 *
 * Every ioctl argument is a fixed-size structure that starts with
 * @argsz (the caller sets it to sizeof the structure it passes) and @flags.
 * The kernel refuses with -EINVAL a structure whose @argsz is not the size it
 * knows, unknown @flags bits, and reserved fields that are not zero, so that
 * they can be given a meaning later.  Fields are native-endian (the wire
 * protocol between hosts, kernel/proto.h, is little-endian and apart).
 *
 * See Documentation/uapi.rst for every ioctl, its errors and its numbers.
 */
#ifndef _UAPI_LINUX_HECA_H
#define _UAPI_LINUX_HECA_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on every incompatible change of this header. */
#define HECA_ABI_VERSION	1

#define HECA_IOC_MAGIC		0xB2

/*
 * Region names: 1..31 characters of [A-Za-z0-9_.-], not starting with '.'
 * or '-'.
 */
#define HECA_NAME_MAX		32	/* including the terminating NUL */
/* "control" is the control device's node and cannot name a region. */
#define HECA_CONTROL_NAME	"control"

/* Largest region: 1 TiB.  Its size must be a multiple of the page size. */
#define HECA_REGION_MAX_BYTES	0x10000000000ULL
/* Most regions that can exist at once. */
#define HECA_MAX_REGIONS	64

/**
 * struct heca_version - HECA_IOC_VERSION: what the module implements
 * @argsz:	in: sizeof(struct heca_version)
 * @flags:	in: must be 0
 * @abi_version: out: HECA_ABI_VERSION of the module
 * @max_regions: out: HECA_MAX_REGIONS of the module
 * @max_region_bytes: out: HECA_REGION_MAX_BYTES of the module
 * @page_size:	out: the kernel's page size
 * @reserved:	in: must be 0; out: 0
 *
 * This structure never changes size, so that a tool of any version can
 * learn the ABI of any module.
 */
struct heca_version {
	__u32 argsz;
	__u32 flags;
	__u32 abi_version;
	__u32 max_regions;
	__u64 max_region_bytes;
	__u32 page_size;
	__u32 reserved[7];
};

/* HECA_IOC_REGION_CREATE flags */
/*
 * A destination region: its pages start absent and are filled from the
 * source through a session; without the flag a region is a source (its
 * pages are local, zero on first touch).
 */
#define HECA_REGION_DEST	0x1U

/**
 * struct heca_region_create - HECA_IOC_REGION_CREATE: make /dev/heca/<name>
 * @argsz:	sizeof(struct heca_region_create)
 * @flags:	0 or HECA_REGION_DEST
 * @size:	region size in bytes, a multiple of the page size, at most
 *		HECA_REGION_MAX_BYTES
 * @name:	NUL-terminated region name (see HECA_NAME_MAX)
 * @reserved:	must be 0
 */
struct heca_region_create {
	__u32 argsz;
	__u32 flags;
	__u64 size;
	char name[HECA_NAME_MAX];
	__u64 reserved[4];
};

/**
 * struct heca_region_destroy - HECA_IOC_REGION_DESTROY: remove a region
 * @argsz:	sizeof(struct heca_region_destroy)
 * @flags:	must be 0
 * @name:	NUL-terminated region name
 * @reserved:	must be 0
 *
 * A region that is open (a file descriptor or a mapping of it exists) is
 * not destroyed: the ioctl fails with -EBUSY and changes nothing.
 */
struct heca_region_destroy {
	__u32 argsz;
	__u32 flags;
	char name[HECA_NAME_MAX];
	__u64 reserved[4];
};

/**
 * struct heca_region_info - one region, as HECA_IOC_REGION_LIST reports it
 * @name:	NUL-terminated region name
 * @size:	region size in bytes
 * @resident:	pages (not bytes) of the region that hold memory now
 * @users:	open files of the region (each mapping holds one)
 * @flags:	HECA_REGION_DEST for a destination region
 * @dev_major:	major number of /dev/heca/<name>
 * @dev_minor:	minor number of /dev/heca/<name> (compare st_rdev to make
 *		sure the node is the region's and not a stale plain file)
 * @reserved:	0
 */
struct heca_region_info {
	char name[HECA_NAME_MAX];
	__u64 size;
	__u64 resident;
	__u32 users;
	__u32 flags;
	__u32 dev_major;
	__u32 dev_minor;
	__u64 reserved[3];
};

/**
 * struct heca_region_list - HECA_IOC_REGION_LIST: list regions
 * @argsz:	sizeof(struct heca_region_list)
 * @flags:	must be 0
 * @count:	in: how many struct heca_region_info fit at @entries;
 *		out: how many regions exist (may exceed what was copied:
 *		call again with a larger buffer)
 * @reserved0:	must be 0
 * @entries:	user pointer to an array of @count struct heca_region_info,
 *		or 0 with @count 0 to learn the number of regions
 * @reserved:	must be 0
 *
 * Regions are reported in creation order; min(in @count, out @count)
 * entries are written.
 */
struct heca_region_list {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__u32 reserved0;
	__u64 entries;
	__u64 reserved[4];
};

/* Transports of a session. */
#define HECA_TRANSPORT_TCP	1
#define HECA_TRANSPORT_RDMA	2

/**
 * struct heca_addr - an IP endpoint
 * @family:	AF_INET or AF_INET6
 * @port:	port, host byte order
 * @scope_id:	IPv6 scope (interface index) or 0
 * @addr:	address, network byte order; IPv4 uses the first 4 bytes
 */
struct heca_addr {
	__u16 family;
	__u16 port;
	__u32 scope_id;
	__u8 addr[16];
};

#define HECA_TOKEN_BYTES	16

/**
 * struct heca_session_start - HECA_IOC_SESSION_START: bind to the peer
 * @argsz:	sizeof(struct heca_session_start)
 * @flags:	must be 0
 * @transport:	HECA_TRANSPORT_TCP or HECA_TRANSPORT_RDMA (rdma_cm over an
 *		RDMA device with the address; the destination READs the
 *		source's pages, registered read-only before each pre-copy
 *		round and at the switchover)
 * @timeout_ms:	how long to wait for the peer (listen, connect, handshake);
 *		0: 30000
 * @fault_timeout_ms: how long a fault on an absent page of a destination
 *		may wait before the session is declared failed and faults get
 *		SIGBUS (KVM's first try: VM_FAULT_HWPOISON, a machine check);
 *		it also bounds sends, stall detection and the wait for
 *		SWITCHED; 0: 30000
 * @reserved0:	must be 0
 * @addr:	destination: where to listen; source: where to connect
 * @token:	a per-session secret both ends were given (e.g. by hecactl);
 *		a peer that does not present it is refused.  Not all zero.
 * @reserved:	must be 0
 *
 * The destination listens, the source connects.  The ioctl returns once
 * the handshake is done (magic, protocol version, page size, region size,
 * token), or with an error; a destination refuses peers with a wrong
 * token, version or size and keeps listening until @timeout_ms.
 */
struct heca_session_start {
	__u32 argsz;
	__u32 flags;
	__u32 transport;
	__u32 timeout_ms;
	__u32 fault_timeout_ms;
	__u32 reserved0;
	struct heca_addr addr;
	__u8 token[HECA_TOKEN_BYTES];
	__u64 reserved[4];
};

/**
 * struct heca_switchover - HECA_IOC_SWITCHOVER: the VM is paused at the source
 * @argsz:	sizeof(struct heca_switchover)
 * @flags:	must be 0
 * @reserved:	must be 0
 *
 * Source only.  Sends the final set (after pre-copy rounds: the pages
 * written since the last one; without rounds: every page the source has,
 * the others being zero and never sent) and lets the destination run: from now on its
 * faults fetch pages on demand and the rest is pulled in the background.
 * Returns once the destination has taken it (the VM may be resumed there
 * then), within the session's fault timeout.  The source keeps serving
 * until the destination reports every page present (session state
 * HECA_STATE_COMPLETE).
 */
struct heca_switchover {
	__u32 argsz;
	__u32 flags;
	__u64 reserved[4];
};

/* Session states, as HECA_IOC_WAIT and HECA_IOC_STATS report them. */
enum heca_state {
	HECA_STATE_NONE = 0,		/* no session */
	HECA_STATE_CONNECTED = 1,	/* handshake done, before switchover */
	HECA_STATE_RUNNING = 2,		/* after switchover: pages moving */
	HECA_STATE_COMPLETE = 3,	/* every page is at the destination */
	HECA_STATE_FAILED = 4,		/* see @error */
};

/* HECA_IOC_WAIT flags */
/* Wait for the destination to hold every page of pre-copy round @round. */
#define HECA_WAIT_SYNCED	0x1U

/**
 * struct heca_wait - HECA_IOC_WAIT: wait for a session state or a round
 * @argsz:	sizeof(struct heca_wait)
 * @flags:	0 or HECA_WAIT_SYNCED
 * @state:	in: the state to wait for (HECA_STATE_CONNECTED, _RUNNING or
 *		_COMPLETE; ignored with HECA_WAIT_SYNCED); out: the state
 * @timeout_ms:	in: at most this long; 0: do not wait
 * @error:	out: the positive errno a failed session ended with, or 0
 * @round:	in, with HECA_WAIT_SYNCED (source only): the round; out: the
 *		last round the destination holds entirely
 * @reserved:	must be 0
 *
 * Returns 0 once the state (or round) is reached or passed, -EIO if the
 * session failed (state and error say why), -ETIMEDOUT, or -EINTR on a
 * signal.
 */
struct heca_wait {
	__u32 argsz;
	__u32 flags;
	__u32 state;
	__u32 timeout_ms;
	__u32 error;
	__u32 round;
	__u64 reserved[2];
};

/**
 * struct heca_round - HECA_IOC_ROUND: one pre-copy round (source)
 * @argsz:	sizeof(struct heca_round)
 * @flags:	must be 0
 * @round:	out: its number; round 1 arms write tracking and sends every
 *		page the region has, later rounds the pages written since
 * @reserved0:	must be 0
 * @pages:	out: pages in the round
 * @reserved:	must be 0
 *
 * In state HECA_STATE_CONNECTED, with the VM running.  Returns once the
 * set is on its way; the destination invalidates those pages and pulls
 * them; HECA_IOC_WAIT with HECA_WAIT_SYNCED says when it has them all.
 * The switchover then sends only what was written after the last round.
 */
struct heca_round {
	__u32 argsz;
	__u32 flags;
	__u32 round;
	__u32 reserved0;
	__u64 pages;
	__u64 reserved[3];
};

/* Fault service time histogram: bucket i counts times in [2^i, 2^(i+1)) us. */
#define HECA_HIST_BUCKETS	24

/**
 * struct heca_stats - HECA_IOC_STATS: what a region's session did
 * @argsz:	sizeof(struct heca_stats)
 * @flags:	must be 0
 * @state:	enum heca_state
 * @error:	positive errno of a failed session, or 0
 * @transport:	HECA_TRANSPORT_* of the session, 0 without one
 * @role:	0 source, 1 destination
 * @pages_total: pages of the region
 * @pages_present: destination: pages that hold their final data
 * @pages_remote: pages the source has (the rest are zero, never sent)
 * @pages_zero:	destination: zero pages filled locally
 * @pages_on_demand: pages fetched because a fault waited for them
 * @pages_prefetched: pages fetched ahead of a fault or by the background pull
 * @pages_sent:	source: pages served to the destination (0 over RDMA: the
 *		destination's READs do not involve the source's CPU)
 * @bytes_rx:	bytes received on the session
 * @bytes_tx:	bytes sent on the session
 * @requests:	fetch requests issued (destination) or served (source;
 *		0 over RDMA)
 * @elapsed_ns:	from switchover to completion (or to now)
 * @faults:	faults that found their page absent and asked for it
 * @faults_nowait: answers VM_FAULT_RETRY given at once, without waiting
 *		(FAULT_FLAG_RETRY_NOWAIT: KVM's first try, so that it can
 *		go asynchronous)
 * @faults_async: waits on behalf of another process's memory
 *		(FAULT_FLAG_REMOTE: KVM's asynchronous page-fault worker, while
 *		the vCPU runs on or halts)
 * @fault_ns_min: fastest fault service time
 * @fault_ns_max: slowest fault service time
 * @fault_ns_sum: sum of fault service times (average: / @fault_count)
 * @fault_count: fault service times measured
 * @fault_hist:	log2 histogram of fault service times in microseconds
 * @round:	pre-copy rounds sent (source) or received (destination) in
 *		this session (the count restarts at HECA_IOC_SESSION_START)
 * @synced_round: the last round the destination holds entirely
 * @prefetch_pages: destination: of @pages_prefetched, the pages prefetched
 *		along the trend of the faults (the rest: the background pull)
 * @prefetch_used: destination: prefetched pages a fault touched later
 *		(accuracy: / @prefetch_pages; coverage: / (@prefetch_used +
 *		@pages_on_demand))
 * @reserved:	0
 */
struct heca_stats {
	__u32 argsz;
	__u32 flags;
	__u32 state;
	__u32 error;
	__u32 transport;
	__u32 role;
	__u64 pages_total;
	__u64 pages_present;
	__u64 pages_remote;
	__u64 pages_zero;
	__u64 pages_on_demand;
	__u64 pages_prefetched;
	__u64 pages_sent;
	__u64 bytes_rx;
	__u64 bytes_tx;
	__u64 requests;
	__u64 elapsed_ns;
	__u64 faults;
	__u64 faults_nowait;
	__u64 faults_async;
	__u64 fault_ns_min;
	__u64 fault_ns_max;
	__u64 fault_ns_sum;
	__u64 fault_count;
	__u64 fault_hist[HECA_HIST_BUCKETS];
	__u32 round;
	__u32 synced_round;
	__u64 prefetch_pages;
	__u64 prefetch_used;
	__u64 reserved[4];
};

/**
 * struct heca_dirty - HECA_IOC_DIRTY: take a source region's dirty set
 * @argsz:	sizeof(struct heca_dirty)
 * @flags:	must be 0
 * @bitmap:	user pointer to (pages + 63) / 64 __u64 words; on return bit
 *		(i % 64) of word i / 64 is set if page i is in the set
 * @bitmap_bytes: size of the buffer at @bitmap, at least 8 * words
 * @pages:	out: pages in the set
 * @round:	out: 1 for the first call, which arms write tracking and
 *		takes every page the region has; then 2, 3, ... (a session
 *		start resets tracking: the next call is 1 again)
 * @reserved0:	must be 0
 * @reserved:	must be 0
 *
 * Takes and clears the set of pages written since the previous call and
 * re-arms tracking, atomically with respect to writers: a write either
 * is in this set or in the next.  Source regions only, and not while a
 * session runs (its rounds take the set then).  Needs CAP_SYS_ADMIN.
 */
struct heca_dirty {
	__u32 argsz;
	__u32 flags;
	__u64 bitmap;
	__u64 bitmap_bytes;
	__u64 pages;
	__u32 round;
	__u32 reserved0;
	__u64 reserved[2];
};

/* Control device (/dev/heca/control) ioctls: numbers 0x00-0x0f. */
#define HECA_IOC_VERSION	_IOWR(HECA_IOC_MAGIC, 0x00, struct heca_version)
#define HECA_IOC_REGION_CREATE	_IOW(HECA_IOC_MAGIC, 0x01, struct heca_region_create)
#define HECA_IOC_REGION_DESTROY	_IOW(HECA_IOC_MAGIC, 0x02, struct heca_region_destroy)
#define HECA_IOC_REGION_LIST	_IOWR(HECA_IOC_MAGIC, 0x03, struct heca_region_list)

/* Region device (/dev/heca/<name>) ioctls: numbers 0x10-0x3f. */
#define HECA_IOC_SESSION_START	_IOW(HECA_IOC_MAGIC, 0x10, struct heca_session_start)
#define HECA_IOC_SWITCHOVER	_IOW(HECA_IOC_MAGIC, 0x11, struct heca_switchover)
#define HECA_IOC_WAIT		_IOWR(HECA_IOC_MAGIC, 0x12, struct heca_wait)
#define HECA_IOC_STATS		_IOWR(HECA_IOC_MAGIC, 0x13, struct heca_stats)
#define HECA_IOC_SESSION_ABORT	_IO(HECA_IOC_MAGIC, 0x14)
#define HECA_IOC_DIRTY		_IOWR(HECA_IOC_MAGIC, 0x15, struct heca_dirty)
#define HECA_IOC_ROUND		_IOWR(HECA_IOC_MAGIC, 0x16, struct heca_round)

#endif /* _UAPI_LINUX_HECA_H */
