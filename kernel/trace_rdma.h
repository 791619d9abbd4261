/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca_rdma tracepoints, in heca's trace system: events/heca/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM heca

#if !defined(_HECA_TRACE_RDMA_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HECA_TRACE_RDMA_H

#include <linux/tracepoint.h>

#include "rdma.h"

TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_NEW);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_CONNECTING);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_FLUSHED);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_ESTABLISHED);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_FAILED);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_DISCONNECTED);
TRACE_DEFINE_ENUM(HECA_RDMA_CHAN_CLOSING);

#define show_heca_rdma_chan_state(x)					\
	__print_symbolic(x,						\
			 { HECA_RDMA_CHAN_NEW, "NEW" },			\
			 { HECA_RDMA_CHAN_CONNECTING, "CONNECTING" },	\
			 { HECA_RDMA_CHAN_FLUSHED, "FLUSHED" },		\
			 { HECA_RDMA_CHAN_ESTABLISHED, "ESTABLISHED" },	\
			 { HECA_RDMA_CHAN_FAILED, "FAILED" },		\
			 { HECA_RDMA_CHAN_DISCONNECTED, "DISCONNECTED" }, \
			 { HECA_RDMA_CHAN_CLOSING, "CLOSING" })

/* RDMA: a channel (the main or the urgent one) changed state. */
TRACE_EVENT(heca_rdma_chan_state,
	    TP_PROTO(const char *region, bool urgent,
		     enum heca_rdma_chan_state old,
		     enum heca_rdma_chan_state state),
	    TP_ARGS(region, urgent, old, state),
	    TP_STRUCT__entry(__string(region, region)
			     __field(bool, urgent)
			     __field(unsigned int, old)
			     __field(unsigned int, state)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->urgent = urgent;
			   __entry->old = old;
			   __entry->state = state;),
	    TP_printk("%s %s channel %s -> %s", __get_str(region),
		      __entry->urgent ? "urgent" : "main",
		      show_heca_rdma_chan_state(__entry->old),
		      show_heca_rdma_chan_state(__entry->state))
);

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
