// SPDX-License-Identifier: GPL-2.0
/*
 * The verifying guest (heca_guest.h page format): write every page of
 * [start, end) in generation 1, then keep rewriting them in order, one
 * sweep after another, each sweep one generation up, asking the VMM
 * (port KVM_GUEST_PORT_CMD) before every page whether to go on.  When told
 * to verify, check, from the top down, that [end, top) is still zero and
 * that every page holds exactly what the sweep rule says (pages below the
 * cursor the newer generation, the others the older one), report the
 * number of bad pages, stop.
 *
 * All its state is in registers and on its stack, so a VMM that moves the
 * registers and the memory moves the guest: whatever the migration loses,
 * tears or leaves stale shows up as a bad page.
 */
#include "kvm_guest.h"
#include "../multiboot/heca_guest.h"

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

static uint32_t *page_at(uint32_t pfn)
{
	return (uint32_t *)(pfn * HG_PAGE_SIZE);
}

__attribute__((noreturn, section(".text.entry"))) void guest_entry(void)
{
	const volatile struct kvm_guest_params *p =
		(const volatile struct kvm_guest_params *)KVM_GUEST_PARAMS;
	uint32_t first = p->start / HG_PAGE_SIZE, last = p->end / HG_PAGE_SIZE;
	uint32_t top = p->top / HG_PAGE_SIZE, seed = p->seed;
	uint32_t gen = 1, cursor = first, pfn, bad = 0;

	if (p->magic != KVM_GUEST_MAGIC || p->start < KVM_GUEST_DATA ||
	    last <= first || top < last || (p->start | p->end) & 0xfff)
		for (;;)
			outl(KVM_GUEST_PORT_BAD, p->magic);

	for (pfn = first; pfn < last; pfn++)
		hg_fill_page(page_at(pfn), seed, gen, pfn);
	outl(KVM_GUEST_PORT_FILLED, last - first);

	while (inl(KVM_GUEST_PORT_CMD) != KVM_GUEST_CMD_VERIFY) {
		hg_fill_page(page_at(cursor), seed, gen + 1, cursor);
		if (++cursor == last) {
			cursor = first;
			gen++;
		}
	}

	/* Top down: against a pull that goes bottom up, some pages must be
	 * fetched on demand.
	 */
	for (pfn = top; pfn-- > last;)
		bad += *(volatile uint32_t *)page_at(pfn) != 0;
	for (pfn = last; pfn-- > first;)
		bad += hg_check_page(page_at(pfn), seed,
				     pfn < cursor ? gen + 1 : gen, pfn) != 0;
	outl(KVM_GUEST_PORT_VERIFIED, bad);
	for (;;)
		outl(KVM_GUEST_PORT_DONE, (cursor - first) | gen << 24);
}
