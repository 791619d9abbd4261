// SPDX-License-Identifier: GPL-2.0
/*
 * The touch guest: ask the VMM (in from KVM_GUEST_PORT_CMD) how many
 * entries of the list at KVM_GUEST_TOUCH_LIST to do, read or write each
 * listed page (a word at offset 64), report the batch done, ask again.
 * Its loop uses registers only, so it writes no page of its own.
 */
#include "kvm_guest.h"

static inline void outl(uint16_t port, uint32_t val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t val;

	__asm__ volatile("inl %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

__attribute__((noreturn, section(".text.entry"))) void guest_entry(void)
{
	const volatile uint32_t *list =
		(const volatile uint32_t *)KVM_GUEST_TOUCH_LIST;
	uint32_t n, i, e, sum = 0;
	volatile uint32_t *w;

	for (;;) {
		n = inl(KVM_GUEST_PORT_CMD);
		if (n > KVM_GUEST_TOUCH_MAX)
			n = KVM_GUEST_TOUCH_MAX;
		for (i = 0; i < n; i++) {
			e = list[i];
			w = (volatile uint32_t *)((e & ~KVM_GUEST_TOUCH_WRITE) *
						   4096 + 64);
			if (e & KVM_GUEST_TOUCH_WRITE)
				*w = i + 1;
			else
				sum += *w;
		}
		outl(KVM_GUEST_PORT_BATCH, n + (sum & 0));
	}
}
