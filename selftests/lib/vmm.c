// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' minimal KVM VMM (see heca_vmm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heca_vmm.h"

void heca_vm_init(struct heca_vm *v)
{
	v->kvm = v->vm = v->vcpu = -1;
	v->run = MAP_FAILED;
	v->run_size = 0;
}

int heca_vm_create(struct heca_vm *v, void *mem, size_t size,
		   bool irqchip)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};
	long n;

	heca_vm_init(v);
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return -errno;
	if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return -ENOTSUP;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -errno;
	if (irqchip && ioctl(v->vm, KVM_CREATE_IRQCHIP, 0))
		return -errno;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -errno;
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return -errno;
	n = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n <= 0)
		return -errno;
	v->run_size = n;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return -errno;
	return 0;
}

int heca_vm_flat32(struct heca_vm *v, uint32_t rip,
		   uint32_t rsp, bool intr_on)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8,
		.type = 11, .present = 1, .dpl = 0, .db = 1, .s = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_regs regs = { 0 };
	struct kvm_sregs s;

	if (ioctl(v->vcpu, KVM_GET_SREGS, &s))
		return -errno;
	data.selector = 0x10;
	data.type = 3;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 |= 1;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s))
		return -errno;
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 0x2 | (intr_on ? 0x200 : 0);
	return ioctl(v->vcpu, KVM_SET_REGS, &regs) ? -errno : 0;
}

void heca_vm_release(struct heca_vm *v)
{
	if (v->run != MAP_FAILED)
		munmap(v->run, v->run_size);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->kvm >= 0)
		close(v->kvm);
	heca_vm_init(v);
}
