// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: the allocations behind heca's operations fail, one at a
 * time, and each operation fails cleanly or copes.
 *
 * The kernel's fault injection (Documentation/fault-injection/) is set up so
 * that nothing fails at random (failslab and fail_page_alloc with
 * probability 0) but every slab and page allocation can be made to fail,
 * sleeping ones and order 0 included (ignore-gfp-wait, ignore-gfp-highmem
 * and min-order off).  /proc/<tid>/fail-nth then fails the N-th allocation
 * of one task: the test's own thread for ioctls and page faults, a listening
 * thread for the destination's SESSION_START, heca's own kernel threads
 * ("heca-pull/<region>", the destination's puller; "heca-rx/<region>", TCP's
 * receivers) for fetches.  A sweep first counts the allocations of the
 * operation (fail-nth set very high, read back what is left), then fails
 * each of them in turn (sampled above SWEEP_MAX points), and expects:
 *
 * - an error, never a success that is not one (a region that is not there,
 *   a session that is not connected), and an error only when the failure was
 *   really injected;
 * - -ENOMEM where heca allocates directly (creating a region, populating its
 *   pages, a fetch), and for sessions any error but -ETIMEDOUT, which would
 *   mean a failure went unnoticed until the timeout;
 * - that everything can be done again without injection at once: the name,
 *   the minor number, the port and the regions are free again;
 * - no leak: the last test scans with kmemleak and fails on an unreferenced
 *   object allocated by heca or by this test's tasks; and no kernel report
 *   (lab.sh fails the run on any).
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS with FAILSLAB and FAIL_PAGE_ALLOC
 * (the debug kernel of tools/testing/debug-kernel/, "make check-debug"); skips on a
 * kernel without them, such as Debian's.  RDMA variants need the lab's
 * soft-RoCE pair.  HECA_FI_VERBOSE (default 1): the "verbose" level of the
 * fault attributes (2 adds a stack trace per injected failure to the kernel
 * log).
 */
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "heca_harness.h"
#include "heca_test.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define DEBUGFS		"/sys/kernel/debug"
#define KMEMLEAK	DEBUGFS "/kmemleak"
#define PG		4096UL
#define MEM		(1 * MiB)	/* session tests: 256 pages */
#define SWEEP_MAX	160		/* injection points tried per sweep */
#define COUNT_BIG	1000000U	/* fail-nth for counting */
#define START_MS	10000		/* session timeouts */

/* ---- the fault attributes --------------------------------------------- */

/* What the test sets, and what it found there (restored at the end). */
static struct fi_attr {
	const char *file;
	const char *val;
	char old[32];
	bool saved;
} fi_attrs[] = {
	{ .file = "failslab/probability", .val = "0" },
	{ .file = "failslab/ignore-gfp-wait", .val = "N" },
	{ .file = "failslab/task-filter", .val = "N" },
	{ .file = "failslab/verbose", .val = NULL },
	{ .file = "fail_page_alloc/probability", .val = "0" },
	{ .file = "fail_page_alloc/ignore-gfp-wait", .val = "N" },
	{ .file = "fail_page_alloc/ignore-gfp-highmem", .val = "N" },
	{ .file = "fail_page_alloc/min-order", .val = "0" },
	{ .file = "fail_page_alloc/task-filter", .val = "N" },
	{ .file = "fail_page_alloc/verbose", .val = NULL },
};

static int write_line(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Why fault injection cannot be used here, or NULL. */
static const char *fi_missing(void)
{
	static char why[160];
	char path[128];
	unsigned int i;

	if (access(DEBUGFS "/failslab", F_OK) ||
	    access(DEBUGFS "/fail_page_alloc", F_OK))
		return "no " DEBUGFS "/failslab or fail_page_alloc: the kernel has no fault injection (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS; make check-debug has them)";
	if (access("/proc/thread-self/fail-nth", W_OK))
		return "no /proc/thread-self/fail-nth";
	for (i = 0; i < sizeof(fi_attrs) / sizeof(fi_attrs[0]); i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s", fi_attrs[i].file);
		if (access(path, W_OK)) {
			snprintf(why, sizeof(why), "no %s", path);
			return why;
		}
	}
	return NULL;
}

static int fi_setup(void)
{
	const char *verbose = getenv("HECA_FI_VERBOSE");
	char path[128];
	unsigned int i;
	int err;

	if (!verbose || !*verbose)
		verbose = "1";
	for (i = 0; i < sizeof(fi_attrs) / sizeof(fi_attrs[0]); i++) {
		struct fi_attr *a = &fi_attrs[i];

		snprintf(path, sizeof(path), DEBUGFS "/%s", a->file);
		err = heca_read_line(path, a->old, sizeof(a->old));
		if (err)
			return err;
		a->saved = true;
		err = write_line(path, a->val ?: verbose);
		if (err)
			return err;
	}
	return 0;
}

static void fi_restore(void)
{
	char path[128];
	unsigned int i;

	for (i = sizeof(fi_attrs) / sizeof(fi_attrs[0]); i-- > 0;) {
		if (!fi_attrs[i].saved)
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s", fi_attrs[i].file);
		write_line(path, fi_attrs[i].old);
		fi_attrs[i].saved = false;
	}
}

/* ---- fail-nth ----------------------------------------------------------- */

/*
 * A task's fail-nth file, kept open: opening and closing it would allocate
 * (and count) in between.  @tid 0: the calling thread.
 */
static int nth_open(pid_t tid)
{
	char path[64];

	if (!tid)
		return open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/fail-nth", tid);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int nth_set(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* What is left of the count: 0 once the failure was injected. */
static long nth_get(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -errno ?: -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* A line in the kernel log, to tell which injection a report belongs to. */
static void kmsg(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, buf, len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1) < 0)
		len = 0;
	close(fd);
}

/* ---- sweeps ------------------------------------------------------------- */

/*
 * One sweep: the operation's allocations counted (@points), then failed in
 * turn.  @ok counts tries that succeeded although the failure was injected
 * (the allocation has a fallback, or is retried), @errs[e] the tries that
 * failed with errno e.
 */
struct sweep {
	const char *what;
	unsigned int points;
	unsigned int tried;
	unsigned int ok;
	unsigned int errs[140];
};

/* The injection points to try: all, or the first 32 and then a sample. */
static unsigned int sweep_next(const struct sweep *w, unsigned int n)
{
	unsigned int stride;

	if (w->points <= SWEEP_MAX || n < 32)
		return n + 1;
	stride = (w->points - 32 + SWEEP_MAX - 33) / (SWEEP_MAX - 32);
	return n + (stride ?: 1);
}

static void sweep_count(struct sweep *w, int err)
{
	w->tried++;
	if (!err)
		w->ok++;
	else if (-err < (int)(sizeof(w->errs) / sizeof(w->errs[0])))
		w->errs[-err]++;
}

static void sweep_log(struct __test_metadata *_metadata, const struct sweep *w)
{
	char buf[512];
	size_t len;
	unsigned int e;

	len = snprintf(buf, sizeof(buf), "%s: %u allocations, %u failed in turn: %u coped",
		       w->what, w->points, w->tried, w->ok);
	for (e = 1; e < sizeof(w->errs) / sizeof(w->errs[0]); e++)
		if (w->errs[e] && len < sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len, ", %u %s",
					w->errs[e], strerror(e));
	TH_LOG("%s", buf);
}

/* ---- regions ------------------------------------------------------------ */

static bool node_is_chr(const char *name)
{
	char path[64];
	struct stat st;

	heca_region_path(path, sizeof(path), name);
	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

static bool node_absent(const char *name)
{
	char path[64];
	struct stat st;

	heca_region_path(path, sizeof(path), name);
	return stat(path, &st) && errno == ENOENT;
}

FIXTURE(reg) {
	int ctl;
	int nth;
	const char *skip;
};

FIXTURE_SETUP(reg)
{
	int err;

	self->skip = fi_missing();
	if (self->skip)
		return;
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl) TH_LOG("open %s: %s (is heca.ko loaded?)",
				       HECA_CONTROL_DEFAULT, strerror(errno));
	self->nth = nth_open(0);
	ASSERT_LE(0, self->nth);
	err = fi_setup();
	ASSERT_EQ(0, err) TH_LOG("fault attributes: %s", strerror(-err));
}

FIXTURE_TEARDOWN(reg)
{
	if (self->skip)
		return;
	nth_set(self->nth, 0);
	fi_restore();
	close(self->nth);
	close(self->ctl);
}

#define NEED_FI()							\
	do {								\
		if (self->skip)						\
			SKIP(return, "%s", self->skip);			\
	} while (0)

/* Create (and destroy) regions while each allocation fails in turn. */
static void sweep_create(struct __test_metadata *_metadata,
			 FIXTURE_DATA(reg) *self, __u32 flags, __u64 size,
			 const char *what)
{
	struct sweep w = { .what = what };
	struct heca_region_info info;
	unsigned int n, seq = 0;
	char name[HECA_NAME_MAX];
	long left;
	int err;

	snprintf(name, sizeof(name), "fi-c-%d-%u", getpid(), seq++);
	ASSERT_EQ(0, nth_set(self->nth, COUNT_BIG));
	err = heca_region_create(self->ctl, name, size, flags);
	left = nth_get(self->nth);
	nth_set(self->nth, 0);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, heca_region_destroy(self->ctl, name));
	ASSERT_LT(0, left);
	w.points = COUNT_BIG - left;

	for (n = 1; n <= w.points; n = sweep_next(&w, n)) {
		snprintf(name, sizeof(name), "fi-c-%d-%u", getpid(), seq++);
		kmsg("faultinject: %s: failure %u\n", what, n);
		ASSERT_EQ(0, nth_set(self->nth, n));
		err = heca_region_create(self->ctl, name, size, flags);
		left = nth_get(self->nth);
		nth_set(self->nth, 0);
		if (left) {
			/* Fewer allocations this time: nothing failed. */
			EXPECT_EQ(0, err) TH_LOG("%s: failure %u not injected, yet %s",
						 what, n, strerror(-err));
			if (!err)
				heca_region_destroy(self->ctl, name);
			continue;
		}
		sweep_count(&w, err);
		if (!err) {
			/*
			 * Coped: the region must be whole.  (devtmpfs may
			 * lose the node on ENOMEM without telling anyone:
			 * device_add() ignores its error; not heca's.)
			 */
			ASSERT_EQ(0, heca_region_find(self->ctl, name, &info));
			EXPECT_EQ(size, info.size);
			if (!node_is_chr(name))
				TH_LOG("%s: failure %u: region made, but no /dev node",
				       what, n);
			EXPECT_EQ(0, heca_region_destroy(self->ctl, name));
			continue;
		}
		EXPECT_EQ(-ENOMEM, err) TH_LOG("%s: failure %u: %s", what, n,
					       strerror(-err));
		/* Nothing of it is left, and the name is free again. */
		EXPECT_EQ(-ENOENT, heca_region_find(self->ctl, name, &info));
		EXPECT_TRUE(node_absent(name)) TH_LOG("%s: failure %u left /dev/heca/%s",
						      what, n, name);
		EXPECT_EQ(0, heca_region_create(self->ctl, name, size, flags))
			TH_LOG("%s: failure %u: the name is not free again", what, n);
		EXPECT_TRUE(node_is_chr(name));
		EXPECT_EQ(0, heca_region_destroy(self->ctl, name));
	}
	sweep_log(_metadata, &w);
	EXPECT_LT(0, w.tried);
}

TEST_F_TIMEOUT(reg, create_source, 600)
{
	NEED_FI();
	sweep_create(_metadata, self, 0, 64 * MiB, "create a source region");
}

/* A destination has four bitmaps; 256 MiB makes them 8 KiB (kvmalloc). */
TEST_F_TIMEOUT(reg, create_dest, 600)
{
	NEED_FI();
	sweep_create(_metadata, self, HECA_REGION_DEST, 256 * MiB,
		     "create a destination region");
}

/*
 * A source region's first touch of a page allocates it (and the xarray node
 * that holds it: pages 64 apart need a node each).  MADV_POPULATE_WRITE
 * reports what the fault answered instead of retrying.
 */
TEST_F_TIMEOUT(reg, populate, 600)
{
	const unsigned long npages = 4096, step = 64;
	struct sweep w = { .what = "populate a page of a source region" };
	char name[HECA_NAME_MAX], path[64];
	unsigned long page = 0;
	unsigned char *mem;
	unsigned int n;
	long left;
	int fd, ret;

	NEED_FI();
	heca_unique_name(name, sizeof(name), "fi-pop");
	ASSERT_EQ(0, heca_region_create(self->ctl, name, npages * PG, 0));
	heca_region_path(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	mem = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	/* The page tables of the mapping are there after the first. */
	ASSERT_EQ(0, madvise(mem, PG, MADV_POPULATE_WRITE));

	page = step;
	ASSERT_EQ(0, nth_set(self->nth, COUNT_BIG));
	ret = madvise(mem + page * PG, PG, MADV_POPULATE_WRITE);
	left = nth_get(self->nth);
	nth_set(self->nth, 0);
	ASSERT_EQ(0, ret) TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	w.points = COUNT_BIG - left;
	ASSERT_LT(0, w.points);

	for (n = 1; n <= w.points; n = sweep_next(&w, n)) {
		page += step;
		ASSERT_GT(npages, page);
		kmsg("faultinject: %s: failure %u\n", w.what, n);
		ASSERT_EQ(0, nth_set(self->nth, n));
		ret = madvise(mem + page * PG, PG, MADV_POPULATE_WRITE) ? -errno : 0;
		left = nth_get(self->nth);
		nth_set(self->nth, 0);
		if (!left)
			sweep_count(&w, ret);
		else
			EXPECT_EQ(0, ret);
		if (ret)
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("failure %u: %s", n,
						       strerror(-ret));
		/* Whatever happened, the page is usable and was zero. */
		ASSERT_EQ(0, madvise(mem + page * PG, PG, MADV_POPULATE_WRITE));
		EXPECT_EQ(0, mem[page * PG + 7]);
		mem[page * PG + 7] = 0xa5;
		EXPECT_EQ(0xa5, mem[page * PG + 7]);
	}
	sweep_log(_metadata, &w);
	munmap(mem, npages * PG);
	close(fd);
	EXPECT_EQ(0, heca_region_destroy(self->ctl, name));
}

/* ---- sessions ----------------------------------------------------------- */

/* A thread doing the destination's SESSION_START, maybe failing the n-th
 * allocation of it.
 */
struct listener {
	pthread_t thread;
	bool running;
	int fd;
	struct heca_session_start args;
	unsigned int inject;
	long left;		/* of the count: 0 once injected */
	int err;		/* -EINPROGRESS while it runs */
};

static void *listener_main(void *arg)
{
	struct listener *l = arg;
	int nth = -1, err;

	if (l->inject) {
		nth = nth_open(0);
		if (nth < 0 || nth_set(nth, l->inject)) {
			__atomic_store_n(&l->err, -EBADF, __ATOMIC_RELEASE);
			return NULL;
		}
	}
	err = heca_session_start(l->fd, &l->args);
	if (nth >= 0) {
		l->left = nth_get(nth);
		nth_set(nth, 0);
		close(nth);
	}
	__atomic_store_n(&l->err, err, __ATOMIC_RELEASE);
	return NULL;
}

static int listener_err(struct listener *l)
{
	return __atomic_load_n(&l->err, __ATOMIC_ACQUIRE);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct side {
	char name[HECA_NAME_MAX];
	int fd;
	unsigned char *mem;
};

FIXTURE(sess) {
	int ctl;
	int nth;
	const char *skip;
	struct side src, dst;
	struct heca_session_start args;
	struct listener l;
	unsigned int seq;
};

FIXTURE_VARIANT(sess) {
	__u32 transport;
	const char *(*ip)(void);	/* the destination listens, the source connects */
	const char *name;
};

FIXTURE_VARIANT_ADD(sess, tcp) {
	.transport = HECA_TRANSPORT_TCP,
	.ip = lab_loopback_ip,
	.name = "tcp",
};

FIXTURE_VARIANT_ADD(sess, rdma) {
	.transport = HECA_TRANSPORT_RDMA,
	.ip = lab_peer_ip,	/* vb: the second rxe device */
	.name = "rdma",
};

/* The source holds data in a few runs of pages; the rest stays zero. */
static bool src_has(unsigned long page)
{
	return page < 5 || (page >= 100 && page < 103) || page == 255;
}

static uint32_t src_word(unsigned long page)
{
	return 0x9e3779b9u * (page + 1);
}

/*
 * A region of MEM bytes, open and mapped; names are short, for the kernel
 * threads' names ("heca-pull/" + 5 characters fit the 15 of a comm).
 */
static int side_open(FIXTURE_DATA(sess) *self, struct side *s, bool dest)
{
	char path[64];
	int err, i;

	for (i = 0; i < 100; i++) {
		snprintf(s->name, sizeof(s->name), "%c%04x", dest ? 'd' : 's',
			 (getpid() * 37 + self->seq++) & 0xffff);
		err = heca_region_create(self->ctl, s->name, MEM,
					 dest ? HECA_REGION_DEST : 0);
		if (err != -EEXIST)
			break;
	}
	if (err) {
		s->name[0] = 0;
		return err;
	}
	heca_region_path(path, sizeof(path), s->name);
	s->fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	s->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	return s->mem == MAP_FAILED ? -errno : 0;
}

static void side_close(FIXTURE_DATA(sess) *self, struct side *s)
{
	if (s->mem && s->mem != MAP_FAILED)
		munmap(s->mem, MEM);
	s->mem = NULL;
	if (s->fd > 0)
		close(s->fd);
	s->fd = -1;
	if (s->name[0])
		heca_region_destroy_settled(self->ctl, s->name);
	s->name[0] = 0;
}

FIXTURE_SETUP(sess)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	unsigned long p;
	int err;

	self->skip = fi_missing();
	if (self->skip)
		return;
	if (variant->transport == HECA_TRANSPORT_RDMA && lab_rxe_missing()) {
		self->skip = lab_rxe_missing();
		return;
	}
	/* No SA_RESTART: a signal ends a blocked SESSION_START with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl) TH_LOG("open %s: %s (is heca.ko loaded?)",
				       HECA_CONTROL_DEFAULT, strerror(errno));
	self->nth = nth_open(0);
	ASSERT_LE(0, self->nth);
	self->src.fd = self->dst.fd = -1;
	srand(getpid());
	self->seq = rand();
	ASSERT_EQ(0, side_open(self, &self->src, false));
	ASSERT_EQ(0, side_open(self, &self->dst, true));
	for (p = 0; p < MEM / PG; p++)
		if (src_has(p))
			*(volatile uint32_t *)(self->src.mem + p * PG + 8) =
				src_word(p);
	heca_random_token(self->args.token);
	{
		__u8 token[HECA_TOKEN_BYTES];

		memcpy(token, self->args.token, sizeof(token));
		heca_start_args(&self->args, variant->ip(),
				20000 + (getpid() * 7 + rand()) % 12000, token,
				START_MS, START_MS);
	}
	self->args.transport = variant->transport;
	err = fi_setup();
	ASSERT_EQ(0, err) TH_LOG("fault attributes: %s", strerror(-err));
}

/*
 * Wait up to @ms for the listening thread to end, then stop it with a
 * signal (EINTR) whatever it is doing; its result.
 */
static int listener_join(FIXTURE_DATA(sess) *self, unsigned int ms)
{
	struct listener *l = &self->l;
	unsigned int i;

	if (!l->running)
		return 0;
	for (i = 0; listener_err(l) == -EINPROGRESS; i++) {
		if (i * 20 >= ms && (i * 20 - ms) % 200 == 0)
			pthread_kill(l->thread, SIGUSR1);
		usleep(20 * 1000);
	}
	pthread_join(l->thread, NULL);
	l->running = false;
	return l->err;
}

static int listener_stop(FIXTURE_DATA(sess) *self)
{
	return listener_join(self, 0);
}

FIXTURE_TEARDOWN(sess)
{
	if (self->skip)
		return;
	nth_set(self->nth, 0);
	fi_restore();
	listener_stop(self);
	if (self->src.fd >= 0)
		heca_session_abort(self->src.fd);
	if (self->dst.fd >= 0)
		heca_session_abort(self->dst.fd);
	side_close(self, &self->src);
	side_close(self, &self->dst);
	close(self->nth);
	close(self->ctl);
}

#define NEED_SESS()							\
	do {								\
		if (self->skip)						\
			SKIP(return, "%s", self->skip);			\
	} while (0)

/* Whether a TCP listener is up on @port (/proc/net/tcp, state 0A). */
static bool tcp_listening(unsigned int port)
{
	char line[256];
	unsigned int lport, st;
	bool found = false;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &st) == 2 &&
		    lport == port && st == 0x0a)
			found = true;
	fclose(f);
	return found;
}

/*
 * Start the destination's SESSION_START in a thread (failing its @inject-th
 * allocation, 0: none) and wait until it listens, or ended.
 */
static void listener_start(struct __test_metadata *_metadata,
			   FIXTURE_DATA(sess) *self,
			   const FIXTURE_VARIANT(sess) *variant,
			   unsigned int inject)
{
	struct listener *l = &self->l;
	int i;

	ASSERT_FALSE(l->running);
	memset(l, 0, sizeof(*l));
	l->fd = self->dst.fd;
	l->args = self->args;
	l->inject = inject;
	l->err = -EINPROGRESS;
	ASSERT_EQ(0, pthread_create(&l->thread, NULL, listener_main, l));
	l->running = true;
	for (i = 0; i < 250 && listener_err(l) == -EINPROGRESS; i++) {
		if (variant->transport == HECA_TRANSPORT_TCP) {
			if (tcp_listening(self->args.addr.port))
				return;
		} else if (i >= 15) {
			return;	/* rdma_cm listens within a few ms */
		}
		usleep(20 * 1000);
	}
}

/*
 * The source connects, failing its @inject-th allocation (0: none); retried
 * while nobody listens yet.  *@left: what was left of the count (0: the
 * failure was injected).
 */
static int source_start(FIXTURE_DATA(sess) *self, unsigned int inject,
			long *left)
{
	int err, i;

	for (i = 0; ; i++) {
		if (inject)
			nth_set(self->nth, inject);
		err = heca_session_start(self->src.fd, &self->args);
		*left = inject ? nth_get(self->nth) : 1;
		nth_set(self->nth, 0);
		if (err != -ECONNREFUSED || !*left || i >= 100)
			return err;
		usleep(50 * 1000);
	}
}

/* Both ends without a session; the destination's listener gone. */
static void sessions_end(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sess) *self)
{
	int err;

	err = heca_session_abort(self->src.fd);
	EXPECT_TRUE(!err || err == -ENOTCONN) TH_LOG("abort source: %s",
						     strerror(-err));
	listener_stop(self);
	err = heca_session_abort(self->dst.fd);
	EXPECT_TRUE(!err || err == -ENOTCONN) TH_LOG("abort destination: %s",
						     strerror(-err));
}

/* Connect without injection; both sides CONNECTED. */
static void connect_clean(struct __test_metadata *_metadata,
			  FIXTURE_DATA(sess) *self,
			  const FIXTURE_VARIANT(sess) *variant)
{
	struct heca_stats st;
	long left;

	listener_start(_metadata, self, variant, 0);
	ASSERT_EQ(0, source_start(self, 0, &left));
	ASSERT_EQ(0, listener_stop(self));
	ASSERT_EQ(0, heca_stats(self->src.fd, &st));
	ASSERT_EQ(HECA_STATE_CONNECTED, st.state);
	ASSERT_EQ(0, heca_stats(self->dst.fd, &st));
	ASSERT_EQ(HECA_STATE_CONNECTED, st.state);
}

/* A session error that says what happened, not that nobody noticed. */
static void expect_session_err(struct __test_metadata *_metadata,
			       const char *what, unsigned int n, int err)
{
	EXPECT_NE(-ETIMEDOUT, err) TH_LOG("%s: failure %u: timed out, the failure went unnoticed",
					  what, n);
	EXPECT_GT(0, err);
}

/* SESSION_START of the source, each of its allocations failing in turn. */
TEST_F_TIMEOUT(sess, start_source, 1800)
{
	struct sweep w = { .what = "source SESSION_START" };
	unsigned int n;
	long left;
	int err;

	NEED_SESS();
	listener_start(_metadata, self, variant, 0);
	err = source_start(self, COUNT_BIG, &left);
	ASSERT_EQ(0, err) TH_LOG("clean connect: %s", strerror(-err));
	w.points = COUNT_BIG - left;
	sessions_end(_metadata, self);

	for (n = 1; n <= w.points; n = sweep_next(&w, n)) {
		listener_start(_metadata, self, variant, 0);
		kmsg("faultinject: %s %s: failure %u\n", variant->name, w.what, n);
		err = source_start(self, n, &left);
		if (!left)
			sweep_count(&w, err);
		else
			EXPECT_EQ(0, err) TH_LOG("failure %u not injected, yet %s",
						 n, strerror(-err));
		if (err)
			expect_session_err(_metadata, w.what, n, err);
		/*
		 * Each try gets a listener of its own.  A destination that
		 * took the failed source's connection ends its SESSION_START
		 * when that connection goes, which it may notice only after
		 * this thread looked: reusing it, the next try could find
		 * nobody listening (ECONNREFUSED, seen on the debug kernel).
		 */
		sessions_end(_metadata, self);
	}
	sweep_log(_metadata, &w);
	/* And once more without injection. */
	connect_clean(_metadata, self, variant);
	sessions_end(_metadata, self);
}

/*
 * SESSION_START of the destination, each of its allocations failing in
 * turn; the source tries to connect while it listens (and once more if it
 * refused the first one).
 */
TEST_F_TIMEOUT(sess, start_dest, 1800)
{
	struct sweep w = { .what = "destination SESSION_START" };
	unsigned int n;
	long left;
	int err;

	NEED_SESS();
	listener_start(_metadata, self, variant, COUNT_BIG);
	ASSERT_EQ(0, source_start(self, 0, &left));
	ASSERT_EQ(0, listener_join(self, START_MS + 5000));
	w.points = COUNT_BIG - self->l.left;
	sessions_end(_metadata, self);

	for (n = 1; n <= w.points; n = sweep_next(&w, n)) {
		kmsg("faultinject: %s %s: failure %u\n", variant->name, w.what, n);
		listener_start(_metadata, self, variant, n);
		if (listener_err(&self->l) == -EINPROGRESS) {
			err = source_start(self, 0, &left);
			/* Refused that peer (no memory), still listening? */
			if (err && listener_err(&self->l) == -EINPROGRESS) {
				usleep(100 * 1000);
				if (listener_err(&self->l) == -EINPROGRESS)
					EXPECT_EQ(0, source_start(self, 0, &left))
						TH_LOG("failure %u: the destination listens on but does not take the next source",
						       n);
			}
		}
		err = listener_join(self, START_MS + 5000);
		if (!self->l.left)
			sweep_count(&w, err);
		else
			EXPECT_EQ(0, err) TH_LOG("failure %u not injected, yet %s",
						 n, strerror(-err));
		if (err)
			expect_session_err(_metadata, w.what, n, err);
		sessions_end(_metadata, self);
	}
	sweep_log(_metadata, &w);
	connect_clean(_metadata, self, variant);
	sessions_end(_metadata, self);
}

/* The destination again: a region that switched over takes no session. */
static void dest_renew(struct __test_metadata *_metadata,
		       FIXTURE_DATA(sess) *self)
{
	side_close(self, &self->dst);
	ASSERT_EQ(0, side_open(self, &self->dst, true));
}

/* The destination holds the source's data; faults in every page. */
static void dest_verify(struct __test_metadata *_metadata,
			FIXTURE_DATA(sess) *self, const char *what,
			unsigned int n)
{
	unsigned long p, bad = 0;
	uint32_t v;

	for (p = 0; p < MEM / PG; p++) {
		v = *(volatile uint32_t *)(self->dst.mem + p * PG + 8);
		if (v != (src_has(p) ? src_word(p) : 0))
			bad++;
	}
	EXPECT_EQ(0, bad) TH_LOG("%s: failure %u: %lu pages wrong", what, n, bad);
}

/* Wait for the destination to complete or fail; the state it reached. */
static __u32 dest_outcome(FIXTURE_DATA(sess) *self, __u32 *error)
{
	__u32 reached = 0;

	*error = 0;
	heca_wait_state(self->dst.fd, HECA_STATE_COMPLETE, 60000, &reached, error);
	return reached;
}

/* SWITCHOVER of the source (RDMA: the registration of its pages). */
TEST_F_TIMEOUT(sess, switchover, 1800)
{
	struct sweep w = { .what = "source SWITCHOVER" };
	__u32 reached, error;
	unsigned int n;
	long left;
	int err;

	NEED_SESS();
	connect_clean(_metadata, self, variant);
	ASSERT_EQ(0, nth_set(self->nth, COUNT_BIG));
	err = heca_switchover(self->src.fd);
	left = nth_get(self->nth);
	nth_set(self->nth, 0);
	ASSERT_EQ(0, err);
	w.points = COUNT_BIG - left;
	ASSERT_EQ(HECA_STATE_COMPLETE, dest_outcome(self, &error));
	dest_verify(_metadata, self, w.what, 0);
	sessions_end(_metadata, self);
	dest_renew(_metadata, self);

	for (n = 1; n <= w.points; n = sweep_next(&w, n)) {
		connect_clean(_metadata, self, variant);
		kmsg("faultinject: %s %s: failure %u\n", variant->name, w.what, n);
		ASSERT_EQ(0, nth_set(self->nth, n));
		err = heca_switchover(self->src.fd);
		left = nth_get(self->nth);
		nth_set(self->nth, 0);
		if (!left)
			sweep_count(&w, err);
		else
			EXPECT_EQ(0, err) TH_LOG("failure %u not injected, yet %s",
						 n, strerror(-err));
		if (err) {
			expect_session_err(_metadata, w.what, n, err);
		} else {
			reached = dest_outcome(self, &error);
			EXPECT_EQ(HECA_STATE_COMPLETE, reached) {
				struct heca_stats st;

				heca_stats(self->src.fd, &st);
				TH_LOG("failure %u: switched over, then destination state %u error %u, source state %u error %u",
				       n, reached, error, st.state, st.error);
			}
			if (reached == HECA_STATE_COMPLETE)
				dest_verify(_metadata, self, w.what, n);
		}
		sessions_end(_metadata, self);
		dest_renew(_metadata, self);
	}
	sweep_log(_metadata, &w);
}

/* The kernel thread named @prefix + region @name (comm: 15 characters). */
static pid_t kthread_of(const char *prefix, const char *name)
{
	char want[64], path[300], comm[32];
	struct dirent *e;
	pid_t pid = 0;
	DIR *d;

	snprintf(want, sizeof(want), "%s%s", prefix, name);
	want[15] = 0;	/* TASK_COMM_LEN - 1 */
	d = opendir("/proc");
	if (!d)
		return 0;
	while (!pid && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!heca_read_line(path, comm, sizeof(comm)) && !strcmp(comm, want))
			pid = atoi(e->d_name);
	}
	closedir(d);
	return pid;
}

/*
 * Wait for the destination to complete or fail, reading the fail-nth of
 * a kernel thread meanwhile: the last value read (the thread ends with
 * the session), or @left unchanged.
 */
static __u32 dest_outcome_nth(FIXTURE_DATA(sess) *self, int nth, long *left,
			      __u32 *error)
{
	struct heca_stats st;
	long v;
	int i;

	for (i = 0; i < 60000; i++) {
		v = nth_get(nth);
		if (v >= 0)
			*left = v;
		if (heca_stats(self->dst.fd, &st))
			break;
		if (st.state == HECA_STATE_COMPLETE ||
		    st.state == HECA_STATE_FAILED)
			break;
		usleep(1000);
	}
	return dest_outcome(self, error);
}

/*
 * The pull after the switchover, with the n-th allocation of kernel thread
 * @prefix<region> failing: the session completes with the right data, or
 * fails with ENOMEM.  The thread ends with the session: its count is what
 * was last read before (the last allocations may be missed; the sweep goes
 * a few further).
 */
static void sweep_thread(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sess) *self,
			 const FIXTURE_VARIANT(sess) *variant,
			 const char *prefix, bool of_dest, const char *what)
{
	struct sweep w = { .what = what };
	__u32 reached, error;
	unsigned int n;
	long left;
	pid_t tid;
	int fd, err;

	for (n = 0; n <= w.points + 3; n = n ? sweep_next(&w, n) : 1) {
		connect_clean(_metadata, self, variant);
		tid = kthread_of(prefix, of_dest ? self->dst.name : self->src.name);
		ASSERT_LT(0, tid) TH_LOG("no kernel thread %s%s", prefix,
					 of_dest ? self->dst.name : self->src.name);
		fd = nth_open(tid);
		ASSERT_LE(0, fd);
		kmsg("faultinject: %s %s: failure %u\n", variant->name, what, n);
		left = n ?: COUNT_BIG;
		ASSERT_EQ(0, nth_set(fd, left));
		/* (With injection the destination may fail before it.) */
		err = heca_switchover(self->src.fd);
		if (!n)
			ASSERT_EQ(0, err);
		reached = dest_outcome_nth(self, fd, &left, &error);
		nth_set(fd, 0);
		close(fd);
		if (!n) {
			/* The count, and the run without failure. */
			ASSERT_EQ(HECA_STATE_COMPLETE, reached)
				TH_LOG("without injection: state %u error %u",
				       reached, error);
			w.points = COUNT_BIG - left;
			dest_verify(_metadata, self, what, n);
		} else if (reached == HECA_STATE_COMPLETE) {
			dest_verify(_metadata, self, what, n);
			if (!left)
				sweep_count(&w, 0);
		} else {
			struct heca_stats own;

			/* The side whose thread failed says ENOMEM. */
			heca_stats(of_dest ? self->dst.fd : self->src.fd, &own);
			EXPECT_EQ(HECA_STATE_FAILED, reached)
				TH_LOG("failure %u: state %u, error %u: hung?",
				       n, reached, error);
			EXPECT_EQ(ENOMEM, own.error)
				TH_LOG("%s: failure %u: destination state %u error %u (%s), %s state %u error %u",
				       what, n, reached, error, strerror(error),
				       of_dest ? "itself" : "source",
				       own.state, own.error);
			sweep_count(&w, -(int)own.error);
		}
		sessions_end(_metadata, self);
		dest_renew(_metadata, self);
	}
	sweep_log(_metadata, &w);
}

/* The destination's puller: fetch requests, their pages (and RDMA reads). */
TEST_F_TIMEOUT(sess, fetch, 1800)
{
	NEED_SESS();
	sweep_thread(_metadata, self, variant, "heca-pull/", true,
		     "destination puller");
}

/* TCP's receiving threads: the source serves, the destination stores. */
TEST_F_TIMEOUT(sess, receive, 1800)
{
	NEED_SESS();
	if (variant->transport != HECA_TRANSPORT_TCP)
		SKIP(return, "TCP only (RDMA completions run in shared workqueues)");
	sweep_thread(_metadata, self, variant, "heca-rx/", true,
		     "destination receiver");
	sweep_thread(_metadata, self, variant, "heca-rx/", false,
		     "source receiver");
}

/*
 * Last: nothing that heca or these tests allocated leaked.  kmemleak
 * reports objects older than 5 s that no memory it scans points to.
 */
FIXTURE(leak) {
	int unused;
};

FIXTURE_SETUP(leak)
{
}

FIXTURE_TEARDOWN(leak)
{
}

TEST_F_TIMEOUT(leak, kmemleak, 600)
{
	char line[512], block[4096];
	size_t len = 0;
	unsigned int leaks = 0, shown = 0;
	bool ours = false;
	FILE *f;

	if (fi_missing())
		SKIP(return, "%s", fi_missing());
	if (access(KMEMLEAK, W_OK))
		SKIP(return, "no %s (CONFIG_DEBUG_KMEMLEAK)", KMEMLEAK);
	sleep(6);
	ASSERT_EQ(0, write_line(KMEMLEAK, "scan"));
	f = fopen(KMEMLEAK, "r");
	ASSERT_NE(NULL, f);
	block[0] = 0;
	for (;;) {
		bool end = !fgets(line, sizeof(line), f);

		if (end || !strncmp(line, "unreferenced object", 19)) {
			if (ours && shown++ < 3)
				TH_LOG("%s", block);
			leaks += ours;
			len = 0;
			block[0] = 0;
			ours = false;
			if (end)
				break;
		}
		if (strstr(line, "heca") || strstr(line, "faultinject"))
			ours = true;
		if (len < sizeof(block) - 1)
			len += snprintf(block + len, sizeof(block) - len, "%s", line);
	}
	fclose(f);
	EXPECT_EQ(0, leaks) TH_LOG("%u unreferenced objects of heca or of this test (%s)",
				   leaks, KMEMLEAK);
}

/*
 * TEST_HARNESS_MAIN, except on a kernel without fault injection: one
 * result, skipped with the reason, rather than every test skipped.
 */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *why = fi_missing();

	if (why) {
		ksft_print_header();
		ksft_set_plan(1);
		ksft_test_result_skip("faultinject_test: %s\n", why);
		return ksft_exit_pass();
	}
	return heca_harness_run(argc, argv);
}
