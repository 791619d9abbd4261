// SPDX-License-Identifier: GPL-2.0
/*
 * A region of the largest size, 1 TiB (HECA_REGION_MAX_BYTES), sparse: a
 * few runs of pages spread over it hold data, the rest was never touched.
 * It is migrated in each mode (post-copy: switchover, then faults; pre-copy:
 * a round, synced, then the switchover; hybrid: a round, the switchover
 * before it is synced, then faults), over loopback TCP and over the lab's
 * soft-RoCE pair.  Every data page arrives, untouched pages read zero at
 * the destination and were never sent, what arrived is the touched pages
 * and little more, and the switchover's time is logged beside the touched
 * size.
 */
#include <time.h>

#include "heca_harness.h"
#include "heca_test.h"

#define SIZE		HECA_REGION_MAX_BYTES
#define NPAGES		(SIZE / 4096)
#define RUNS		64		/* data runs, one every 16 GiB */
#define RUN_PAGES	64		/* pages a run */
#define SPAN		(NPAGES / RUNS)

enum mode { POSTCOPY, PRECOPY, HYBRID };

FIXTURE(scale) {
	int ctl, sfd, dfd;
	char src[HECA_NAME_MAX], dst[HECA_NAME_MAX];
	uint64_t *s, *d;
};

FIXTURE_VARIANT(scale) {
	enum mode mode;
	bool rdma;
};

FIXTURE_VARIANT_ADD(scale, postcopy_tcp) { .mode = POSTCOPY };
FIXTURE_VARIANT_ADD(scale, precopy_tcp) { .mode = PRECOPY };
FIXTURE_VARIANT_ADD(scale, hybrid_tcp) { .mode = HYBRID };
FIXTURE_VARIANT_ADD(scale, postcopy_rdma) { .mode = POSTCOPY, .rdma = true };
FIXTURE_VARIANT_ADD(scale, precopy_rdma) { .mode = PRECOPY, .rdma = true };
FIXTURE_VARIANT_ADD(scale, hybrid_rdma) { .mode = HYBRID, .rdma = true };

/* Page @k of run @r. */
static uint64_t data_page(unsigned long r, unsigned long k)
{
	return r * SPAN + k;
}

static uint64_t word(uint64_t page, unsigned long i)
{
	return (page << 9 | i) * 0x9e3779b97f4a7c15ULL + 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

FIXTURE_SETUP(scale)
{
	void *m;

	self->ctl = -1;
	if (variant->rdma && !lab_have_rxe_pair())
		SKIP(return, "no %s/%s: run in the lab", lab_rxe(0), lab_rxe(1));
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
	heca_unique_name(self->src, sizeof(self->src), "ssrc");
	heca_unique_name(self->dst, sizeof(self->dst), "sdst");
	self->sfd = heca_region_setup(self->ctl, self->src, SIZE, 0, &m);
	ASSERT_LE(0, self->sfd);
	self->s = m;
	self->dfd = heca_region_setup(self->ctl, self->dst, SIZE,
				      HECA_REGION_DEST, &m);
	ASSERT_LE(0, self->dfd);
	self->d = m;
}

FIXTURE_TEARDOWN(scale)
{
	if (self->ctl < 0)
		return;
	heca_session_abort(self->sfd);
	heca_session_abort(self->dfd);
	heca_region_teardown(self->ctl, self->src, self->sfd, self->s, SIZE);
	heca_region_teardown(self->ctl, self->dst, self->dfd, self->d, SIZE);
	close(self->ctl);
}

TEST_F_TIMEOUT(scale, one_tib, 600)
{
	struct heca_session_start a;
	struct heca_listener l;
	struct heca_round rd = { .argsz = sizeof(rd) };
	struct heca_stats st;
	__u8 token[HECA_TOKEN_BYTES];
	unsigned long r, k, i, bad = 0, nonzero = 0;
	double t0, t_switch;
	uint64_t p;

	/* The harness runs a test whose setup skipped: skip it here. */
	if (self->ctl < 0)
		SKIP(return, "no %s/%s: run in the lab", lab_rxe(0), lab_rxe(1));
	for (r = 0; r < RUNS; r++)
		for (k = 0; k < RUN_PAGES; k++)
			for (i = 0; i < 512; i += 64)
				self->s[data_page(r, k) * 512 + i] =
					word(data_page(r, k), i);

	heca_random_token(token);
	heca_start_args(&a, variant->rdma ? lab_peer_ip() : lab_loopback_ip(),
			20000 + getpid() % 20000, token, 60000, 60000);
	a.transport = variant->rdma ? HECA_TRANSPORT_RDMA : HECA_TRANSPORT_TCP;
	ASSERT_EQ(0, heca_listen_async(&l, self->dfd, &a));
	ASSERT_EQ(0, heca_session_connect(self->sfd, &a, 20));
	ASSERT_EQ(0, heca_listen_finish(&l));

	if (variant->mode != POSTCOPY) {
		ASSERT_EQ(0, heca_round(self->sfd, &rd));
		EXPECT_EQ(RUNS * RUN_PAGES, rd.pages);
		if (variant->mode == PRECOPY)
			ASSERT_EQ(0, heca_wait_synced(self->sfd, rd.round, 120000));
	}
	t0 = now_ms();
	ASSERT_EQ(0, heca_switchover(self->sfd));
	t_switch = now_ms() - t0;

	/* Faults (hybrid, post-copy) and the pull bring every data page. */
	for (r = 0; r < RUNS; r++)
		for (k = 0; k < RUN_PAGES; k++)
			for (i = 0; i < 512; i += 64) {
				p = data_page(r, k);
				bad += self->d[p * 512 + i] != word(p, i);
			}
	EXPECT_EQ(0, bad);
	ASSERT_EQ(0, heca_wait_state(self->dfd, HECA_STATE_COMPLETE, 120000,
				     NULL, NULL));
	ASSERT_EQ(0, heca_wait_state(self->sfd, HECA_STATE_COMPLETE, 60000,
				     NULL, NULL));
	/* Pages never touched at the source: zero, made here. */
	for (r = 0; r < RUNS; r++) {
		p = data_page(r, RUN_PAGES) + SPAN / 2;
		nonzero += self->d[p * 512] != 0 || self->d[p * 512 + 511] != 0;
	}
	EXPECT_EQ(0, nonzero);

	ASSERT_EQ(0, heca_stats(self->dfd, &st));
	EXPECT_EQ(NPAGES, st.pages_total);
	EXPECT_EQ(RUNS * RUN_PAGES, st.pages_remote);
	EXPECT_EQ(RUNS * RUN_PAGES, st.pages_present);
	EXPECT_EQ(RUNS, st.pages_zero);
	EXPECT_EQ(st.pages_remote, st.pages_on_demand + st.pages_prefetched);
	/*
	 * What came is the pages and little else: the sets say what the
	 * source has in chunks around its pages, not in chunks of the region
	 * (64 KiB for each touched 2 GiB: 4 MiB here).
	 */
	EXPECT_LT(st.bytes_rx, RUNS * RUN_PAGES * 4096UL * 9 / 8);
	TH_LOG("1 TiB, %lu pages touched (%lu KiB): switchover %.1f ms, %llu on demand, %llu prefetched, %llu bytes received",
	       (unsigned long)(RUNS * RUN_PAGES), RUNS * RUN_PAGES * 4UL,
	       t_switch, (unsigned long long)st.pages_on_demand,
	       (unsigned long long)st.pages_prefetched,
	       (unsigned long long)st.bytes_rx);
}

TEST_HARNESS_MAIN
