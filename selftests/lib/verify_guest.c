// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's side of the verifying guest (see heca_verify_guest.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "heca_verify_guest.h"

/* The guest binary, built by guests/kvm/Makefile, linked in. */
__asm__(".pushsection .rodata\n"
	".global verify_bin, verify_bin_end\n"
	".balign 16\n"
	"verify_bin:\n"
	".incbin \"guests/kvm/build/verify.bin\"\n"
	"verify_bin_end:\n"
	".popsection\n");

bool heca_guest_run(struct heca_guest_thread *t)
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

void *heca_guest_sweep(void *arg)
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

void *heca_guest_verify(void *arg)
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

int heca_guest_start(struct heca_guest_thread *t,
		     void *(*fn)(void *))
{
	if (pthread_create(&t->thread, NULL, fn, t))
		return -EAGAIN;
	t->started = true;
	return 0;
}

void heca_guest_join(struct heca_guest_thread *t)
{
	if (!t->started)
		return;
	pthread_join(t->thread, NULL);
	t->started = false;
}

int heca_guest_pause(struct heca_guest_thread *t,
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
