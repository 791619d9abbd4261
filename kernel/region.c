// SPDX-License-Identifier: GPL-2.0
/*
 * heca: region objects: the set of regions, their names, lifetimes and
 * character devices /dev/heca/<name> (whose file operations, the region
 * device, come from the layer above: ioctl.c).
 *
 * Lifetime: a region is a struct device.  Creation takes the first
 * reference and publishes the name; destroy drops it after unpublishing,
 * and is refused (-EBUSY) while any file of the region is open, which
 * includes every mapping.  So guest RAM is never freed under a VMM.
 */

#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "heca.h"

/* Guards heca_regions and each region's node, users and dead. */
static DEFINE_MUTEX(heca_regions_lock);
static LIST_HEAD(heca_regions);

static DEFINE_IDA(heca_minor_ida);
static dev_t heca_devt;
static struct class *heca_class;

static struct heca_region *to_region(struct device *dev)
{
	return container_of(dev, struct heca_region, dev);
}

/* ASCII only: the kernel's isalnum() also takes Latin-1 letters. */
static bool heca_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static bool heca_name_valid(const char name[HECA_NAME_MAX])
{
	size_t len = strnlen(name, HECA_NAME_MAX);
	size_t i;

	/* A leading '.' or '-' makes paths and command lines ambiguous. */
	if (len == 0 || len == HECA_NAME_MAX || name[0] == '.' ||
	    name[0] == '-')
		return false;
	/* Bytes after the terminating NUL are reserved: zero. */
	if (memchr_inv(name + len, 0, HECA_NAME_MAX - len))
		return false;
	if (!strcmp(name, HECA_CONTROL_NAME))
		return false;
	for (i = 0; i < len; i++)
		if (!heca_name_char_ok(name[i]))
			return false;
	return true;
}

static struct heca_region *heca_region_find(const char *name)
{
	struct heca_region *r;

	lockdep_assert_held(&heca_regions_lock);
	list_for_each_entry(r, &heca_regions, node)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static void heca_region_release(struct device *dev)
{
	struct heca_region *r = to_region(dev);

	if (r->role->free)
		r->role->free(r);
	heca_region_mm_free(r);
	if (r->minor >= 0)
		ida_free(&heca_minor_ida, r->minor);
	kfree(r);
}

void heca_region_get(struct heca_region *r)
{
	get_device(&r->dev);
}

void heca_region_put(struct heca_region *r)
{
	put_device(&r->dev);
}

/**
 * heca_region_use() - count a user of a region (an open file, a session)
 * @r: the region
 *
 * A region with users cannot be destroyed.  Takes a reference too.
 *
 * Return: 0, or -ENODEV if the region was destroyed meanwhile.
 */
int heca_region_use(struct heca_region *r)
{
	mutex_lock(&heca_regions_lock);
	if (r->dead) {
		mutex_unlock(&heca_regions_lock);
		return -ENODEV;
	}
	r->users++;
	get_device(&r->dev);
	mutex_unlock(&heca_regions_lock);
	return 0;
}

/**
 * heca_region_unuse() - undo heca_region_use(); may free the region
 * @r: the region
 */
void heca_region_unuse(struct heca_region *r)
{
	mutex_lock(&heca_regions_lock);
	r->users--;
	mutex_unlock(&heca_regions_lock);
	put_device(&r->dev);
}

static bool heca_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/**
 * heca_region_create() - create a region and its node /dev/heca/<name>
 * @arg:  the caller's request, copied from userspace, argsz checked
 * @role: what the region is (HECA_REGION_DEST in @arg->flags chose it)
 * @fops: the file operations of its node
 *
 * Return: 0; -EINVAL for unknown flags, nonzero reserved fields, a bad name, or
 * a size that is 0, not page-aligned or over HECA_REGION_MAX_BYTES;
 * -EEXIST if the name is taken; -ENOSPC with HECA_MAX_REGIONS regions;
 * -ENOMEM.
 */
int heca_region_create(const struct heca_region_create *arg,
		       const struct heca_role *role,
		       const struct file_operations *fops)
{
	struct heca_region *r;
	int minor, err;

	if ((arg->flags & ~HECA_REGION_DEST) ||
	    !heca_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	if (!arg->size || !PAGE_ALIGNED(arg->size) ||
	    arg->size > HECA_REGION_MAX_BYTES)
		return -EINVAL;
	if (!heca_name_valid(arg->name))
		return -EINVAL;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	memcpy(r->name, arg->name, HECA_NAME_MAX);
	r->size = arg->size;
	r->npages = arg->size >> PAGE_SHIFT;
	r->role = role;
	r->minor = -1;
	INIT_LIST_HEAD(&r->node);
	mutex_init(&r->session_lock);
	spin_lock_init(&r->state_lock);
	init_waitqueue_head(&r->state_wq);
	spin_lock_init(&r->stats.lock);

	/* From here on put_device() undoes everything (heca_region_release). */
	device_initialize(&r->dev);
	r->dev.class = heca_class;
	r->dev.release = heca_region_release;

	err = heca_region_mm_init(r);
	if (err)
		goto err_put_device;
	if (role->alloc) {
		err = role->alloc(r);
		if (err)
			goto err_put_device;
	}

	err = dev_set_name(&r->dev, "%s", r->name);
	if (err)
		goto err_put_device;
	cdev_init(&r->cdev, fops);
	r->cdev.owner = THIS_MODULE;

	mutex_lock(&heca_regions_lock);
	if (heca_region_find(r->name)) {
		err = -EEXIST;
		goto err_unlock;
	}
	minor = ida_alloc_max(&heca_minor_ida, HECA_MAX_REGIONS - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		err = minor;
		goto err_unlock;
	}
	r->minor = minor;
	r->dev.devt = MKDEV(MAJOR(heca_devt), minor);
	err = cdev_device_add(&r->cdev, &r->dev);
	if (err)
		goto err_unlock;
	list_add_tail(&r->node, &heca_regions);
	mutex_unlock(&heca_regions_lock);

	dev_dbg(&r->dev, "created, %llu bytes\n", r->size);
	return 0;

err_unlock:
	mutex_unlock(&heca_regions_lock);
err_put_device:
	put_device(&r->dev);
	return err;
}

/**
 * heca_region_destroy() - remove a region that nobody uses
 * @arg: the caller's request, copied from userspace, argsz checked
 *
 * Return: 0; -EINVAL for nonzero flags or reserved fields or a bad name;
 * -ENOENT if no region has that name; -EBUSY while it is open or mapped.
 */
int heca_region_destroy(const struct heca_region_destroy *arg)
{
	struct heca_region *r;

	if (arg->flags || !heca_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	if (!heca_name_valid(arg->name))
		return -EINVAL;

	mutex_lock(&heca_regions_lock);
	r = heca_region_find(arg->name);
	if (!r) {
		mutex_unlock(&heca_regions_lock);
		return -ENOENT;
	}
	if (r->users) {
		mutex_unlock(&heca_regions_lock);
		return -EBUSY;
	}
	r->dead = true;
	list_del_init(&r->node);
	/* Under the lock: the name is free again only once the node is gone. */
	cdev_device_del(&r->cdev, &r->dev);
	mutex_unlock(&heca_regions_lock);

	put_device(&r->dev);
	return 0;
}

/**
 * heca_region_list() - describe the regions
 * @arg: the caller's request, copied from userspace, argsz checked; on
 *       success @arg->count is set to the number of regions, and the caller
 *       copies @arg back
 *
 * Return: 0; -EINVAL for nonzero flags or reserved fields, or entries == 0
 * with a nonzero count; -EFAULT if the entries cannot be written; -ENOMEM.
 */
int heca_region_list(struct heca_region_list *arg)
{
	struct heca_region_info *info = NULL;
	struct heca_region *r;
	unsigned int n = 0, cap;
	int err = 0;

	if (arg->flags || arg->reserved0 ||
	    !heca_zero(arg->reserved, sizeof(arg->reserved)))
		return -EINVAL;
	if (arg->count && !arg->entries)
		return -EINVAL;

	cap = min_t(u32, arg->count, HECA_MAX_REGIONS);
	if (cap) {
		info = kcalloc(cap, sizeof(*info), GFP_KERNEL);
		if (!info)
			return -ENOMEM;
	}

	mutex_lock(&heca_regions_lock);
	list_for_each_entry(r, &heca_regions, node) {
		if (n < cap) {
			struct heca_region_info *e = &info[n];

			memcpy(e->name, r->name, HECA_NAME_MAX);
			e->size = r->size;
			e->resident = atomic_long_read(&r->resident);
			e->users = r->users;
			e->flags = r->role->region_flags;
			e->dev_major = MAJOR(r->dev.devt);
			e->dev_minor = MINOR(r->dev.devt);
		}
		n++;
	}
	mutex_unlock(&heca_regions_lock);

	if (cap && copy_to_user(u64_to_user_ptr(arg->entries), info,
				min(n, cap) * sizeof(*info)))
		err = -EFAULT;
	kfree(info);
	arg->count = n;
	return err;
}

static char *heca_devnode(struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "heca/%s", dev_name(dev));
}

/**
 * heca_regions_init() - register the region char device numbers and class
 *
 * Return: 0 or a negative errno.
 */
int heca_regions_init(void)
{
	int err;

	err = alloc_chrdev_region(&heca_devt, 0, HECA_MAX_REGIONS, "heca");
	if (err)
		return err;

	heca_class = class_create(THIS_MODULE, "heca");
	if (IS_ERR(heca_class)) {
		err = PTR_ERR(heca_class);
		goto err_unregister_chrdev;
	}
	heca_class->devnode = heca_devnode;
	return 0;

err_unregister_chrdev:
	unregister_chrdev_region(heca_devt, HECA_MAX_REGIONS);
	return err;
}

/**
 * heca_regions_exit() - undo heca_regions_init()
 *
 * Every region pins the module, so none is left when this runs.
 */
void heca_regions_exit(void)
{
	WARN_ON(!list_empty(&heca_regions));
	class_destroy(heca_class);
	unregister_chrdev_region(heca_devt, HECA_MAX_REGIONS);
	ida_destroy(&heca_minor_ida);
}
