// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the RDMA transport's tracepoints (events/heca/heca_rdma_*) and the
 * workqueue its completions and connections queue their work on.
 */

#include "rdma.h"

#define CREATE_TRACE_POINTS
#include "trace_rdma.h"

struct workqueue_struct *heca_rdma_wq;
