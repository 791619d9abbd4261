/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the source role: rounds, the switchover, dirty tracking.
 */
#ifndef _HECA_SOURCE_H
#define _HECA_SOURCE_H

#include <linux/mm_types.h>

#include "heca.h"

struct heca_session;

/* source.c */
struct page *heca_source_page(struct heca_session *s, pgoff_t idx);
int heca_source_switchover(struct heca_session *s);
int heca_source_round(struct heca_session *s, u32 *round, u64 *pages);

/* source_dirty.c: write tracking */
vm_fault_t heca_page_mkwrite(struct vm_fault *vmf);
long heca_dirty_take(struct heca_region *r, unsigned long *out);
void heca_dirty_free(struct heca_region *r);
void heca_dirty_reset(struct heca_region *r);
int heca_dirty_ioctl(struct heca_region *r, struct heca_dirty *a);

#endif /* _HECA_SOURCE_H */
