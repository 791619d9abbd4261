// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a region: MAP_SHARED only, bounds, zero pages on first touch,
 * one set of pages behind every mapping, lseek, and memcg charging.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "heca_harness.h"
#include "heca_test.h"

#define REGION_SIZE	(16 * MiB)

FIXTURE(region) {
	int ctl;
	int fd;
	char name[HECA_NAME_MAX];
	char path[64];
	long ps;
};

FIXTURE_SETUP(region)
{
	self->ps = sysconf(_SC_PAGESIZE);
	self->ctl = heca_control_open();
	ASSERT_LE(0, self->ctl) TH_LOG("open %s: %s", HECA_CONTROL_DEFAULT,
				       strerror(errno));
	heca_unique_name(self->name, sizeof(self->name), "mm");
	heca_region_path(self->path, sizeof(self->path), self->name);
	ASSERT_EQ(0, heca_region_create(self->ctl, self->name, REGION_SIZE, 0));
	self->fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(region)
{
	close(self->fd);
	EXPECT_EQ(0, heca_region_destroy(self->ctl, self->name));
	close(self->ctl);
}

static __u64 resident(struct __test_metadata *_metadata, int ctl,
		      const char *name)
{
	struct heca_region_info info;

	EXPECT_EQ(0, heca_region_find(ctl, name, &info));
	return info.resident;
}

TEST_F(region, private_refused)
{
	void *p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(region, bounds)
{
	void *p;

	p = mmap(NULL, REGION_SIZE + self->ps, PROT_READ, MAP_SHARED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 REGION_SIZE - self->ps);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, REGION_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 0x7ffffffffffff000LL);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* The last page alone is fine. */
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd,
		 REGION_SIZE - self->ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, *(volatile char *)p);
	EXPECT_EQ(0, munmap(p, self->ps));
}

TEST_F(region, no_expand)
{
	void *p, *q;

	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	q = mremap(p, self->ps, 2 * self->ps, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(0, munmap(p, self->ps));
}

TEST_F(region, zero_on_first_touch)
{
	unsigned char *p;
	size_t i;

	EXPECT_EQ(0, resident(_metadata, self->ctl, self->name));
	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, resident(_metadata, self->ctl, self->name));

	for (i = 0; i < (size_t)self->ps; i++)
		ASSERT_EQ(0, p[5 * self->ps + i]);
	EXPECT_EQ(1, resident(_metadata, self->ctl, self->name));
	p[7 * self->ps + 3] = 0x5a;
	EXPECT_EQ(2, resident(_metadata, self->ctl, self->name));
	/* Touching again allocates nothing. */
	p[7 * self->ps + 4] = 0x5b;
	EXPECT_EQ(0, p[5 * self->ps]);
	EXPECT_EQ(2, resident(_metadata, self->ctl, self->name));

	memset(p, 0x11, REGION_SIZE);
	EXPECT_EQ(REGION_SIZE / self->ps,
		  resident(_metadata, self->ctl, self->name));
	EXPECT_EQ(0, munmap(p, REGION_SIZE));
}

/* Two opens, an offset mapping and a forked child all see one memory. */
TEST_F(region, one_memory)
{
	uint64_t *a, *b, *c;
	size_t i, n = REGION_SIZE / sizeof(*a);
	int fd2, status;
	pid_t pid;

	a = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fd2 = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd2);
	b = mmap(NULL, REGION_SIZE, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, b);
	c = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 8 * self->ps);
	ASSERT_NE(MAP_FAILED, c);
	/* Read-only open, writable mapping: refused by the VFS. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_WRITE, MAP_SHARED,
				   fd2, 0));
	EXPECT_EQ(EACCES, errno);

	for (i = 0; i < n; i++)
		a[i] = i * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n; i++)
		ASSERT_EQ(i * 0x9e3779b97f4a7c15ULL, b[i]);
	ASSERT_EQ(a[8 * self->ps / 8], c[0]);

	c[1] = 0xc0ffee;
	ASSERT_EQ(0xc0ffee, b[8 * self->ps / 8 + 1]);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		a[42] = 0xfeedULL;
		_exit(b[43] == 43 * 0x9e3779b97f4a7c15ULL ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0xfeedULL, b[42]);

	/* Data outlives the mappings as long as the region exists. */
	EXPECT_EQ(0, munmap(a, REGION_SIZE));
	EXPECT_EQ(0, munmap(b, REGION_SIZE));
	EXPECT_EQ(0, munmap(c, 4 * self->ps));
	close(fd2);
	b = mmap(NULL, REGION_SIZE, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(0xfeedULL, b[42]);
	EXPECT_EQ(7 * 0x9e3779b97f4a7c15ULL, b[7]);
	EXPECT_EQ(0, munmap(b, REGION_SIZE));
}

TEST_F(region, mapping_keeps_region_busy)
{
	char *p;

	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	close(self->fd);
	self->fd = -1;
	p[0] = 1;
	EXPECT_EQ(-EBUSY, heca_region_destroy(self->ctl, self->name));
	EXPECT_EQ(0, munmap(p, self->ps));
	/* Teardown destroys it now. */
}

TEST_F(region, lseek_size)
{
	EXPECT_EQ(REGION_SIZE, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(REGION_SIZE - 4096, lseek(self->fd, -4096, SEEK_END));
	EXPECT_EQ(4096, lseek(self->fd, 4096, SEEK_SET));
	EXPECT_EQ(8192, lseek(self->fd, 4096, SEEK_CUR));
	EXPECT_EQ(-1, lseek(self->fd, REGION_SIZE + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
}

/* --- memory cgroup charging ------------------------------------------ */

#define CGROUP_ROOT	"/sys/fs/cgroup"
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

static long long read_ll(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

static int cgroup2_ready(void)
{
	struct statfs sf;

	if (statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		goto enable;
	if (mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -errno;
enable:
	return write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
}

/* Run @fn in a child placed in cgroup @cg; returns the child's status. */
static int in_cgroup(const char *cg, int (*fn)(void *), void *arg)
{
	char procs[PATH_MAX];
	int status;
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (write_file(procs, "0"))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct charge_ctx {
	int ctl;
	const char *name;
	const char *path;
	size_t size;
};

static int create_region(void *arg)
{
	struct charge_ctx *c = arg;

	return heca_region_create(c->ctl, c->name, c->size, 0) ? 1 : 0;
}

static int touch_region(void *arg)
{
	struct charge_ctx *c = arg;
	int fd = open(c->path, O_RDWR);
	char *p;

	if (fd < 0)
		return 1;
	p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	memset(p, 0x77, c->size);
	munmap(p, c->size);
	close(fd);
	return 0;
}

/*
 * Pages are charged to the cgroup of the task that created the region,
 * not to whoever touches them first (a vCPU thread, a KVM worker).
 */
TEST(memcg_charged_to_creator)
{
	char owner[PATH_MAX], toucher[PATH_MAX], cur[PATH_MAX + 32];
	char name[HECA_NAME_MAX], path[64];
	long long o0, o1, o2, t0, t1;
	struct charge_ctx c;
	const size_t size = 32 * MiB;
	int ctl, err;

	err = cgroup2_ready();
	if (err)
		SKIP(return, "no cgroup v2 memory controller: %s",
		     strerror(-err));
	ctl = heca_control_open();
	ASSERT_LE(0, ctl);
	heca_unique_name(name, sizeof(name), "memcg");
	heca_region_path(path, sizeof(path), name);
	snprintf(owner, sizeof(owner), CGROUP_ROOT "/heca-owner-%d", getpid());
	snprintf(toucher, sizeof(toucher), CGROUP_ROOT "/heca-toucher-%d",
		 getpid());
	ASSERT_EQ(0, mkdir(owner, 0755));
	ASSERT_EQ(0, mkdir(toucher, 0755));

	c = (struct charge_ctx){ ctl, name, path, size };
	ASSERT_EQ(0, in_cgroup(owner, create_region, &c));

	snprintf(cur, sizeof(cur), "%s/memory.current", owner);
	o0 = read_ll(cur);
	snprintf(cur, sizeof(cur), "%s/memory.current", toucher);
	t0 = read_ll(cur);
	ASSERT_LE(0, o0);
	ASSERT_LE(0, t0);

	ASSERT_EQ(0, in_cgroup(toucher, touch_region, &c));

	snprintf(cur, sizeof(cur), "%s/memory.current", owner);
	o1 = read_ll(cur);
	snprintf(cur, sizeof(cur), "%s/memory.current", toucher);
	t1 = read_ll(cur);
	TH_LOG("owner %lld -> %lld, toucher %lld -> %lld", o0, o1, t0, t1);
	/*
	 * memory.current moves in per-CPU batches of charges (64 pages),
	 * so allow 1 MiB of slack; the toucher's share shows where the
	 * pages really went.
	 */
	EXPECT_LE((long long)(size - MiB), o1 - o0);
	EXPECT_GT((long long)size / 4, t1 - t0);

	/* Freeing the region uncharges the owner. */
	ASSERT_EQ(0, heca_region_destroy(ctl, name));
	snprintf(cur, sizeof(cur), "%s/memory.current", owner);
	o2 = read_ll(cur);
	EXPECT_GT((long long)size / 4, o2 - o0);

	EXPECT_EQ(0, rmdir(toucher));
	EXPECT_EQ(0, rmdir(owner));
	close(ctl);
}

TEST_HARNESS_MAIN
