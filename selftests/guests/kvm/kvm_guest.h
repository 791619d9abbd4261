/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the tiny KVM test guest (pattern.c, 32-bit protected
 * mode, no paging) and the test VMM (selftests/kvm_test.c).
 */
#ifndef HECA_KVM_GUEST_H
#define HECA_KVM_GUEST_H

#include <stdint.h>

#define KVM_GUEST_LOAD		0x1000	/* code is loaded and entered here */
#define KVM_GUEST_STACK		0x8000	/* initial esp */
#define KVM_GUEST_PARAMS	0x0500	/* struct kvm_guest_params */
#define KVM_GUEST_DATA		0x10000	/* first byte of the pattern */

#define KVM_GUEST_MAGIC		0x68656361	/* "heca" */

/* Ports the guest writes (outl) to report to the VMM. */
#define KVM_GUEST_PORT_WRITTEN	0xf0	/* value: pages written */
#define KVM_GUEST_PORT_VERIFIED	0xf1	/* value: words that mismatched */
#define KVM_GUEST_PORT_BAD	0xf2	/* value: params were unusable */

/* Ports of the verifying guest (verify.c). */
#define KVM_GUEST_PORT_FILLED	0xf3	/* out: pages written in gen 1 */
#define KVM_GUEST_PORT_CMD	0xf4	/* in: KVM_GUEST_CMD_* */
#define KVM_GUEST_PORT_DONE	0xf5	/* out: nothing more will happen */

#define KVM_GUEST_CMD_GO	0	/* rewrite the next page */
#define KVM_GUEST_CMD_VERIFY	1	/* stop writing, verify everything */

/* The touch guest (touch.c): a batch of accesses listed by the VMM. */
#define KVM_GUEST_TOUCH_LIST	0x2000	/* uint32_t entries: pfn | flag */
#define KVM_GUEST_TOUCH_WRITE	0x80000000u
#define KVM_GUEST_TOUCH_MAX	1024
#define KVM_GUEST_PORT_BATCH	0xf6	/* out: entries done */

struct kvm_guest_params {
	uint32_t magic;
	uint32_t start;		/* first byte of the pattern, page-aligned */
	uint32_t end;		/* one past the last byte, page-aligned */
	uint32_t seed;
	uint32_t top;		/* verify.c: [end, top) must read as zero */
};

/* The 32-bit word the pattern puts at guest-physical address @addr. */
static inline uint32_t kvm_guest_word(uint32_t seed, uint32_t addr)
{
	uint32_t x = addr ^ seed;

	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

#endif /* HECA_KVM_GUEST_H */
