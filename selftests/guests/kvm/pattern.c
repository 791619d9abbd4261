// SPDX-License-Identifier: GPL-2.0
/*
 * Tiny KVM test guest: write kvm_guest_word() over [start, end), report,
 * read it all back, report the mismatches, then keep reporting.
 */
#include "kvm_guest.h"

static inline void outl(uint16_t port, uint32_t val)
{
	__asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

__attribute__((noreturn, section(".text.entry"))) void guest_entry(void)
{
	const volatile struct kvm_guest_params *p =
		(const volatile struct kvm_guest_params *)KVM_GUEST_PARAMS;
	uint32_t start = p->start, end = p->end, seed = p->seed;
	uint32_t a, bad = 0;

	if (p->magic != KVM_GUEST_MAGIC || start < KVM_GUEST_DATA ||
	    end <= start || (start | end) & 0xfff)
		for (;;)
			outl(KVM_GUEST_PORT_BAD, p->magic);

	for (a = start; a != end; a += 4)
		*(volatile uint32_t *)a = kvm_guest_word(seed, a);
	outl(KVM_GUEST_PORT_WRITTEN, (end - start) >> 12);

	for (a = start; a != end; a += 4)
		bad += *(volatile uint32_t *)a != kvm_guest_word(seed, a);
	for (;;)
		outl(KVM_GUEST_PORT_VERIFIED, bad);
}
