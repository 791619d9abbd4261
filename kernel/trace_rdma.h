/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca_rdma tracepoints, in heca's trace system: events/heca/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM heca

#if !defined(_HECA_TRACE_RDMA_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HECA_TRACE_RDMA_H

#include <linux/tracepoint.h>

/*
 * RDMA: the READs of a fetch were posted, on the urgent channel's QP or on
 * the main one.
 */
TRACE_EVENT(heca_rdma_read,
	    TP_PROTO(const char *region, unsigned long first, unsigned int count,
		     bool urgent, bool urgent_qp),
	    TP_ARGS(region, first, count, urgent, urgent_qp),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, first)
			     __field(unsigned int, count)
			     __field(bool, urgent)
			     __field(bool, urgent_qp)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->first = first;
			   __entry->count = count;
			   __entry->urgent = urgent;
			   __entry->urgent_qp = urgent_qp;),
	    TP_printk("%s pages %lu+%u %s qp %s", __get_str(region),
		      __entry->first, __entry->count,
		      __entry->urgent ? "urgent" : "background",
		      __entry->urgent_qp ? "urgent" : "main")
);

#endif /* _HECA_TRACE_RDMA_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace_rdma
#include <trace/define_trace.h>
