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

/* The guest binary, built by guests/kvm/Makefile (selftests/lib/verify_guest.c). */
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
bool heca_guest_run(struct heca_guest_thread *t);

/*
 * The source: answer GO before every page until paused.  Then answer
 * VERIFY, so that the guest verifies when it runs again (at the
 * destination), and complete that IN without entering the guest
 * (immediate_exit), so that the registers are final.
 */
void *heca_guest_sweep(void *arg);

/* The destination: run the guest until it has verified everything. */
void *heca_guest_verify(void *arg);

int heca_guest_start(struct heca_guest_thread *t,
		     void *(*fn)(void *));

void heca_guest_join(struct heca_guest_thread *t);

/* Pause the source's guest and take its registers; 0 or -errno. */
int heca_guest_pause(struct heca_guest_thread *t,
		     struct kvm_regs *regs,
		     struct kvm_sregs *sregs);

#endif /* HECA_VERIFY_GUEST_H */
