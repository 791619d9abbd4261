// SPDX-License-Identifier: GPL-2.0
/*
 * How downtime relates to region size and dirty set, per mode, asserted as
 * relations (never as absolute times): a writer thread keeps dirtying a
 * working set of a source region whose every page holds data; the policy
 * library (tools/lib/heca/migrate.c) migrates it over loopback TCP.
 *
 *  - post-copy and hybrid: the downtime (pause to resume) of a 512 MiB
 *    region is not larger than that of a 64 MiB one beyond noise
 *    (2x + 250 ms): no page moves while the "VM" is paused;
 *  - pre-copy forced at the timeout: the downtime grows with the dirty
 *    set (8192 vs 256 pages dirtied between rounds): the final set moves
 *    while paused.
 *
 * Every migration must end with the destination equal to the source at
 * pause.  The figures are printed (TH_LOG) for the record.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "heca_harness.h"
#include "heca_test.h"
#include "heca_migrate.h"

#define PAGE	4096UL

struct writer {
	pthread_t thread;
	uint8_t *mem;
	unsigned long wss;		/* pages rewritten, from page 0 */
	atomic_bool stop;
	atomic_ulong sweeps;
	bool running;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t gen = 1;

	while (!atomic_load(&w->stop)) {
		for (unsigned long i = 0; i < w->wss && !atomic_load(&w->stop); i++)
			*(volatile uint64_t *)(w->mem + i * PAGE + (gen % 64) * 8) = gen;
		gen++;
		atomic_fetch_add(&w->sweeps, 1);
	}
	return NULL;
}

struct run {
	struct writer w;
	struct heca_mig_result res;
};

static int vmm_pause(void *ctx)
{
	struct run *r = ctx;

	atomic_store(&r->w.stop, true);
	if (r->w.running)
		pthread_join(r->w.thread, NULL);
	r->w.running = false;
	return 0;
}

static int vmm_nop(void *ctx)
{
	(void)ctx;
	return 0;
}

static const struct heca_mig_ops ops = {
	.pause = vmm_pause,
	.handover = vmm_nop,
	.resume = vmm_nop,
};

static int region(int ctl, char *name, const char *what, uint64_t size,
		  bool dest, uint8_t **mem)
{
	heca_unique_name(name, HECA_NAME_MAX, what);
	return heca_region_setup(ctl, name, size, dest ? HECA_REGION_DEST : 0,
				 (void **)mem);
}

static void destroy(int ctl, const char *name)
{
	heca_region_destroy(ctl, name);
}

/*
 * Migrate a @mib MiB region, every page holding data, while @wss pages are
 * rewritten, in @mode with @timeout_ms of rounds.  Returns the downtime in
 * ms, or a negative value after a failed assertion.
 */
static double migrate(struct __test_metadata *_metadata, int ctl,
		      unsigned long mib, unsigned long wss,
		      enum heca_mig_mode mode, unsigned int timeout_ms)
{
	struct heca_mig_params mp = {
		.mode = mode, .timeout_ms = timeout_ms, .downtime_ms = 1,
		.complete_timeout_ms = 600000,
	};
	char sname[HECA_NAME_MAX], dname[HECA_NAME_MAX];
	uint64_t size = mib << 20;
	struct heca_session_start args;
	struct heca_listener l;
	__u8 token[HECA_TOKEN_BYTES];
	uint8_t *src = NULL, *dst = NULL;
	struct run r = { 0 };
	unsigned long differ = 0;
	int sfd, dfd, err;
	double ms = -1;

	sfd = region(ctl, sname, "dtsrc", size, false, &src);
	EXPECT_LE(0, sfd);
	dfd = region(ctl, dname, "dtdst", size, true, &dst);
	EXPECT_LE(0, dfd);
	if (sfd < 0 || dfd < 0)
		goto out;
	/* Every page holds data: a page of zeros would not be sent at all. */
	for (unsigned long i = 0; i < size / PAGE; i++)
		memset(src + i * PAGE, (int)(i % 251) + 1, 64);

	heca_random_token(token);
	heca_start_args(&args, "127.0.0.1", 20000 + (getpid() + mib + wss) % 12000,
			token, 20000, 60000);
	EXPECT_EQ(0, heca_listen_async(&l, dfd, &args));
	EXPECT_EQ(0, heca_session_connect(sfd, &args, 30));
	EXPECT_EQ(0, heca_listen_finish(&l));
	if (!_metadata->passed)
		goto out;

	r.w.mem = src;
	r.w.wss = wss;
	EXPECT_EQ(0, pthread_create(&r.w.thread, NULL, writer_main, &r.w));
	r.w.running = _metadata->passed;
	err = heca_migrate(sfd, &mp, &ops, &r, &r.res);
	vmm_pause(&r);
	EXPECT_EQ(0, err) TH_LOG("%s: %s", r.res.failed, strerror(-err));
	if (err)
		goto out;
	EXPECT_EQ(0, heca_wait_state(dfd, HECA_STATE_COMPLETE, 600000, NULL, NULL));
	for (unsigned long i = 0; i < size / PAGE; i++)
		differ += memcmp(src + i * PAGE, dst + i * PAGE, PAGE) != 0;
	EXPECT_EQ(0, differ);
	ms = r.res.downtime_ns / 1e6;
	TH_LOG("%-8s %4lu MiB, %5lu pages dirtied: %s, %u rounds; downtime %.1f ms (switchover %.1f ms), total %.0f ms, %llu pages sent",
	       heca_mig_mode_name(mode), mib, wss, heca_mig_end_name(r.res.end),
	       r.res.rounds, ms, r.res.switch_ns / 1e6, r.res.total_ns / 1e6,
	       (unsigned long long)r.res.stats.pages_sent);
out:
	if (src && src != MAP_FAILED)
		munmap(src, size);
	if (dst && dst != MAP_FAILED)
		munmap(dst, size);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	destroy(ctl, sname);
	destroy(ctl, dname);
	return ms;
}

FIXTURE(dt) {
	int ctl;
};

FIXTURE_SETUP(dt)
{
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(dt)
{
	close(self->ctl);
}

/* Post-copy and hybrid: no page moves while paused, whatever the size. */
TEST_F_TIMEOUT(dt, postcopy_hybrid_not_size, 900)
{
	double pc64, pc512, hy64, hy512;

	if (!heca_timing_checked())
		SKIP(return, "HECA_NO_TIMING: timing relations are not measured here");

	pc64 = migrate(_metadata, self->ctl, 64, 256, HECA_MIG_POSTCOPY, 0);
	pc512 = migrate(_metadata, self->ctl, 512, 256, HECA_MIG_POSTCOPY, 0);
	hy64 = migrate(_metadata, self->ctl, 64, 256, HECA_MIG_HYBRID, 2000);
	hy512 = migrate(_metadata, self->ctl, 512, 256, HECA_MIG_HYBRID, 2000);
	ASSERT_TRUE(pc64 >= 0 && pc512 >= 0 && hy64 >= 0 && hy512 >= 0);
	TH_LOG("downtime 64 -> 512 MiB: post-copy %.1f -> %.1f ms, hybrid %.1f -> %.1f ms",
	       pc64, pc512, hy64, hy512);
	EXPECT_LE(pc512, 2 * pc64 + 250);
	EXPECT_LE(hy512, 2 * hy64 + 250);
}

/* Pre-copy forced at the timeout: the final dirty set moves while paused. */
TEST_F_TIMEOUT(dt, precopy_grows_with_dirty_set, 900)
{
	double small, large;

	if (!heca_timing_checked())
		SKIP(return, "HECA_NO_TIMING: timing relations are not measured here");

	/* Round 1 (all 64 MiB) ends well before the timeout. */
	small = migrate(_metadata, self->ctl, 64, 256, HECA_MIG_PRECOPY, 15000);
	large = migrate(_metadata, self->ctl, 64, 8192, HECA_MIG_PRECOPY, 15000);
	ASSERT_TRUE(small >= 0 && large >= 0);
	TH_LOG("pre-copy downtime, 256 -> 8192 pages dirtied: %.1f -> %.1f ms",
	       small, large);
	EXPECT_GT(large, 2 * small);
}

TEST_HARNESS_MAIN
