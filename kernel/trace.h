/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca tracepoints: /sys/kernel/tracing/events/heca/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM heca

#if !defined(_HECA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HECA_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(heca_fault,
	    TP_PROTO(const char *region, unsigned long idx, unsigned int flags,
		     int kind),
	    TP_ARGS(region, idx, flags, kind),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, idx)
			     __field(unsigned int, flags)
			     __field(int, kind)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->idx = idx;
			   __entry->flags = flags;
			   __entry->kind = kind;),
	    TP_printk("%s page %lu flags %#x %s", __get_str(region), __entry->idx,
		      __entry->flags,
		      __print_symbolic(__entry->kind, { 0, "present" },
				       { 1, "zero" }, { 2, "absent" },
				       { 3, "failed" }))
);

TRACE_EVENT(heca_fault_done,
	    TP_PROTO(const char *region, unsigned long idx, unsigned int ret),
	    TP_ARGS(region, idx, ret),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, idx)
			     __field(unsigned int, ret)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->idx = idx;
			   __entry->ret = ret;),
	    TP_printk("%s page %lu vm_fault %#x", __get_str(region),
		      __entry->idx, __entry->ret)
);

/* @kind: 0 background pull, 1 urgent (a fault waits), 2 prefetch */
TRACE_EVENT(heca_fetch_issue,
	    TP_PROTO(const char *region, unsigned long first, unsigned int count,
		     int kind),
	    TP_ARGS(region, first, count, kind),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, first)
			     __field(unsigned int, count)
			     __field(int, kind)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->first = first;
			   __entry->count = count;
			   __entry->kind = kind;),
	    TP_printk("%s pages %lu+%u %s", __get_str(region), __entry->first,
		      __entry->count,
		      __print_symbolic(__entry->kind, { 0, "background" },
				       { 1, "urgent" }, { 2, "prefetch" }))
);

TRACE_EVENT(heca_fetch_done,
	    TP_PROTO(const char *region, unsigned long first, unsigned int count,
		     int err),
	    TP_ARGS(region, first, count, err),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, first)
			     __field(unsigned int, count)
			     __field(int, err)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->first = first;
			   __entry->count = count;
			   __entry->err = err;),
	    TP_printk("%s pages %lu+%u err %d", __get_str(region),
		      __entry->first, __entry->count, __entry->err)
);

/* TCP: a read request sent, on the urgent connection or the main one. */
TRACE_EVENT(heca_tcp_read,
	    TP_PROTO(const char *region, unsigned long first, unsigned int count,
		     bool urgent, bool urgent_conn),
	    TP_ARGS(region, first, count, urgent, urgent_conn),
	    TP_STRUCT__entry(__string(region, region)
			     __field(unsigned long, first)
			     __field(unsigned int, count)
			     __field(bool, urgent)
			     __field(bool, urgent_conn)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->first = first;
			   __entry->count = count;
			   __entry->urgent = urgent;
			   __entry->urgent_conn = urgent_conn;),
	    TP_printk("%s pages %lu+%u %s conn %s", __get_str(region),
		      __entry->first, __entry->count,
		      __entry->urgent ? "urgent" : "background",
		      __entry->urgent_conn ? "urgent" : "main")
);

TRACE_EVENT(heca_state,
	    TP_PROTO(const char *region, int from, int to, int err),
	    TP_ARGS(region, from, to, err),
	    TP_STRUCT__entry(__string(region, region)
			     __field(int, from)
			     __field(int, to)
			     __field(int, err)),
	    TP_fast_assign(__assign_str(region, region);
			   __entry->from = from;
			   __entry->to = to;
			   __entry->err = err;),
	    TP_printk("%s %d -> %d err %d", __get_str(region), __entry->from,
		      __entry->to, __entry->err)
);

#endif /* _HECA_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
