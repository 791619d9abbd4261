// SPDX-License-Identifier: GPL-2.0
/*
 * Migration of the running verifying KVM guest between two hosts (the two
 * lab VMs, each with its own kernel), in any mode, driven by the policy
 * library (tools/lib/heca/migrate.c).  Run once on each host:
 *
 *   destination: HECA_XVM_ROLE=dest   HECA_XVM_ADDR=<its own IP>  xvm_migrate
 *   source:      HECA_XVM_ROLE=source HECA_XVM_ADDR=<dest's IP>   xvm_migrate
 *
 * Optional: HECA_XVM_MODE precopy|postcopy|hybrid (hybrid),
 * HECA_XVM_TIMEOUT_MS (hybrid switch / pre-copy force, 5000),
 * HECA_XVM_PORT (7000; the side channel uses PORT + 1), HECA_XVM_MEM_MB
 * (64).  heca.ko must be loaded.  The two programs meet on a plain TCP side
 * channel that carries what a VMM would: the session token, then the vCPU
 * registers at pause; heca carries the memory.  The guest keeps dirtying
 * its memory at the source during the rounds and verifies every page at
 * the destination; both sides print their figures.  Without HECA_XVM_ROLE
 * the test skips (tools/lab/two-vm.sh runs it, not run-suite.sh).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "heca_harness.h"
#include "heca_test.h"
#include "heca_verify_guest.h"
#include "heca_migrate.h"


#define XVM_MAGIC	0x78766d31	/* "xvm1" */

struct xvm_hello {
	uint32_t magic;
	uint32_t seed;
	uint64_t mem;
	__u8 token[HECA_TOKEN_BYTES];
};

struct xvm_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

struct xvm_result {
	uint32_t bad;
	uint32_t pad;
	struct heca_stats st;
};

/* Figures go to the TAP stream as comments; the harness child _exit()s. */
#define report(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static int xfer(int fd, void *buf, size_t len, bool out)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = out ? write(fd, p, len) : read(fd, p, len);
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

/* The side channel: the destination listens, the source connects. */
static int side_channel(bool dest, const char *ip, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int s, c, one = 1, i;

	inet_pton(AF_INET, ip, &sin.sin_addr);
	if (dest) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(s, 1))
			return -errno;
		c = accept(s, NULL, NULL);
		close(s);
		return c < 0 ? -errno : c;
	}
	for (i = 0; i < 600; i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (!connect(s, (struct sockaddr *)&sin, sizeof(sin))) {
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			return s;
		}
		close(s);
		usleep(200 * 1000);
	}
	return -ETIMEDOUT;
}

struct xvm_source {
	struct heca_guest_thread g;
	int side;
	struct xvm_state state;
};

static int xvm_pause(void *ctx)
{
	struct xvm_source *t = ctx;

	return heca_guest_pause(&t->g, &t->state.regs, &t->state.sregs);
}

static int xvm_handover(void *ctx)
{
	struct xvm_source *t = ctx;

	return xfer(t->side, &t->state, sizeof(t->state), true);
}

static int xvm_resume(void *ctx)
{
	struct xvm_source *t = ctx;
	uint32_t ack;

	return xfer(t->side, &ack, sizeof(ack), false);
}

static void xvm_round(void *ctx, const struct heca_mig_round *r)
{
	(void)ctx;
	report("# source: round %u: %llu pages in %.0f ms (%.1f MB/s)\n",
	       r->round, (unsigned long long)r->pages, r->ns / 1e6,
	       r->bytes_per_s / 1e6);
}

static const struct heca_mig_ops xvm_ops = {
	.pause = xvm_pause,
	.handover = xvm_handover,
	.resume = xvm_resume,
	.round_done = xvm_round,
};

static int open_region(int ctl, char *name, size_t size, bool dest,
		       uint8_t **mem)
{
	heca_unique_name(name, HECA_NAME_MAX, dest ? "xdst" : "xsrc");
	return heca_region_setup(ctl, name, size, dest ? HECA_REGION_DEST : 0,
				 (void **)mem);
}

static void print_stats(const char *who, const struct heca_stats *st)
{
	report("# %s: state %u error %u remote %llu present %llu on-demand %llu prefetched %llu zero %llu sent %llu\n",
	       who, st->state, st->error, st->pages_remote, st->pages_present,
	       st->pages_on_demand, st->pages_prefetched, st->pages_zero,
	       st->pages_sent);
	report("# %s: rx %llu MB tx %llu MB requests %llu elapsed %.1f ms faults %llu (nowait %llu, async %llu) fault service avg %.0f us max %.0f us\n",
	       who, st->bytes_rx >> 20, st->bytes_tx >> 20, st->requests,
	       st->elapsed_ns / 1e6, st->faults, st->faults_nowait,
	       st->faults_async,
	       st->fault_count ? st->fault_ns_sum / 1e3 / st->fault_count : 0,
	       st->fault_ns_max / 1e3);
}

FIXTURE(xvm) {};
FIXTURE_SETUP(xvm) {}
FIXTURE_TEARDOWN(xvm) {}

TEST_F_TIMEOUT(xvm, migrate, 900)
{
	const char *role = getenv("HECA_XVM_ROLE"), *ip = getenv("HECA_XVM_ADDR");
	int port = getenv("HECA_XVM_PORT") ? atoi(getenv("HECA_XVM_PORT")) : 7000;
	size_t mem = (getenv("HECA_XVM_MEM_MB") ?
		      atoi(getenv("HECA_XVM_MEM_MB")) : 64) * MiB;
	char name[HECA_NAME_MAX];
	struct heca_session_start a;
	struct heca_listener l;
	struct xvm_result res;
	struct xvm_state state;
	struct xvm_hello hello;
	struct heca_guest_thread dst = { 0 };
	struct heca_vm v;
	uint8_t *ram;
	uint32_t ack, reached, error;
	bool dest;
	int ctl, fd, side, err;

	if (!role || !ip)
		SKIP(return, "run by tools/lab/two-vm.sh (HECA_XVM_ROLE)");
	dest = !strcmp(role, "dest");
	ASSERT_TRUE(dest || !strcmp(role, "source"));
	ASSERT_LE(16 * MiB, mem);
	heca_vm_init(&v);
	ctl = heca_control_open();
	ASSERT_LE(0, ctl);
	fd = open_region(ctl, name, mem, dest, &ram);
	ASSERT_LE(0, fd) TH_LOG("region: %s", strerror(-fd));

	side = side_channel(dest, ip, port + 1);
	ASSERT_LE(0, side) TH_LOG("side channel: %s", strerror(-side));

	if (dest) {
		ASSERT_EQ(0, xfer(side, &hello, sizeof(hello), false));
		ASSERT_EQ(XVM_MAGIC, hello.magic);
		ASSERT_EQ(mem, hello.mem);
		heca_start_args(&a, ip, port, hello.token, 60000, 60000);
		ASSERT_EQ(0, heca_listen_async(&l, fd, &a));
		ack = 1;
		ASSERT_EQ(0, xfer(side, &ack, sizeof(ack), true));
		ASSERT_EQ(0, heca_listen_finish(&l));

		/* The source paused its guest and switched over. */
		ASSERT_EQ(0, xfer(side, &state, sizeof(state), false));
		err = heca_vm_create(&v, ram, mem, true);
		ASSERT_EQ(0, err) TH_LOG("VM: %s", strerror(-err));
		ASSERT_EQ(0, ioctl(v.vcpu, KVM_SET_SREGS, &state.sregs));
		ASSERT_EQ(0, ioctl(v.vcpu, KVM_SET_REGS, &state.regs));
		ASSERT_EQ(0, xfer(side, &ack, sizeof(ack), true));

		/* Run it here, in this thread, until it has verified. */
		dst.v = v;
		heca_guest_verify(&dst);
		ASSERT_EQ(0, dst.err) TH_LOG("KVM_RUN: %s", strerror(-dst.err));
		res.bad = dst.bad;
		report("# destination: the guest verified %u MiB: %u bad pages\n",
		       (unsigned int)(mem >> 20), res.bad);
		EXPECT_EQ(0, res.bad);
		ASSERT_EQ(0, heca_wait_state(fd, HECA_STATE_COMPLETE, 300000,
					     &reached, &error))
			TH_LOG("state %u error %u", reached, error);
		ASSERT_EQ(0, heca_stats(fd, &res.st));
		print_stats("destination", &res.st);
		EXPECT_EQ(res.st.pages_remote, res.st.pages_present);
		ASSERT_EQ(0, xfer(side, &res, sizeof(res), true));
	} else {
		struct kvm_guest_params p = {
			.magic = KVM_GUEST_MAGIC, .start = 1 * MiB,
			.end = mem - 8 * MiB, .top = mem,
		};
		const char *mode = getenv("HECA_XVM_MODE") ?: "hybrid";
		struct heca_mig_params mp = {
			.mode = !strcmp(mode, "precopy") ? HECA_MIG_PRECOPY :
				!strcmp(mode, "postcopy") ? HECA_MIG_POSTCOPY :
				HECA_MIG_HYBRID,
			.timeout_ms = getenv("HECA_XVM_TIMEOUT_MS") ?
				      atoi(getenv("HECA_XVM_TIMEOUT_MS")) : 5000,
		};
		struct xvm_source src = { .side = side };
		struct heca_mig_result mr;

		heca_random_token(hello.token);
		hello.magic = XVM_MAGIC;
		hello.seed = p.seed = now_ns();
		hello.mem = mem;

		err = heca_vm_create(&src.g.v, ram, mem, true);
		ASSERT_EQ(0, err) TH_LOG("VM: %s", strerror(-err));
		memcpy(ram + KVM_GUEST_LOAD, verify_bin,
		       verify_bin_end - verify_bin);
		memcpy(ram + KVM_GUEST_PARAMS, &p, sizeof(p));
		ASSERT_EQ(0, heca_vm_flat32(&src.g.v, KVM_GUEST_LOAD,
					    KVM_GUEST_STACK, true));
		ASSERT_EQ(0, heca_guest_start(&src.g, heca_guest_sweep));
		while (atomic_load(&src.g.written) < 20 && !src.g.err)
			usleep(10000);
		ASSERT_EQ(0, src.g.err);

		ASSERT_EQ(0, xfer(side, &hello, sizeof(hello), true));
		ASSERT_EQ(0, xfer(side, &ack, sizeof(ack), false));
		heca_start_args(&a, ip, port, hello.token, 60000, 60000);
		ASSERT_EQ(0, heca_session_connect(fd, &a, 60));

		err = heca_migrate(fd, &mp, &xvm_ops, &src, &mr);
		atomic_store(&src.g.pause, true);
		heca_guest_join(&src.g);
		ASSERT_EQ(0, err) TH_LOG("%s: %s", mr.failed, strerror(-err));
		report("# source: %s, %s after %u rounds (%llu pages)\n",
		       heca_mig_mode_name(mp.mode), heca_mig_end_name(mr.end),
		       mr.rounds, (unsigned long long)mr.round_pages);
		report("# source: downtime (pause -> resumed at the destination) %.1f ms, switchover %.1f ms, total %.0f ms\n",
		       mr.downtime_ns / 1e6, mr.switch_ns / 1e6,
		       mr.total_ns / 1e6);
		print_stats("source", &mr.stats);
		ASSERT_EQ(0, xfer(side, &res, sizeof(res), false));
		EXPECT_EQ(0, res.bad);
		EXPECT_EQ(mr.stats.pages_sent,
			  res.st.pages_on_demand + res.st.pages_prefetched);
		v = src.g.v;
		heca_vm_init(&src.g.v);
	}
	close(side);
	heca_vm_release(&v);
	munmap(ram, mem);
	close(fd);
	EXPECT_EQ(0, heca_region_destroy_settled(ctl, name));
	close(ctl);
}

TEST_HARNESS_MAIN
