/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the region device: the file operations of /dev/heca/<name>.
 */
#ifndef _HECA_REGION_DEV_H
#define _HECA_REGION_DEV_H

#include <linux/fs.h>
#include <linux/types.h>

extern const struct file_operations heca_region_fops;

int heca_copy_in(void *karg, size_t size, unsigned int cmd, unsigned int want,
		 void __user *uarg);

#endif /* _HECA_REGION_DEV_H */
