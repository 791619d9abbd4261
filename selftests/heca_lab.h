/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lab's network, as its job environment describes it
 * (tools/lab/README.md), for the tests that use the soft-RoCE pair
 * (selftests/lib/lab.c).  One VM has a veth pair va/vb with an rxe device
 * on each end: LAB_SELF_IP on va (the source's side, the first LAB_RXE
 * device), LAB_PEER_IP on vb (the destination's, the second).  Unset, the
 * lab's own values are used: 192.0.2.1, 192.0.2.2, "rxe0 rxe1".
 */
#ifndef HECA_LAB_H
#define HECA_LAB_H

#include <stdbool.h>
#include <stddef.h>

/* Where loopback sessions listen and connect. */
#define LAB_LOOPBACK_IP		"127.0.0.1"

/* $LAB_SELF_IP, else 192.0.2.1: va, the source's side of the pair. */
const char *lab_self_ip(void);

/* $LAB_PEER_IP, else 192.0.2.2: vb, where the destination listens. */
const char *lab_peer_ip(void);

/* LAB_LOOPBACK_IP, for a test variant's address function. */
const char *lab_loopback_ip(void);

/*
 * The @i-th word of $LAB_RXE (0: va's device, 1: vb's), else "rxe<i>".
 * The string lives until the next call with the same @i.
 */
const char *lab_rxe(unsigned int i);

/* Do both rxe devices of the pair exist (/sys/class/infiniband/<dev>)? */
bool lab_have_rxe_pair(void);

/*
 * Is this the lab: does an interface of this host have lab_self_ip(), and
 * are there RDMA devices?  NULL if so, else why not, for a SKIP.
 */
const char *lab_rxe_missing(void);

/*
 * The RDMA device whose parent is network device @netdev into @name.
 * Returns 0, -ENOENT, or -errno if the devices cannot be read.
 */
int lab_rxe_of(const char *netdev, char *name, size_t len);

/* Is port 1 of RDMA device @dev ACTIVE with the IPv4 address @ip as a GID? */
bool lab_rxe_ready(const char *dev, const char *ip);

#endif /* HECA_LAB_H */
