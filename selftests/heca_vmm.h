/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KVM VMM for heca's selftests, in the spirit of
 * tools/testing/selftests/kvm: one vCPU in 32-bit protected mode without
 * paging, guest RAM at guest-physical 0 backed by a mapping of a region.
 */
#ifndef HECA_VMM_H
#define HECA_VMM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct heca_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
};

void heca_vm_init(struct heca_vm *v);

/*
 * Create a VM with one vCPU whose RAM [0, @size) is @mem; with @irqchip an
 * in-kernel LAPIC/IOAPIC/PIC.  Returns 0 or -errno (what failed is left
 * for the caller to report).
 */
int heca_vm_create(struct heca_vm *v, void *mem, size_t size,
		   bool irqchip);

/* Flat 4 GiB code and data segments, protected mode, no paging. */
int heca_vm_flat32(struct heca_vm *v, uint32_t rip,
		   uint32_t rsp, bool intr_on);

/* The 32-bit value of a port I/O exit (OUT data, or where IN data goes). */
static inline uint32_t *heca_vm_io_data(struct heca_vm *v)
{
	return (uint32_t *)((uint8_t *)v->run + v->run->io.data_offset);
}

void heca_vm_release(struct heca_vm *v);

#endif /* HECA_VMM_H */
