// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny KVM guest whose RAM is a heca region: the guest writes a pattern
 * over all of it (all but the first 64 KiB: code, stack, parameters), reads
 * it back, and the host checks every word through a second, independent
 * mapping of /dev/heca/<name>.  Variants: without an in-kernel irqchip, and
 * with one and guest interrupts on (the setup in which KVM takes its
 * asynchronous page-fault path).
 */
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "heca_harness.h"
#include "heca_test.h"
#include "heca_vmm.h"
#include "guests/kvm/kvm_guest.h"

/* The guest binary, built by guests/kvm/Makefile, linked in. */
__asm__(".pushsection .rodata\n"
	".global kvm_guest_bin, kvm_guest_bin_end\n"
	".balign 16\n"
	"kvm_guest_bin:\n"
	".incbin \"guests/kvm/build/pattern.bin\"\n"
	"kvm_guest_bin_end:\n"
	".popsection\n");
extern const unsigned char kvm_guest_bin[], kvm_guest_bin_end[];

#define GUEST_MEM	(64 * MiB)
#define RUN_SECONDS	600

FIXTURE(vm) {
	int ctl, region;
	struct heca_vm v;
	uint8_t *mem;
	char name[HECA_NAME_MAX];
};

FIXTURE_VARIANT(vm) {
	bool irqchip;	/* in-kernel LAPIC/IOAPIC/PIC */
	bool intr_on;	/* guest EFLAGS.IF */
};

FIXTURE_VARIANT_ADD(vm, plain) {
	.irqchip = false,
	.intr_on = false,
};

FIXTURE_VARIANT_ADD(vm, irqchip_if1) {
	.irqchip = true,
	.intr_on = true,
};

FIXTURE_SETUP(vm)
{
	struct kvm_guest_params params = {
		.magic = KVM_GUEST_MAGIC,
		.start = KVM_GUEST_DATA,
		.end = GUEST_MEM,
		.seed = (uint32_t)time(NULL) ^ (uint32_t)getpid(),
	};
	char path[64];
	int err;

	heca_vm_init(&self->v);
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
	heca_unique_name(self->name, sizeof(self->name), "kvm");
	heca_region_path(path, sizeof(path), self->name);
	ASSERT_EQ(0, heca_region_create(self->ctl, self->name, GUEST_MEM, 0));
	self->region = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->region);
	self->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->region, 0);
	ASSERT_NE(MAP_FAILED, self->mem);

	err = heca_vm_create(&self->v, self->mem, GUEST_MEM, variant->irqchip);
	ASSERT_EQ(0, err) TH_LOG("creating the VM: %s", strerror(-err));

	/* Load the guest through the VMM's own mapping of the region. */
	memcpy(self->mem + KVM_GUEST_LOAD, kvm_guest_bin,
	       kvm_guest_bin_end - kvm_guest_bin);
	memcpy(self->mem + KVM_GUEST_PARAMS, &params, sizeof(params));
	ASSERT_EQ(0, heca_vm_flat32(&self->v, KVM_GUEST_LOAD, KVM_GUEST_STACK,
				    variant->intr_on));
}

FIXTURE_TEARDOWN(vm)
{
	heca_vm_release(&self->v);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, GUEST_MEM);
	close(self->region);
	EXPECT_EQ(0, heca_region_destroy(self->ctl, self->name));
	close(self->ctl);
}

/* Run the vCPU until it reports on @port; returns the reported value. */
static uint32_t run_until(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vm) *self, uint16_t port)
{
	struct kvm_run *run = self->v.run;
	time_t deadline = time(NULL) + RUN_SECONDS;
	uint32_t val;

	for (;;) {
		ASSERT_EQ(0, ioctl(self->v.vcpu, KVM_RUN, 0))
			TH_LOG("KVM_RUN: %s", strerror(errno));
		ASSERT_EQ(KVM_EXIT_IO, run->exit_reason)
			TH_LOG("unexpected exit %u", run->exit_reason);
		ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
		ASSERT_EQ(4, run->io.size);
		val = *heca_vm_io_data(&self->v);
		ASSERT_NE(KVM_GUEST_PORT_BAD, run->io.port)
			TH_LOG("guest refused its parameters");
		if (run->io.port == port)
			return val;
		ASSERT_LT(time(NULL), deadline);
	}
}

TEST_F_TIMEOUT(vm, pattern_over_all_ram, RUN_SECONDS + 60)
{
	const struct kvm_guest_params *p =
		(const void *)(self->mem + KVM_GUEST_PARAMS);
	struct heca_region_info info;
	uint32_t written, bad, seed = p->seed;
	const uint32_t *view;
	size_t a, wrong = 0;
	int fd2;
	char path[64];

	written = run_until(_metadata, self, KVM_GUEST_PORT_WRITTEN);
	EXPECT_EQ((GUEST_MEM - KVM_GUEST_DATA) / 4096, written);
	bad = run_until(_metadata, self, KVM_GUEST_PORT_VERIFIED);
	EXPECT_EQ(0, bad);

	/*
	 * Pages are allocated on first touch: all of the pattern, plus the
	 * parameters (page 0), the code (page 1) and the stack (page 7).
	 */
	ASSERT_EQ(0, heca_region_find(self->ctl, self->name, &info));
	EXPECT_EQ((GUEST_MEM - KVM_GUEST_DATA) / 4096 + 3, info.resident);

	/* A second, independent view of the region sees the guest's data. */
	heca_region_path(path, sizeof(path), self->name);
	fd2 = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	view = mmap(NULL, GUEST_MEM, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, view);
	for (a = KVM_GUEST_DATA; a < GUEST_MEM; a += 4)
		wrong += view[a / 4] != kvm_guest_word(seed, a);
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, memcmp(view + KVM_GUEST_LOAD / 4, kvm_guest_bin,
			    kvm_guest_bin_end - kvm_guest_bin));
	munmap((void *)view, GUEST_MEM);
	close(fd2);
}

TEST_HARNESS_MAIN
