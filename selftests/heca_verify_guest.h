/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM's side of the verifying guest (guests/kvm/verify.c), shared by the
 * migration tests: the guest binary, and vCPU threads that run it at the
 * source (rewriting pages until paused) and at the destination (verifying).
 */
#ifndef HECA_VERIFY_GUEST_H
#define HECA_VERIFY_GUEST_H

#include <pthread.h>
#include <stdatomic.h>

#include "heca_vmm.h"
#include "guests/kvm/kvm_guest.h"

/* The guest binary, built by guests/kvm/Makefile, linked in. */
__asm__(".pushsection .rodata\n"
	".global verify_bin, verify_bin_end\n"
	".balign 16\n"
	"verify_bin:\n"
	".incbin \"guests/kvm/build/verify.bin\"\n"
	"verify_bin_end:\n"
	".popsection\n");
extern const unsigned char verify_bin[], verify_bin_end[];

/**
 * struct heca_guest_thread - a vCPU thread running the verifying guest
 * @v:		the VM, created by the caller
 * @thread:	the thread, while @started
 * @throttle_us: source: sleep this long per page (sets the dirty rate)
 * @pause:	source: set to pause the guest at its next page
 * @written:	source: pages the guest rewrote so far
 * @err:	0, or why the thread stopped (-errno of KVM_RUN, -EIO)
 * @bad:	destination: bad pages the guest found (~0 before it said)
 */
struct heca_guest_thread {
	struct heca_vm v;
	pthread_t thread;
	bool started;
	unsigned int throttle_us;
	atomic_bool pause;
	atomic_ulong written;
	int err;
	uint32_t bad;
};

/* Run until a port I/O exit; false (with t->err) on anything else. */
static inline bool heca_guest_run(struct heca_guest_thread *t)
{
	struct heca_vm *v = &t->v;

	if (ioctl(v->vcpu, KVM_RUN, 0)) {
		t->err = -errno;
		return false;
	}
	if (v->run->exit_reason != KVM_EXIT_IO) {
		t->err = -EIO;
		return false;
	}
	return true;
}

/*
 * The source: answer GO before every page until paused.  Then answer
 * VERIFY, so that the guest verifies when it runs again (at the
 * destination), and complete that IN without entering the guest
 * (immediate_exit), so that the registers are final.
 */
static inline void *heca_guest_sweep(void *arg)
{
	struct heca_guest_thread *t = arg;
	struct heca_vm *v = &t->v;

	while (heca_guest_run(t)) {
		if (v->run->io.port != KVM_GUEST_PORT_CMD)
			continue;
		if (!atomic_load(&t->pause)) {
			*heca_vm_io_data(v) = KVM_GUEST_CMD_GO;
			atomic_fetch_add(&t->written, 1);
			if (t->throttle_us)
				usleep(t->throttle_us);
			continue;
		}
		*heca_vm_io_data(v) = KVM_GUEST_CMD_VERIFY;
		v->run->immediate_exit = 1;
		ioctl(v->vcpu, KVM_RUN, 0);	/* completes the IN: -EINTR */
		break;
	}
	return NULL;
}

/* The destination: run the guest until it has verified everything. */
static inline void *heca_guest_verify(void *arg)
{
	struct heca_guest_thread *t = arg;
	struct heca_vm *v = &t->v;

	t->bad = ~0u;
	while (heca_guest_run(t)) {
		if (v->run->io.port == KVM_GUEST_PORT_VERIFIED)
			t->bad = *heca_vm_io_data(v);
		if (v->run->io.port == KVM_GUEST_PORT_DONE)
			break;
	}
	return NULL;
}

static inline int heca_guest_start(struct heca_guest_thread *t,
				   void *(*fn)(void *))
{
	if (pthread_create(&t->thread, NULL, fn, t))
		return -EAGAIN;
	t->started = true;
	return 0;
}

static inline void heca_guest_join(struct heca_guest_thread *t)
{
	if (!t->started)
		return;
	pthread_join(t->thread, NULL);
	t->started = false;
}

/* Pause the source's guest and take its registers; 0 or -errno. */
static inline int heca_guest_pause(struct heca_guest_thread *t,
				   struct kvm_regs *regs,
				   struct kvm_sregs *sregs)
{
	atomic_store(&t->pause, true);
	heca_guest_join(t);
	if (t->err)
		return t->err;
	if (ioctl(t->v.vcpu, KVM_GET_REGS, regs) ||
	    ioctl(t->v.vcpu, KVM_GET_SREGS, sregs))
		return -errno;
	return 0;
}

#endif /* HECA_VERIFY_GUEST_H */
