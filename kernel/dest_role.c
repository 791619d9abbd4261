// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the destination role's table: its page state (dest.c), faults
 * (dest_fault.c) and puller (dest_pull.c) together.
 */

#include "heca.h"
#include "dest.h"

const struct heca_role heca_dest_role = {
	.name = "destination",
	.region_flags = HECA_REGION_DEST,
	.stats_role = 1,
	.accepts = true,
	.vm_ops = &heca_dest_vm_ops,
	.alloc = heca_dest_alloc,
	.free = heca_dest_free,
	.prepare = heca_dest_prepare,
	.start = heca_puller_start,
	.stop = heca_puller_stop,
	.recv = heca_dest_recv,
	.wake = heca_dest_wake,
	.fill_stats = heca_dest_fill_stats,
};
