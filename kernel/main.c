// SPDX-License-Identifier: GPL-2.0
/*
 * heca: module entry points and the control device /dev/heca/control.
 *
 * The control node lives beside the region nodes /dev/heca/<name> (the
 * VFIO layout), so "control" cannot name a region.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "heca.h"
#include "region_dev.h"
#include "transport.h"

static int heca_ctl_version(unsigned int cmd, void __user *uarg)
{
	struct heca_version v;
	int err;

	err = heca_copy_in(&v, sizeof(v), cmd, HECA_IOC_VERSION, uarg);
	if (err)
		return err;
	if (v.flags || memchr_inv(v.reserved, 0, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_version = HECA_ABI_VERSION;
	v.max_regions = HECA_MAX_REGIONS;
	v.max_region_bytes = HECA_REGION_MAX_BYTES;
	v.page_size = PAGE_SIZE;
	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long heca_ctl_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	union {
		struct heca_region_create create;
		struct heca_region_destroy destroy;
		struct heca_region_list list;
	} a;
	int err;

	if (_IOC_TYPE(cmd) != HECA_IOC_MAGIC)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(HECA_IOC_VERSION):
		return heca_ctl_version(cmd, uarg);
	case _IOC_NR(HECA_IOC_REGION_CREATE):
		err = heca_copy_in(&a.create, sizeof(a.create), cmd,
				   HECA_IOC_REGION_CREATE, uarg);
		if (err)
			return err;
		return heca_region_create(&a.create,
					  a.create.flags & HECA_REGION_DEST ?
					  &heca_dest_role : &heca_source_role,
					  &heca_region_fops);
	case _IOC_NR(HECA_IOC_REGION_DESTROY):
		err = heca_copy_in(&a.destroy, sizeof(a.destroy), cmd,
				   HECA_IOC_REGION_DESTROY, uarg);
		return err ?: heca_region_destroy(&a.destroy);
	case _IOC_NR(HECA_IOC_REGION_LIST):
		err = heca_copy_in(&a.list, sizeof(a.list), cmd,
				   HECA_IOC_REGION_LIST, uarg);
		if (!err)
			err = heca_region_list(&a.list);
		if (!err && copy_to_user(uarg, &a.list, sizeof(a.list)))
			err = -EFAULT;
		return err;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations heca_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = heca_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice heca_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "heca",
	.nodename = "heca/" HECA_CONTROL_NAME,
	.mode = 0600,
	.fops = &heca_ctl_fops,
};

static int __init heca_init(void)
{
	int err;

	err = heca_tcp_init();
	if (err)
		return err;

	err = heca_state_init();
	if (err)
		goto err_tcp_exit;

	err = heca_regions_init();
	if (err)
		goto err_state_exit;

	err = misc_register(&heca_ctl_dev);
	if (err)
		goto err_regions_exit;

	pr_info("loaded, ABI %u, control device /dev/heca/%s\n",
		HECA_ABI_VERSION, HECA_CONTROL_NAME);
	return 0;

err_regions_exit:
	heca_regions_exit();
err_state_exit:
	heca_state_exit();
err_tcp_exit:
	heca_tcp_exit();
	return err;
}

static void __exit heca_exit(void)
{
	misc_deregister(&heca_ctl_dev);
	heca_regions_exit();
	heca_state_exit();
	heca_tcp_exit();
	pr_info("unloaded\n");
}

module_init(heca_init);
module_exit(heca_exit);

MODULE_DESCRIPTION("heca: guest RAM regions for live migration of KVM VMs");
MODULE_AUTHOR("The heca developers");
MODULE_LICENSE("GPL");
