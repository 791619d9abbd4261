// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy seen from ordinary processes (no KVM): threads fault on a
 * destination region's absent pages while the background pull runs.  The
 * tracepoints record every fetch; the test checks that every page the
 * source has was fetched exactly once, however many faults raced for it,
 * that the contents are the source's, that a fault's fetch carries its page
 * alone, and that it was read on the session's urgent QP (RDMA) or TCP
 * connection while every other read (prefetch, background) went on the
 * main one (heca_rdma_read, heca_tcp_read).  Over TCP on loopback, and over
 * RDMA between the lab's soft-RoCE pair.  Then one thread reads a stream
 * of pages, and another reads pages in random order: the prefetch follows
 * the first (most prefetched pages are touched, most faults find their
 * page prefetched) and stays away from the second.
 */
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "heca_harness.h"
#include "heca_test.h"

#define MEM		(16 * MiB)
#define NPAGES		(MEM / 4096)
#define THREADS		6
#define TRACING		"/sys/kernel/tracing"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

static int tracing_ready(void)
{
	struct stat st;

	if (stat(TRACING "/events", &st) &&
	    mount("tracefs", TRACING, "tracefs", 0, NULL))
		return -errno;
	if (stat(TRACING "/events/heca", &st))
		return -ENOENT;
	if (write_str(TRACING "/buffer_size_kb", "8192") ||
	    write_str(TRACING "/trace", "") ||
	    write_str(TRACING "/events/heca/enable", "1"))
		return -EIO;
	return 0;
}

struct reader {
	const uint64_t *mem;
	unsigned int seed;
	unsigned long bad;
};

static uint64_t word(unsigned long page, unsigned long i)
{
	return (page << 20 | i) * 0x9e3779b97f4a7c15ULL;
}

/* Every thread reads every page, starting at its own place. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	unsigned long k, p;

	for (k = 0; k < NPAGES; k++) {
		p = (rd->seed * 977 + k * 13) % NPAGES;
		if (p % 4 == 3) {
			rd->bad += rd->mem[p * 512] != 0;
			continue;
		}
		rd->bad += rd->mem[p * 512 + 7] != word(p, 7);
	}
	return NULL;
}

FIXTURE(faults) {
	char max_inflight[16];	/* the module parameter to restore */
};
FIXTURE_SETUP(faults) {}
FIXTURE_TEARDOWN(faults)
{
	if (self->max_inflight[0])
		heca_module_param("max_inflight", self->max_inflight, NULL, 0);
}

FIXTURE_VARIANT(faults) {
	__u32 transport;
	/* where the destination listens and the source connects */
	const char *(*ip)(void);
};

FIXTURE_VARIANT_ADD(faults, tcp) {
	.transport = HECA_TRANSPORT_TCP,
	.ip = lab_loopback_ip,
};

FIXTURE_VARIANT_ADD(faults, rdma) {
	.transport = HECA_TRANSPORT_RDMA,
	.ip = lab_peer_ip,	/* vb, the second rxe (the first, on va: the source) */
};

TEST_F_TIMEOUT(faults, concurrent_faults_one_fetch_each, 300)
{
	char src[HECA_NAME_MAX], dst[HECA_NAME_MAX], path[64], line[512];
	struct heca_region_create c = { .argsz = sizeof(c), .size = MEM };
	struct reader rd[THREADS];
	pthread_t th[THREADS];
	struct heca_session_start a;
	struct heca_listener l;
	struct heca_stats st;
	__u8 token[HECA_TOKEN_BYTES];
	unsigned char *seen;
	unsigned long p, i, fetched = 0, twice = 0, failed = 0;
	unsigned long faults = 0, states = 0;
	/* fetches issued, and READs posted on each QP, by kind */
	unsigned long issued_urgent = 0, issued_bg = 0, issued_pf = 0;
	unsigned long urgent_pages = 0;
	unsigned long urgent_on_urgent = 0, urgent_on_main = 0;
	unsigned long bg_on_urgent = 0, bg_on_main = 0;
	uint64_t *s, *d;
	int ctl, sfd, dfd, err;
	FILE *tr;

	if (variant->transport == HECA_TRANSPORT_RDMA &&
	    !lab_have_rxe_pair())
		SKIP(return, "no %s/%s: run in the lab", lab_rxe(0), lab_rxe(1));
	err = tracing_ready();
	ASSERT_EQ(0, err) TH_LOG("tracefs or events/heca: %s", strerror(-err));
	ctl = heca_control_open();
	ASSERT_LE(0, ctl);

	heca_unique_name(src, sizeof(src), "fsrc");
	heca_unique_name(dst, sizeof(dst), "fdst");
	ASSERT_EQ(0, heca_region_create(ctl, src, MEM, 0));
	memcpy(c.name, dst, strlen(dst));
	c.flags = HECA_REGION_DEST;
	ASSERT_EQ(0, ioctl(ctl, HECA_IOC_REGION_CREATE, &c));
	heca_region_path(path, sizeof(path), src);
	sfd = open(path, O_RDWR);
	ASSERT_LE(0, sfd);
	heca_region_path(path, sizeof(path), dst);
	dfd = open(path, O_RDWR);
	ASSERT_LE(0, dfd);
	s = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	d = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, d);

	/* Three pages in four hold data; every fourth is never touched. */
	for (p = 0; p < NPAGES; p++)
		if (p % 4 != 3)
			for (i = 0; i < 512; i++)
				s[p * 512 + i] = word(p, i);

	heca_random_token(token);
	heca_start_args(&a, variant->ip(), 20000 + getpid() % 20000, token,
			20000, 60000);
	a.transport = variant->transport;
	ASSERT_EQ(0, heca_listen_async(&l, dfd, &a));
	ASSERT_EQ(0, heca_session_connect(sfd, &a, 20));
	ASSERT_EQ(0, heca_listen_finish(&l));
	ASSERT_EQ(0, heca_switchover(sfd));

	for (i = 0; i < THREADS; i++) {
		rd[i] = (struct reader){ .mem = d, .seed = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader_main, &rd[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, rd[i].bad) TH_LOG("thread %lu", i);
	}
	ASSERT_EQ(0, heca_wait_state(dfd, HECA_STATE_COMPLETE, 60000, NULL, NULL));
	ASSERT_EQ(0, heca_wait_state(sfd, HECA_STATE_COMPLETE, 30000, NULL, NULL));
	for (p = 0; p < NPAGES; p++)
		for (i = 0; i < 512; i++)
			ASSERT_EQ(p % 4 == 3 ? 0 : word(p, i), d[p * 512 + i]);

	ASSERT_EQ(0, heca_stats(dfd, &st));
	EXPECT_EQ(NPAGES - NPAGES / 4, st.pages_remote);
	EXPECT_EQ(st.pages_remote, st.pages_present);
	EXPECT_EQ(NPAGES / 4, st.pages_zero);
	EXPECT_EQ(st.pages_remote, st.pages_on_demand + st.pages_prefetched);

	/* The trace: each remote page fetched exactly once, without error. */
	ASSERT_EQ(0, write_str(TRACING "/events/heca/enable", "0"));
	seen = calloc(NPAGES, 1);
	ASSERT_NE(NULL, seen);
	tr = fopen(TRACING "/trace", "r");
	ASSERT_NE(NULL, tr);
	while (fgets(line, sizeof(line), tr)) {
		unsigned long first, count;
		char *at;
		int e;

		if (!strstr(line, dst))
			continue;
		faults += !!strstr(line, "heca_fault:");
		states += !!strstr(line, "heca_state:");
		at = strstr(line, "heca_fetch_issue: ");
		if (at) {
			unsigned long n = 0;

			at = strstr(at, " pages ");
			ASSERT_NE(NULL, at);
			ASSERT_EQ(2, sscanf(at, " pages %lu+%lu", &first, &n));
			if (strstr(at, " urgent")) {
				issued_urgent++;
				urgent_pages += n;
			}
			issued_bg += !!strstr(at, " background");
			issued_pf += !!strstr(at, " prefetch");
			continue;
		}
		at = strstr(line, "heca_rdma_read: ");
		if (!at)
			at = strstr(line, "heca_tcp_read: ");
		if (at) {
			bool urgent = strstr(at, " urgent qp ") ||
				      strstr(at, " urgent conn ");
			bool on_urgent = strstr(at, " qp urgent") ||
					 strstr(at, " conn urgent");

			ASSERT_TRUE(urgent || strstr(at, " background qp ") ||
				    strstr(at, " background conn "));
			urgent_on_urgent += urgent && on_urgent;
			urgent_on_main += urgent && !on_urgent;
			bg_on_urgent += !urgent && on_urgent;
			bg_on_main += !urgent && !on_urgent;
			continue;
		}
		at = strstr(line, "heca_fetch_done: ");
		if (!at)
			continue;
		at = strstr(at, " pages ");
		ASSERT_NE(NULL, at);
		ASSERT_EQ(3, sscanf(at, " pages %lu+%lu err %d", &first,
				    &count, &e));
		if (e) {
			failed++;
			continue;
		}
		for (p = first; p < first + count && p < NPAGES; p++) {
			twice += seen[p];
			seen[p] = 1;
			fetched++;
		}
	}
	fclose(tr);
	free(seen);
	EXPECT_EQ(st.pages_remote, fetched);
	EXPECT_EQ(0, twice);
	EXPECT_EQ(0, failed);
	EXPECT_LT(0, faults);
	/* connected, running, complete */
	EXPECT_EQ(3, states);
	/* A fault's read is its page alone, and counts as on demand. */
	EXPECT_EQ(issued_urgent, urgent_pages);
	EXPECT_EQ(issued_urgent, st.pages_on_demand);
	EXPECT_LE(st.prefetch_pages, st.pages_prefetched);
	EXPECT_LE(st.prefetch_used, st.prefetch_pages);

	/*
	 * Each fetch's read was sent once, those of a fault on the urgent QP
	 * (RDMA) or connection (TCP), the others on the main one.
	 */
	EXPECT_LT(0, issued_urgent);
	EXPECT_EQ(issued_urgent, urgent_on_urgent);
	EXPECT_EQ(0, urgent_on_main);
	EXPECT_EQ(0, bg_on_urgent);
	EXPECT_EQ(issued_bg + issued_pf, bg_on_main);
	TH_LOG("fetches: %lu urgent, %lu prefetch, %lu background; READs: urgent on the urgent QP %lu, on the main QP %lu; others on the urgent QP %lu, on the main QP %lu",
	       issued_urgent, issued_pf, issued_bg, urgent_on_urgent,
	       urgent_on_main, bg_on_urgent, bg_on_main);

	munmap(s, MEM);
	munmap(d, MEM);
	close(sfd);
	close(dfd);
	EXPECT_EQ(0, heca_region_destroy_settled(ctl, src));
	EXPECT_EQ(0, heca_region_destroy_settled(ctl, dst));
	close(ctl);
}

/*
 * A post-copy session between two fresh regions of MEM bytes, every page of
 * the source distinct and non-zero, switched over: the destination's pages
 * are all absent, the background pull starts at page 0 with one READ in
 * flight (max_inflight, restored by the teardown), so that faults at the
 * top half of the region find their pages absent for a while.
 */
struct pair {
	int ctl, sfd, dfd;
	char src[HECA_NAME_MAX], dst[HECA_NAME_MAX];
	uint64_t *s, *d;
};

static void pair_open(struct __test_metadata *_metadata,
		      FIXTURE_DATA(faults) *self,
		      const FIXTURE_VARIANT(faults) *variant, struct pair *pr)
{
	struct heca_session_start a;
	struct heca_listener l;
	__u8 token[HECA_TOKEN_BYTES];
	unsigned long p, i;
	void *m;

	ASSERT_EQ(0, heca_module_param("max_inflight", "1", self->max_inflight,
				       sizeof(self->max_inflight)));
	pr->ctl = heca_control_open();
	ASSERT_LE(0, pr->ctl);
	heca_unique_name(pr->src, sizeof(pr->src), "psrc");
	heca_unique_name(pr->dst, sizeof(pr->dst), "pdst");
	pr->sfd = heca_region_setup(pr->ctl, pr->src, MEM, 0, &m);
	ASSERT_LE(0, pr->sfd);
	pr->s = m;
	pr->dfd = heca_region_setup(pr->ctl, pr->dst, MEM, HECA_REGION_DEST, &m);
	ASSERT_LE(0, pr->dfd);
	pr->d = m;
	for (p = 0; p < NPAGES; p++)
		for (i = 0; i < 512; i++)
			pr->s[p * 512 + i] = word(p, i);

	heca_random_token(token);
	heca_start_args(&a, variant->ip(), 20000 + getpid() % 20000, token,
			20000, 60000);
	a.transport = variant->transport;
	ASSERT_EQ(0, heca_listen_async(&l, pr->dfd, &a));
	ASSERT_EQ(0, heca_session_connect(pr->sfd, &a, 20));
	ASSERT_EQ(0, heca_listen_finish(&l));
	ASSERT_EQ(0, heca_switchover(pr->sfd));
}

/* Wait for completion, check every page, take the statistics, close. */
static void pair_close(struct __test_metadata *_metadata, struct pair *pr,
		       struct heca_stats *st)
{
	unsigned long p, bad = 0;

	ASSERT_EQ(0, heca_wait_state(pr->dfd, HECA_STATE_COMPLETE, 60000,
				     NULL, NULL));
	ASSERT_EQ(0, heca_wait_state(pr->sfd, HECA_STATE_COMPLETE, 30000,
				     NULL, NULL));
	for (p = 0; p < NPAGES; p++)
		bad += memcmp(pr->s + p * 512, pr->d + p * 512, 4096) != 0;
	EXPECT_EQ(0, bad);
	ASSERT_EQ(0, heca_stats(pr->dfd, st));
	EXPECT_EQ(NPAGES, st->pages_present);
	EXPECT_EQ(st->pages_remote, st->pages_on_demand + st->pages_prefetched);
	EXPECT_LE(st->prefetch_pages, st->pages_prefetched);
	EXPECT_LE(st->prefetch_used, st->prefetch_pages);
	EXPECT_EQ(0, heca_region_teardown(pr->ctl, pr->src, pr->sfd, pr->s, MEM));
	EXPECT_EQ(0, heca_region_teardown(pr->ctl, pr->dst, pr->dfd, pr->d, MEM));
	close(pr->ctl);
}

/*
 * Reading the top half of the region from its last page down (a stream of
 * stride -1, against the pull, which goes up from page 0): the trend is
 * found, and the prefetch runs ahead of the reader.  Most prefetched pages
 * are touched (accuracy), and most of the reader's faults find their page
 * prefetched instead of waiting for it alone (coverage).
 */
TEST_F_TIMEOUT(faults, prefetch_follows_a_stream, 300)
{
	struct heca_stats st;
	struct pair pr;
	unsigned long p, bad = 0;

	if (variant->transport == HECA_TRANSPORT_RDMA &&
	    !lab_have_rxe_pair())
		SKIP(return, "no %s/%s: run in the lab", lab_rxe(0), lab_rxe(1));
	pair_open(_metadata, self, variant, &pr);
	for (p = NPAGES; p-- > NPAGES / 2;)
		bad += pr.d[p * 512 + 5] != word(p, 5);
	EXPECT_EQ(0, bad);
	pair_close(_metadata, &pr, &st);
	TH_LOG("stream: %llu faults on demand, %llu pages prefetched, %llu touched",
	       (unsigned long long)st.pages_on_demand,
	       (unsigned long long)st.prefetch_pages,
	       (unsigned long long)st.prefetch_used);
	EXPECT_LT(0, st.prefetch_pages);
	EXPECT_LE(st.prefetch_pages, 2 * st.prefetch_used);
	EXPECT_LT(st.pages_on_demand, st.prefetch_used);
}

/*
 * Reading the top half in a random order (a fixed pseudo-random sequence,
 * pages may repeat): there is no trend, and next to nothing is prefetched, less than one page for
 * every four faults on demand.
 */
TEST_F_TIMEOUT(faults, prefetch_stops_without_a_trend, 300)
{
	const unsigned long half = NPAGES / 2;
	struct heca_stats st;
	struct pair pr;
	unsigned long k, p, bad = 0;
	uint32_t x = 2463534242u;

	if (variant->transport == HECA_TRANSPORT_RDMA &&
	    !lab_have_rxe_pair())
		SKIP(return, "no %s/%s: run in the lab", lab_rxe(0), lab_rxe(1));
	pair_open(_metadata, self, variant, &pr);
	/* xorshift32: no stride repeats among the deltas. */
	for (k = 0; k < half; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p = half + x % half;
		bad += pr.d[p * 512 + 5] != word(p, 5);
	}
	EXPECT_EQ(0, bad);
	pair_close(_metadata, &pr, &st);
	TH_LOG("random: %llu faults on demand, %llu pages prefetched, %llu touched",
	       (unsigned long long)st.pages_on_demand,
	       (unsigned long long)st.prefetch_pages,
	       (unsigned long long)st.prefetch_used);
	EXPECT_LT(0, st.pages_on_demand);
	EXPECT_LT(4 * st.prefetch_pages, st.pages_on_demand);
}

TEST_HARNESS_MAIN
