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
 * they can be given a meaning later.  All fields are little-endian on the
 * wire (there is none yet) and native-endian here.
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

/**
 * struct heca_region_create - HECA_IOC_REGION_CREATE: make /dev/heca/<name>
 * @argsz:	sizeof(struct heca_region_create)
 * @flags:	must be 0
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
 * @flags:	0 for now
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

/* Control device (/dev/heca/control) ioctls: numbers 0x00-0x0f. */
#define HECA_IOC_VERSION	_IOWR(HECA_IOC_MAGIC, 0x00, struct heca_version)
#define HECA_IOC_REGION_CREATE	_IOW(HECA_IOC_MAGIC, 0x01, struct heca_region_create)
#define HECA_IOC_REGION_DESTROY	_IOW(HECA_IOC_MAGIC, 0x02, struct heca_region_destroy)
#define HECA_IOC_REGION_LIST	_IOWR(HECA_IOC_MAGIC, 0x03, struct heca_region_list)

#endif /* _UAPI_LINUX_HECA_H */
