// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking of a source region (HECA_IOC_DIRTY): a round's set is
 * exactly the pages written since the previous round, by a KVM guest or by
 * the host, cross-checked against KVM's own dirty log; reads set nothing;
 * no write is ever lost between rounds, even while rounds are taken
 * concurrently with writers.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "heca_harness.h"
#include "heca_test.h"
#include "heca_vmm.h"
#include "guests/kvm/kvm_guest.h"

__asm__(".pushsection .rodata\n"
	".global touch_bin, touch_bin_end\n"
	".balign 16\n"
	"touch_bin:\n"
	".incbin \"guests/kvm/build/touch.bin\"\n"
	"touch_bin_end:\n"
	".popsection\n");
extern const unsigned char touch_bin[], touch_bin_end[];

#define MEM		(64 * MiB)
#define NPAGES		(MEM / 4096)
#define WORDS		(NPAGES / 64)
#define DATA_FIRST	256		/* pages below 1 MiB: guest, list */
#define STACK_PFN	(KVM_GUEST_STACK / 4096 - 1)
#define LIST_PFN	(KVM_GUEST_TOUCH_LIST / 4096)

FIXTURE(dirty) {
	int ctl, fd;
	uint8_t *mem;
	char name[HECA_NAME_MAX];
	uint64_t set[WORDS];
};

FIXTURE_SETUP(dirty)
{
	char path[64];

	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
	heca_unique_name(self->name, sizeof(self->name), "dirty");
	ASSERT_EQ(0, heca_region_create(self->ctl, self->name, MEM, 0));
	heca_region_path(path, sizeof(path), self->name);
	self->fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(dirty)
{
	munmap(self->mem, MEM);
	close(self->fd);
	EXPECT_EQ(0, heca_region_destroy(self->ctl, self->name));
	close(self->ctl);
}

/* Take a round into @set; returns the page count or -errno. */
static long take(int fd, uint64_t *set, __u32 *round)
{
	struct heca_dirty d = {
		.bitmap = (__u64)(uintptr_t)set,
		.bitmap_bytes = WORDS * 8,
	};
	int err;

	memset(set, 0, WORDS * 8);
	err = heca_dirty(fd, &d);
	if (err)
		return err;
	if (round)
		*round = d.round;
	return d.pages;
}

static bool in(const uint64_t *set, unsigned long p)
{
	return set[p / 64] >> (p % 64) & 1;
}

static unsigned long count(const uint64_t *set)
{
	unsigned long i, n = 0;

	for (i = 0; i < WORDS; i++)
		n += __builtin_popcountll(set[i]);
	return n;
}

TEST_F_TIMEOUT(dirty, guest_writes_exactly, 300)
{
	struct kvm_dirty_log log = { .slot = 0 };
	struct kvm_userspace_memory_region slot;
	uint64_t kvm[WORDS];
	uint32_t *list = (uint32_t *)(self->mem + KVM_GUEST_TOUCH_LIST);
	bool wrote[NPAGES] = { false }, read[NPAGES] = { false };
	struct heca_vm v;
	unsigned long p, i, n = 600, extra = 0, missing = 0, kvm_diff = 0;
	__u32 round;
	long got;
	int err, batch;

	srand(getpid());
	/* Every data page exists, so that reads find pages and set nothing. */
	memset(self->mem + DATA_FIRST * 4096, 0x5a, MEM - DATA_FIRST * 4096);
	memcpy(self->mem + KVM_GUEST_LOAD, touch_bin, touch_bin_end - touch_bin);

	err = heca_vm_create(&v, self->mem, MEM, false);
	ASSERT_EQ(0, err) TH_LOG("VM: %s", strerror(-err));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.memory_size = MEM, .userspace_addr = (uintptr_t)self->mem,
	};
	ASSERT_EQ(0, ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &slot));
	ASSERT_EQ(0, heca_vm_flat32(&v, KVM_GUEST_LOAD, KVM_GUEST_STACK,
				    false));
	/* Up to its first question: its stack pushes are behind it. */
	ASSERT_EQ(0, ioctl(v.vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_GUEST_PORT_CMD, v.run->io.port);

	got = take(self->fd, self->set, &round);
	EXPECT_EQ(1, round);
	/* The data pages, the guest's code page and its stack page. */
	EXPECT_EQ(NPAGES - DATA_FIRST + 2, got);
	log.dirty_bitmap = kvm;
	ASSERT_EQ(0, ioctl(v.vm, KVM_GET_DIRTY_LOG, &log));

	for (batch = 0; batch < 3; batch++) {
		memset(wrote, 0, sizeof(wrote));
		memset(read, 0, sizeof(read));
		for (i = 0; i < n; i++) {
			p = DATA_FIRST + rand() % (NPAGES - DATA_FIRST);
			list[i] = p | (i % 2 ? KVM_GUEST_TOUCH_WRITE : 0);
			if (i % 2)
				wrote[p] = true;
			else
				read[p] = true;
		}
		*heca_vm_io_data(&v) = n;
		ASSERT_EQ(0, ioctl(v.vcpu, KVM_RUN, 0));
		ASSERT_EQ(KVM_GUEST_PORT_BATCH, v.run->io.port);
		ASSERT_EQ(n, *heca_vm_io_data(&v));
		ASSERT_EQ(0, ioctl(v.vcpu, KVM_RUN, 0));
		ASSERT_EQ(KVM_GUEST_PORT_CMD, v.run->io.port);

		got = take(self->fd, self->set, &round);
		ASSERT_LE(0, got);
		EXPECT_EQ(batch + 2, round);
		memset(kvm, 0, sizeof(kvm));
		ASSERT_EQ(0, ioctl(v.vm, KVM_GET_DIRTY_LOG, &log));

		for (p = 0, extra = missing = kvm_diff = 0; p < NPAGES; p++) {
			bool h = in(self->set, p), k = in(kvm, p);

			missing += wrote[p] && !h;
			extra += h && !wrote[p] && p != LIST_PFN;
			/* KVM sees the guest's writes; heca also the host's. */
			kvm_diff += h != (k || p == LIST_PFN);
		}
		EXPECT_EQ(0, missing);
		EXPECT_EQ(0, extra);
		EXPECT_EQ(0, kvm_diff);
		EXPECT_TRUE(in(self->set, LIST_PFN));
		TH_LOG("round %u: %ld pages dirty", round, got);
	}
	heca_vm_release(&v);
}

struct writer {
	uint8_t *mem;
	atomic_bool stop;
	unsigned long written[NPAGES / 64 + 1];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned long p = DATA_FIRST, k = 0;

	while (!atomic_load(&w->stop)) {
		w->mem[p * 4096 + (k % 4096)] = (uint8_t)k;
		__atomic_fetch_or(&w->written[p / 64], 1UL << (p % 64),
				  __ATOMIC_RELAXED);
		p = DATA_FIRST + (p * 7 + 13) % (NPAGES - DATA_FIRST);
		k++;
	}
	return NULL;
}

/* Rounds taken while a writer runs: every written page is in some round. */
TEST_F_TIMEOUT(dirty, no_write_lost_between_rounds, 300)
{
	static struct writer w;
	static uint64_t all[WORDS];
	pthread_t th;
	unsigned long p, lost = 0;
	int r, rounds = 0;

	memset(self->mem + DATA_FIRST * 4096, 1, MEM - DATA_FIRST * 4096);
	ASSERT_LE(0, take(self->fd, self->set, NULL));
	memset(&w, 0, sizeof(w));
	memset(all, 0, sizeof(all));
	w.mem = self->mem;
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_main, &w));
	for (r = 0; r < 20; r++) {
		ASSERT_LE(0, take(self->fd, self->set, NULL));
		for (p = 0; p < WORDS; p++)
			all[p] |= self->set[p];
		rounds++;
		usleep(20000);
	}
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	ASSERT_LE(0, take(self->fd, self->set, NULL));
	for (p = 0; p < WORDS; p++)
		all[p] |= self->set[p];
	for (p = 0; p < NPAGES; p++)
		lost += (w.written[p / 64] >> (p % 64) & 1) && !in(all, p);
	EXPECT_EQ(0, lost);
	EXPECT_LT(0, count(all));
	/* Nothing written since: an empty round. */
	EXPECT_EQ(0, take(self->fd, self->set, NULL));
	TH_LOG("%d rounds under a writer, %lu pages seen", rounds, count(all));
}

TEST_F(dirty, bad_input)
{
	struct heca_region_create c = { .argsz = sizeof(c), .size = MEM,
					.flags = HECA_REGION_DEST };
	struct heca_dirty d = { .argsz = sizeof(d),
				.bitmap = (__u64)(uintptr_t)self->set,
				.bitmap_bytes = WORDS * 8 };
	char name[HECA_NAME_MAX], path[64];
	int fd;

	d.bitmap_bytes = WORDS * 8 - 8;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_DIRTY, &d));
	EXPECT_EQ(EINVAL, errno);
	d.bitmap_bytes = WORDS * 8;
	d.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_DIRTY, &d));
	EXPECT_EQ(EINVAL, errno);
	d.flags = 0;
	d.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_DIRTY, &d));
	EXPECT_EQ(EINVAL, errno);
	d.reserved[1] = 0;
	d.bitmap = 8;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_DIRTY, &d));
	EXPECT_EQ(EFAULT, errno);

	heca_unique_name(name, sizeof(name), "ddst");
	memcpy(c.name, name, strlen(name));
	ASSERT_EQ(0, ioctl(self->ctl, HECA_IOC_REGION_CREATE, &c));
	heca_region_path(path, sizeof(path), name);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	d.bitmap = (__u64)(uintptr_t)self->set;
	EXPECT_EQ(-1, ioctl(fd, HECA_IOC_DIRTY, &d));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	EXPECT_EQ(0, heca_region_destroy(self->ctl, name));
}

TEST_HARNESS_MAIN
