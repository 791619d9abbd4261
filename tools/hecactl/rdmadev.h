/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: which RDMA device, if any, carries an IP address: the choice of
 * --transport auto.  RoCE (and soft-RoCE, rdma_rxe) ports list the IP
 * addresses of their network device in their GID table; the kernel's
 * rdma_cm resolves an address to the device whose GID it is.
 */
#ifndef HECACTL_RDMADEV_H
#define HECACTL_RDMADEV_H

#include <stddef.h>

#include <linux/heca.h>

/* Where the RDMA devices are; HECA_SYSFS_IB overrides it (for tests). */
#define HC_SYSFS_IB	"/sys/class/infiniband"

/*
 * Is the address of @a (IPv4 or IPv6, the port ignored) a GID of an
 * ACTIVE port of an RDMA device?  Returns 1 with the device's name in @dev,
 * 0 if none, -1 if the devices cannot be read.
 */
int hc_rdma_dev_with_addr(const struct heca_addr *a, char *dev, size_t len);

/*
 * The local address the kernel would use to reach @peer (a UDP connect,
 * nothing is sent) into *@local.  Returns 0 or an errno.
 */
int hc_local_addr_for(const struct heca_addr *peer, struct heca_addr *local);

#endif /* HECACTL_RDMADEV_H */
