// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the region device: open, mmap and the ioctls of /dev/heca/<name>.
 *
 * Every region ioctl is one entry of heca_region_ioctls[]: its number,
 * whether it needs CAP_SYS_ADMIN, whether a destination region refuses it,
 * how its argument goes back, and its handler in the layer below.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "heca.h"
#include "region_dev.h"
#include "session.h"
#include "source.h"

/**
 * heca_copy_in() - fetch an ioctl argument and check its size
 * @karg:  kernel copy, @size bytes; its first field is the u32 argsz
 * @size:  sizeof the structure the kernel knows
 * @cmd:   the ioctl number the caller used
 * @want:  the ioctl number of that structure
 * @uarg:  the caller's pointer
 *
 * Dispatch is on the ioctl's number alone, so a caller built against a
 * structure of another size reaches here and gets -EINVAL, like a caller
 * whose argsz is not @size.
 *
 * Return: 0, -EINVAL or -EFAULT.
 */
int heca_copy_in(void *karg, size_t size, unsigned int cmd, unsigned int want,
		 void __user *uarg)
{
	u32 argsz;

	if (cmd != want)
		return -EINVAL;
	if (copy_from_user(karg, uarg, size))
		return -EFAULT;
	memcpy(&argsz, karg, sizeof(argsz));
	return argsz == size ? 0 : -EINVAL;
}

static int heca_ioc_start(struct heca_region *r, void *arg)
{
	return heca_session_start(r, arg);
}

static int heca_ioc_switchover(struct heca_region *r, void *arg)
{
	struct heca_switchover *a = arg;

	if (a->flags || memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	return heca_session_switchover(r);
}

static int heca_ioc_wait(struct heca_region *r, void *arg)
{
	return heca_session_wait(r, arg);
}

static int heca_ioc_stats(struct heca_region *r, void *arg)
{
	struct heca_stats *a = arg;

	if (a->flags)
		return -EINVAL;
	heca_stats_fill(r, a);
	return 0;
}

static int heca_ioc_abort(struct heca_region *r, void *arg)
{
	return heca_session_abort(r);
}

static int heca_ioc_dirty(struct heca_region *r, void *arg)
{
	return heca_dirty_ioctl(r, arg);
}

static int heca_ioc_round(struct heca_region *r, void *arg)
{
	return heca_session_round(r, arg);
}

/* When the argument goes back to the caller. */
enum heca_ioc_out {
	HECA_OUT_NONE,		/* never */
	HECA_OUT_OK,		/* on success */
	HECA_OUT_STATE,		/* also on -EIO and -ETIMEDOUT (HECA_IOC_WAIT) */
};

/**
 * struct heca_ioc - one region ioctl
 * @cmd:	HECA_IOC_*
 * @size:	its argument's size (0: none)
 * @admin:	needs CAP_SYS_ADMIN
 * @source:	a destination region refuses it (-EINVAL)
 * @out:	enum heca_ioc_out
 * @handler:	does it; @arg is the argument, argsz checked
 */
struct heca_ioc {
	unsigned int cmd;
	size_t size;
	bool admin;
	bool source;
	enum heca_ioc_out out;
	int (*handler)(struct heca_region *r, void *arg);
};

static const struct heca_ioc heca_region_ioctls[] = {
	{ HECA_IOC_SESSION_START, sizeof(struct heca_session_start), true,
	  false, HECA_OUT_NONE, heca_ioc_start },
	{ HECA_IOC_SWITCHOVER, sizeof(struct heca_switchover), true,
	  true, HECA_OUT_NONE, heca_ioc_switchover },
	{ HECA_IOC_WAIT, sizeof(struct heca_wait), false,
	  false, HECA_OUT_STATE, heca_ioc_wait },
	{ HECA_IOC_STATS, sizeof(struct heca_stats), false,
	  false, HECA_OUT_OK, heca_ioc_stats },
	{ HECA_IOC_SESSION_ABORT, 0, true,
	  false, HECA_OUT_NONE, heca_ioc_abort },
	{ HECA_IOC_DIRTY, sizeof(struct heca_dirty), true,
	  true, HECA_OUT_OK, heca_ioc_dirty },
	{ HECA_IOC_ROUND, sizeof(struct heca_round), true,
	  true, HECA_OUT_OK, heca_ioc_round },
};

static const struct heca_ioc *heca_ioc_find(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(heca_region_ioctls); i++)
		if (_IOC_NR(heca_region_ioctls[i].cmd) == _IOC_NR(cmd))
			return &heca_region_ioctls[i];
	return NULL;
}

/**
 * heca_region_ioctl() - ioctls of /dev/heca/<name>
 * @file: an open region
 * @cmd:  HECA_IOC_*
 * @arg:  user pointer to the argument
 *
 * Starting, switching and aborting sessions and taking dirty sets need
 * CAP_SYS_ADMIN; waiting and statistics only an open region.
 *
 * Return: 0 or a negative errno (see Documentation/uapi.rst).
 */
static long heca_region_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct heca_region *r = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct heca_ioc *e;
	void *a = NULL;
	int err = 0;

	if (_IOC_TYPE(cmd) != HECA_IOC_MAGIC)
		return -ENOTTY;
	e = heca_ioc_find(cmd);
	if (!e)
		return -ENOTTY;
	if (e->admin && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!e->size) {
		if (cmd != e->cmd)
			return -EINVAL;
	} else {
		a = kzalloc(e->size, GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		err = heca_copy_in(a, e->size, cmd, e->cmd, uarg);
	}
	if (!err && e->source && r->role != &heca_source_role)
		err = -EINVAL;
	if (!err)
		err = e->handler(r, a);
	if ((e->out == HECA_OUT_OK && !err) ||
	    (e->out == HECA_OUT_STATE &&
	     (!err || err == -EIO || err == -ETIMEDOUT))) {
		if (copy_to_user(uarg, a, e->size))
			err = -EFAULT;
	}
	kfree(a);
	return err;
}

static int heca_region_open(struct inode *inode, struct file *file)
{
	struct heca_region *r = container_of(inode->i_cdev, struct heca_region,
					     cdev);
	int err;

	err = heca_region_use(r);
	if (err)
		return err;

	file->private_data = r;
	/* Every open shares the region's address_space (as DRM does). */
	file->f_mapping = r->inode->i_mapping;
	return 0;
}

static int heca_region_release_file(struct inode *inode, struct file *file)
{
	heca_region_unuse(file->private_data);
	return 0;
}

const struct file_operations heca_region_fops = {
	.owner = THIS_MODULE,
	.open = heca_region_open,
	.release = heca_region_release_file,
	.mmap = heca_region_mmap,
	.llseek = heca_region_llseek,
	.unlocked_ioctl = heca_region_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
