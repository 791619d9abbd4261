// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-copy, hybrid and post-copy migration of a running KVM guest between
 * two regions of one kernel over loopback TCP, driven by the policy library
 * (tools/lib/heca/migrate.c).  The verifying guest keeps rewriting its
 * pages in a vCPU thread, at a set dirty rate, while rounds
 * (HECA_IOC_ROUND) send what it dirtied and the destination pulls it; the
 * policy pauses it when the rounds converge or at the timeout, the final
 * set goes (HECA_IOC_SWITCHOVER) and the guest resumes at the destination
 * (pre-copy: after every page arrived; hybrid, post-copy: at once) in a
 * vCPU thread there.  The guest verifies every page, and every data page
 * equals the source's at pause.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "heca_harness.h"
#include "heca_test.h"
#include "heca_verify_guest.h"
#include "guests/kvm/kvm_guest.h"
#include "guests/multiboot/heca_guest.h"
#include "heca_migrate.h"


#define MEM		(64 * MiB)
#define DATA_START	(1 * MiB)
#define DATA_END	(56 * MiB)

FIXTURE(pre) {
	int ctl, sfd, dfd;
	uint8_t *src, *dst;
	char sname[HECA_NAME_MAX], dname[HECA_NAME_MAX];
	struct heca_guest_thread a, b;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

FIXTURE_VARIANT(pre) {
	bool rdma;		/* the rxe pair (heca_lab.h) instead of loopback TCP */
	enum heca_mig_mode mode;
	unsigned int timeout_ms;
	unsigned int downtime_ms;
	unsigned int throttle_us;
	enum heca_mig_end end;		/* how the rounds must end */
};

/* A slow writer: the rounds shrink below the downtime budget. */
FIXTURE_VARIANT_ADD(pre, precopy_converges) {
	.mode = HECA_MIG_PRECOPY, .timeout_ms = 300000,
	.downtime_ms = 3000, .throttle_us = 20000,
	.end = HECA_MIG_CONVERGED,
};

/* A fast writer and a tiny budget: forced stop-and-copy at the timeout. */
FIXTURE_VARIANT_ADD(pre, precopy_forced) {
	.mode = HECA_MIG_PRECOPY, .timeout_ms = 4000,
	.downtime_ms = 1, .throttle_us = 0,
	.end = HECA_MIG_TIMEOUT,
};

/* The same writer in hybrid: post-copy takes over at the timeout. */
FIXTURE_VARIANT_ADD(pre, hybrid_switches) {
	.mode = HECA_MIG_HYBRID, .timeout_ms = 4000,
	.downtime_ms = 1, .throttle_us = 0,
	.end = HECA_MIG_TIMEOUT,
};

/* The same over soft-RoCE: rounds and the switchover expose pages. */
FIXTURE_VARIANT_ADD(pre, hybrid_switches_rdma) {
	.rdma = true,
	.mode = HECA_MIG_HYBRID, .timeout_ms = 4000,
	.downtime_ms = 1, .throttle_us = 0,
	.end = HECA_MIG_TIMEOUT,
};

/* Hybrid with --timeout 0 is post-copy: no rounds. */
FIXTURE_VARIANT_ADD(pre, hybrid_timeout0) {
	.mode = HECA_MIG_HYBRID, .timeout_ms = 0,
	.downtime_ms = 300, .throttle_us = 0,
	.end = HECA_MIG_NO_ROUNDS,
};

FIXTURE_VARIANT_ADD(pre, postcopy) {
	.mode = HECA_MIG_POSTCOPY, .timeout_ms = 0,
	.downtime_ms = 300, .throttle_us = 0,
	.end = HECA_MIG_NO_ROUNDS,
};

static int open_side(int ctl, char *name, const char *what, bool dest,
		     uint8_t **mem)
{
	heca_unique_name(name, HECA_NAME_MAX, what);
	return heca_region_setup(ctl, name, MEM, dest ? HECA_REGION_DEST : 0,
				 (void **)mem);
}

FIXTURE_SETUP(pre)
{
	heca_vm_init(&self->a.v);
	heca_vm_init(&self->b.v);
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl);
	self->sfd = open_side(self->ctl, self->sname, "psrc", false,
			      &self->src);
	ASSERT_LE(0, self->sfd);
	self->dfd = open_side(self->ctl, self->dname, "pdst", true,
			      &self->dst);
	ASSERT_LE(0, self->dfd);
}

FIXTURE_TEARDOWN(pre)
{
	/* A failed assertion may have left the guests running: stop them. */
	atomic_store(&self->a.pause, true);
	heca_guest_join(&self->a);
	heca_guest_join(&self->b);
	heca_vm_release(&self->a.v);
	heca_vm_release(&self->b.v);
	heca_session_abort(self->sfd);
	heca_session_abort(self->dfd);
	munmap(self->src, MEM);
	munmap(self->dst, MEM);
	close(self->sfd);
	close(self->dfd);
	heca_region_destroy_settled(self->ctl, self->sname);
	heca_region_destroy_settled(self->ctl, self->dname);
	close(self->ctl);
}

static uint32_t page_sum(const uint8_t *p)
{
	const uint32_t *w = (const uint32_t *)p;
	uint32_t h = HG_FNV_INIT, i;

	for (i = 0; i < HG_PAGE_WORDS; i++)
		h = hg_fnv(h, w[i]);
	return h;
}


/* The VMM's part, for the policy. */
static int vmm_pause(void *ctx)
{
	FIXTURE_DATA(pre) *self = ctx;

	return heca_guest_pause(&self->a, &self->regs, &self->sregs);
}

static int vmm_handover(void *ctx)
{
	FIXTURE_DATA(pre) *self = ctx;
	int err;

	err = heca_vm_create(&self->b.v, self->dst, MEM, true);
	if (err)
		return err;
	if (ioctl(self->b.v.vcpu, KVM_SET_SREGS, &self->sregs) ||
	    ioctl(self->b.v.vcpu, KVM_SET_REGS, &self->regs))
		return -errno;
	return 0;
}

static int vmm_resume(void *ctx)
{
	FIXTURE_DATA(pre) *self = ctx;

	return heca_guest_start(&self->b, heca_guest_verify);
}

static struct __test_metadata *round_md;

static void vmm_round(void *ctx, const struct heca_mig_round *r)
{
	struct __test_metadata *_metadata = round_md;

	(void)ctx;
	TH_LOG("round %u: %llu pages in %.0f ms, %.1f MB/s", r->round,
	       (unsigned long long)r->pages, r->ns / 1e6,
	       r->bytes_per_s / 1e6);
}

static const struct heca_mig_ops vmm_ops = {
	.pause = vmm_pause,
	.handover = vmm_handover,
	.resume = vmm_resume,
	.round_done = vmm_round,
};

TEST_F_TIMEOUT(pre, migrate_verifies, 900)
{
	const unsigned long first = DATA_START / 4096, last = DATA_END / 4096;
	struct kvm_guest_params p = {
		.magic = KVM_GUEST_MAGIC, .start = DATA_START,
		.end = DATA_END, .seed = (uint32_t)getpid() * 2654435761u,
		.top = MEM,
	};
	struct heca_mig_params mp = {
		.mode = variant->mode, .timeout_ms = variant->timeout_ms,
		.downtime_ms = variant->downtime_ms,
	};
	struct heca_session_start args;
	struct heca_mig_result res;
	struct heca_listener l;
	struct heca_stats st;
	__u8 token[HECA_TOKEN_BYTES];
	unsigned long i, differ = 0;
	__u64 fetched;
	int err;

	if (variant->rdma && !lab_have_rxe_pair())
		SKIP(return, "no soft-RoCE pair (%s, %s): run in the lab",
		     lab_rxe(0), lab_rxe(1));

	/* The guest runs at the source, in its own thread. */
	err = heca_vm_create(&self->a.v, self->src, MEM, true);
	ASSERT_EQ(0, err) TH_LOG("VM: %s", strerror(-err));
	memcpy(self->src + KVM_GUEST_LOAD, verify_bin,
	       verify_bin_end - verify_bin);
	memcpy(self->src + KVM_GUEST_PARAMS, &p, sizeof(p));
	ASSERT_EQ(0, heca_vm_flat32(&self->a.v, KVM_GUEST_LOAD,
				    KVM_GUEST_STACK, true));
	self->a.throttle_us = variant->throttle_us;
	ASSERT_EQ(0, heca_guest_start(&self->a, heca_guest_sweep));
	/* Until it filled its memory once and dirties pages. */
	while (atomic_load(&self->a.written) < 20 && !self->a.err)
		usleep(10000);
	ASSERT_EQ(0, self->a.err);

	heca_random_token(token);
	/* The destination listens on vb (LAB_PEER_IP); the source goes out of va. */
	heca_start_args(&args, variant->rdma ? lab_peer_ip() : LAB_LOOPBACK_IP,
			20000 + getpid() % 12000, token, 20000, 60000);
	if (variant->rdma)
		args.transport = HECA_TRANSPORT_RDMA;
	ASSERT_EQ(0, heca_listen_async(&l, self->dfd, &args));
	ASSERT_EQ(0, heca_session_connect(self->sfd, &args, 30));
	ASSERT_EQ(0, heca_listen_finish(&l));
	/* Before the switchover a wait for a later state times out. */
	EXPECT_EQ(-ETIMEDOUT, heca_wait_state(self->dfd, HECA_STATE_RUNNING, 50, NULL,
					      NULL));
	EXPECT_EQ(-ETIMEDOUT, heca_wait_state(self->dfd, HECA_STATE_COMPLETE, 50, NULL,
					      NULL));
	EXPECT_EQ(-ETIMEDOUT, heca_wait_state(self->sfd, HECA_STATE_COMPLETE, 50, NULL,
					      NULL));
	EXPECT_EQ(0, heca_wait_state(self->sfd, HECA_STATE_CONNECTED, 50, NULL, NULL));

	round_md = _metadata;
	err = heca_migrate(self->sfd, &mp, &vmm_ops, self, &res);
	ASSERT_EQ(0, err) TH_LOG("%s: %s", res.failed, strerror(-err));
	heca_guest_join(&self->b);
	ASSERT_EQ(0, self->b.err);
	EXPECT_EQ(0, self->b.bad) TH_LOG("the guest found %u bad pages",
					 self->b.bad);
	ASSERT_EQ(0, heca_wait_state(self->dfd, HECA_STATE_COMPLETE, 120000, NULL,
				     NULL));

	/* The source's pages are as they were at pause. */
	for (i = first; i < last; i++)
		differ += page_sum(self->dst + i * 4096) !=
			  page_sum(self->src + i * 4096);
	EXPECT_EQ(0, differ);

	ASSERT_EQ(0, heca_stats(self->dfd, &st));
	TH_LOG("%s: %s after %u rounds (%llu pages); downtime %.1f ms (switchover %.1f ms), total %.0f ms; dest remote %llu, on demand %llu, prefetched %llu; source sent %llu",
	       heca_mig_mode_name(variant->mode), heca_mig_end_name(res.end),
	       res.rounds, (unsigned long long)res.round_pages,
	       res.downtime_ns / 1e6, res.switch_ns / 1e6, res.total_ns / 1e6,
	       st.pages_remote, st.pages_on_demand, st.pages_prefetched,
	       res.stats.pages_sent);
	/*
	 * How the policy ended depends on speed: see heca_timing_checked().
	 * A writer that outruns the rounds ends them at the timeout, or
	 * before it once they stop shrinking (a faster link makes rounds
	 * short enough for that): either way they did not converge.
	 */
	if (heca_timing_checked() &&
	    !(variant->end == HECA_MIG_TIMEOUT && res.end == HECA_MIG_STUCK))
		EXPECT_EQ(variant->end, res.end);
	EXPECT_EQ(HECA_STATE_COMPLETE, res.stats.state);
	EXPECT_EQ(st.pages_remote, st.pages_present);
	fetched = st.pages_on_demand + st.pages_prefetched;
	/* Over RDMA the source serves nothing itself: it counts nothing. */
	if (!variant->rdma)
		EXPECT_EQ(res.stats.pages_sent, fetched);
	if (variant->end == HECA_MIG_NO_ROUNDS) {
		EXPECT_EQ(0, res.rounds);
		EXPECT_EQ(0, st.round);
		/* Post-copy: each page once. */
		EXPECT_EQ(st.pages_remote, fetched);
		EXPECT_LT(0, st.pages_on_demand);
	} else {
		EXPECT_LE(1, res.rounds);
		/* Round 1: the data, the parameters, the code, the stack. */
		EXPECT_LE(last - first + 3, res.round_pages);
		/*
		 * Pages written during the rounds went more than once (not so
		 * if a slow round 1 reached the timeout by itself).
		 */
		if (heca_timing_checked() || res.rounds > 1)
			EXPECT_LT(st.pages_remote, fetched);
	}
	if (variant->mode == HECA_MIG_PRECOPY) {
		/* Everything was there before the guest resumed. */
		EXPECT_EQ(0, st.faults);
		EXPECT_EQ(0, st.pages_on_demand);
	}
}

TEST_F(pre, round_bad_input)
{
	struct heca_round r;

	EXPECT_EQ(-ENOTCONN, heca_round(self->sfd, &r));
	EXPECT_EQ(-EINVAL, heca_round(self->dfd, &r));
	memset(&r, 0, sizeof(r));
	r.argsz = sizeof(r);
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->sfd, HECA_IOC_ROUND, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, heca_wait_synced(self->dfd, 1, 10));
	EXPECT_EQ(-EINVAL, heca_wait_synced(self->sfd, 0, 10));
	EXPECT_EQ(-ETIMEDOUT, heca_wait_synced(self->sfd, 1, 10));
}

TEST_HARNESS_MAIN
