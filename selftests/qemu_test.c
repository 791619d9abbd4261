// SPDX-License-Identifier: GPL-2.0
/*
 * qemu_test: QEMU runs the multiboot test guest with a heca region as its RAM.
 *
 * guest_on_region: create a region, run the guest in QEMU with the region as
 * memory-backend-file, check what the guest reports on its serial port and
 * its exit code, then map the region ourselves and check that every page the
 * guest wrote is in the region's pages, at its guest-physical address, and
 * that the region's resident count covers them; destroy the region.
 * size_mismatch: QEMU given a region smaller than -m refuses it with its
 * "backing store size ... does not match" error, touching nothing.
 *
 * Runs as root with heca.ko loaded.  Environment:
 *   HECA_REPO          repository top (default: the directory above this
 *                      binary); the guest is
 *                      selftests/guests/multiboot/build/multiboot-guest.elf
 *   HECA_QEMU          QEMU binary (default qemu-system-x86_64 from PATH)
 *   HECA_QEMU_ACCEL    kvm or tcg (default: kvm if /dev/kvm works, else tcg)
 *   HECA_QEMU_TIMEOUT  seconds QEMU may run (default 240)
 *   HECA_TEST_MEMPATH  TEST-ONLY ESCAPE HATCH for developing without heca:
 *                      use this plain file (created, truncated and removed by
 *                      the test) instead of a region.  No region is created,
 *                      the char-device and resident checks are skipped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/heca.h>
#include "heca.h"
#include "heca_harness.h"
#include "guests/multiboot/heca_guest.h"

#define MiB			(1ull << 20)
#define CONTROL_PATH		"/dev/heca/control"
#define GUEST_PATH		"selftests/guests/multiboot/build/multiboot-guest.elf"
#define HARNESS_TIMEOUT		300	/* s, per test */
#define QEMU_TIMEOUT		240	/* s, default; below HARNESS_TIMEOUT */
#define MAX_BAD_LOGGED		8
/* The guest's first line (guests/multiboot/guest.c) */
#define GUEST_LINE	"heca-guest: mem=%u KiB pattern=%x seed=%x rounds=%u " \
			"start=%x end=%x pages=%u"
/* The firmware keeps a little RAM at the top out of the multiboot map. */
#define FIRMWARE_SLACK		MiB

FIXTURE(qemu) {
	const char *skip;		/* why the tests cannot run here */
	int ctl;			/* /dev/heca/control, or -1 */
	bool hatch;			/* HECA_TEST_MEMPATH: a plain file */
	bool have_region;		/* name exists and must be destroyed */
	char name[HECA_NAME_MAX];
	char mempath[PATH_MAX];
	char guest[PATH_MAX + 64];
	char dir[PATH_MAX];		/* temporary: serial.log, qemu.log */
	char serial[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	const char *qemu;
	const char *accel;
	int timeout;
	pid_t pid;			/* QEMU while it runs */
	void *map;
	size_t map_size;
};

/* Whether /dev/kvm can create a VM. */
static bool kvm_works(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1;

	if (kvm >= 0) {
		if (ioctl(kvm, KVM_GET_API_VERSION, 0) == KVM_API_VERSION)
			vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm >= 0)
			close(vm);
		close(kvm);
	}
	return vm >= 0;
}

static bool in_path(const char *prog)
{
	char buf[PATH_MAX];
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (p = path ?: "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, prog);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* The whole of a (small) file as a string; "" if it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");
	ssize_t n;

	if (f) {
		buf = malloc(1 << 20);
		if (buf) {
			while (len < (1 << 20) - 1 &&
			       (n = fread(buf + len, 1, (1 << 20) - 1 - len, f)) > 0)
				len += n;
			buf[len] = '\0';
		}
		fclose(f);
	}
	return buf ?: strdup("");
}

FIXTURE_SETUP(qemu)
{
	const char *repo = getenv("HECA_REPO"), *env;
	char exe[PATH_MAX], *slash;
	ssize_t n;

	self->ctl = -1;
	self->pid = -1;
	self->map = MAP_FAILED;
	self->qemu = getenv("HECA_QEMU") ?: "qemu-system-x86_64";
	self->timeout = QEMU_TIMEOUT;
	env = getenv("HECA_QEMU_TIMEOUT");
	if (env && atoi(env) > 0)
		self->timeout = atoi(env) < HARNESS_TIMEOUT - 10 ?
				atoi(env) : HARNESS_TIMEOUT - 10;

	/* The guest: HECA_REPO, or the repository this binary was built in. */
	if (repo) {
		snprintf(self->guest, sizeof(self->guest), "%s/%s", repo, GUEST_PATH);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		ASSERT_GT(n, 0);
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		*slash = '\0';	/* .../selftests */
		snprintf(self->guest, sizeof(self->guest), "%s/../%s", exe, GUEST_PATH);
	}
	ASSERT_EQ(access(self->guest, R_OK), 0)
		TH_LOG("no guest at %s: make -C selftests/guests/multiboot",
		       self->guest);

	/*
	 * SKIP() in a fixture setup does not stop the test body in this
	 * harness, so the bodies skip on self->skip.
	 */
	if (!in_path(self->qemu)) {
		self->skip = "no QEMU (HECA_QEMU or qemu-system-x86_64 in PATH)";
		return;
	}
	env = getenv("HECA_QEMU_ACCEL");
	self->accel = env && *env ? env : kvm_works() ? "kvm" : "tcg";
	TH_LOG("QEMU %s, -accel %s, timeout %d s", self->qemu, self->accel,
	       self->timeout);

	env = getenv("HECA_TEST_MEMPATH");
	if (env && *env) {
		/* TEST-ONLY ESCAPE HATCH: a plain file stands for the region. */
		self->hatch = true;
		snprintf(self->mempath, sizeof(self->mempath), "%s", env);
		TH_LOG("HECA_TEST_MEMPATH=%s: a plain file, NOT a heca region",
		       self->mempath);
	} else {
		if (geteuid()) {
			self->skip = "not root";
			return;
		}
		self->ctl = open(CONTROL_PATH, O_RDWR | O_CLOEXEC);
		if (self->ctl < 0) {
			self->skip = "no " CONTROL_PATH " (heca.ko not loaded)";
			return;
		}
		snprintf(self->name, sizeof(self->name), "qemu_test-%d", getpid());
		snprintf(self->mempath, sizeof(self->mempath), "/dev/heca/%s",
			 self->name);
	}

	snprintf(self->dir, sizeof(self->dir), "%s/heca-qemu_test.XXXXXX",
		 getenv("TMPDIR") ?: "/tmp");
	ASSERT_NE(mkdtemp(self->dir), NULL) TH_LOG("mkdtemp %s: %m", self->dir);
	snprintf(self->serial, sizeof(self->serial), "%s/serial.log", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/qemu.log", self->dir);
}

FIXTURE_TEARDOWN(qemu)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_size);
	if (self->have_region && self->ctl >= 0 &&
	    heca_region_destroy(self->ctl, self->name))
		TH_LOG("teardown: destroying region %s: %m", self->name);
	if (self->hatch && self->have_region)
		unlink(self->mempath);
	if (self->ctl >= 0)
		close(self->ctl);
	if (self->dir[0]) {
		unlink(self->serial);
		unlink(self->log);
		rmdir(self->dir);
	}
}

/* Make the guest's RAM: a region, or with the escape hatch a plain file. */
static int make_ram(FIXTURE_DATA(qemu) *self, uint64_t size)
{
	int fd, ret = 0;

	if (!self->hatch) {
		ret = heca_region_create(self->ctl, self->name, size, 0);
		self->have_region = !ret;
		return ret;
	}
	fd = open(self->mempath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	self->have_region = true;
	if (ftruncate(fd, size))
		ret = -errno;
	close(fd);
	return ret;
}

/* Is the guest's RAM what it should be: heca's char device (or the file)? */
static bool ram_is_region(FIXTURE_DATA(qemu) *self)
{
	struct stat st;

	if (stat(self->mempath, &st))
		return false;
	return self->hatch ? S_ISREG(st.st_mode) : S_ISCHR(st.st_mode);
}

/*
 * Run the guest in QEMU on @ram_size bytes of the RAM at self->mempath and
 * wait for it.  Returns QEMU's wait status, or -1 if it timed out (and was
 * killed) or could not start.
 */
static int run_qemu(struct __test_metadata *_metadata,
		    FIXTURE_DATA(qemu) *self, uint64_t ram_size, uint32_t seed,
		    uint32_t rounds, double *secs)
{
	char mem[32], backend[PATH_MAX + 96], append[64], serial[PATH_MAX + 32];
	const char *argv[] = {
		self->qemu, "-accel", self->accel, "-nographic", "-no-reboot",
		"-nodefaults", "-m", mem, "-object", backend,
		"-machine", "memory-backend=ram0", "-kernel", self->guest,
		"-append", append,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-serial", serial, NULL,
	};
	struct timespec t0, t1, nap = { .tv_nsec = 10 * 1000 * 1000 };
	int status, fd;
	pid_t pid;

	snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)(ram_size / MiB));
	snprintf(backend, sizeof(backend),
		 "memory-backend-file,id=ram0,size=%s,mem-path=%s,share=on",
		 mem, self->mempath);
	snprintf(append, sizeof(append), "seed=0x%x rounds=%u", seed, rounds);
	snprintf(serial, sizeof(serial), "file:%s", self->serial);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid == 0) {
		/* QEMU must not outlive the test (the harness kills our group) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(self->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char **)argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	if (pid < 0) {
		TH_LOG("fork: %m");
		return -1;
	}
	self->pid = pid;
	TH_LOG("qemu -m %s -append '%s' -object %s", mem, append, backend);

	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= self->timeout) {
			TH_LOG("QEMU still running after %d s: killed",
			       self->timeout);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		nanosleep(&nap, NULL);
	}
	self->pid = -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return status;
}

static void log_output(struct __test_metadata *_metadata,
		       FIXTURE_DATA(qemu) *self)
{
	char *serial = slurp(self->serial), *log = slurp(self->log);

	TH_LOG("serial:\n%s\nQEMU output:\n%s", serial, log);
	free(serial);
	free(log);
}

TEST_F_TIMEOUT(qemu, guest_on_region, HARNESS_TIMEOUT)
{
	const uint64_t size = 64 * MiB;
	const uint32_t rounds = 2;
	struct heca_region_info info;
	unsigned int mem_kib, magic, gseed, grounds, start, end, pages;
	uint32_t seed, pfn, bad, mismatches = 0;
	char *out, *line;
	double secs;
	int status, fd;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	/* A seed of this run only: pages of an earlier run cannot pass. */
	seed = hg_mix((uint32_t)time(NULL) ^ (uint32_t)getpid() << 16);

	ASSERT_EQ(make_ram(self, size), 0) TH_LOG("creating %s: %m", self->mempath);
	ASSERT_TRUE(ram_is_region(self))
		TH_LOG("%s is not a char device", self->mempath);
	if (!self->hatch) {
		ASSERT_EQ(heca_region_find(self->ctl, self->name, &info), 0);
		ASSERT_EQ(info.size, size);
		ASSERT_EQ(info.resident, 0ull) TH_LOG("a new region holds pages");
	}

	status = run_qemu(_metadata, self, size, seed, rounds, &secs);
	TH_LOG("QEMU ran %.2f s, wait status 0x%x", secs, status);
	out = slurp(self->serial);
	if (status == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != HG_QEMU_STATUS(HG_EXIT_OK))
		log_output(_metadata, self);
	ASSERT_NE(status, -1) TH_LOG("timeout");
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), HG_QEMU_STATUS(HG_EXIT_OK))
		TH_LOG("guest failed (QEMU exit %d; %d: verify failed, 0: crashed)",
		       WEXITSTATUS(status), HG_QEMU_STATUS(HG_EXIT_FAIL));

	/* What the guest says. */
	line = strstr(out, "heca-guest: mem=");
	ASSERT_NE(line, NULL) TH_LOG("no heca-guest: mem= line in\n%s", out);
	ASSERT_EQ(sscanf(line, GUEST_LINE, &mem_kib, &magic, &gseed, &grounds,
			 &start, &end, &pages), 7)
		TH_LOG("bad line: %.200s", line);
	TH_LOG("guest: mem=%u KiB start=0x%x end=0x%x pages=%u", mem_kib,
	       start, end, pages);
	ASSERT_LE((uint64_t)mem_kib * 1024, size);
	ASSERT_GE((uint64_t)mem_kib * 1024, size - FIRMWARE_SLACK)
		TH_LOG("guest has %u KiB of RAM, the region %llu KiB", mem_kib,
		       (unsigned long long)(size >> 10));
	ASSERT_EQ(magic, HG_MAGIC);
	ASSERT_EQ(gseed, seed);
	ASSERT_EQ(grounds, rounds);
	ASSERT_EQ(start % HG_DATA_ALIGN, 0u);
	ASSERT_EQ(end, 1024 * 1024 + (mem_kib - 1024) * 1024);
	ASSERT_EQ(pages, (end - start) / HG_PAGE_SIZE);
	ASSERT_NE(strstr(line, "\nheca-guest: verify ok mismatches=0\n"), NULL)
		TH_LOG("guest did not verify:\n%s", line);
	ASSERT_NE(strstr(line, "\nheca-guest: done\n"), NULL);
	free(out);

	/* QEMU is gone: its mapping and file are released. */
	ASSERT_TRUE(ram_is_region(self))
		TH_LOG("%s is no longer a char device", self->mempath);
	if (!self->hatch) {
		ASSERT_EQ(heca_region_find(self->ctl, self->name, &info), 0);
		TH_LOG("region %s: resident %llu pages, users %u", info.name,
		       (unsigned long long)info.resident, info.users);
		ASSERT_EQ(info.users, 0u);
		ASSERT_GE(info.resident * getpagesize(),
			  (uint64_t)pages * HG_PAGE_SIZE)
			TH_LOG("resident pages do not cover the guest's");
		ASSERT_LE(info.resident * getpagesize(), size);
	} else {
		TH_LOG("escape hatch: no resident check");
	}

	/* A second view: the guest's pages are the region's pages. */
	fd = open(self->mempath, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("open %s: %m", self->mempath);
	ASSERT_EQ(lseek(fd, 0, SEEK_END), (off_t)size);
	self->map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	self->map_size = size;
	close(fd);
	ASSERT_NE(self->map, MAP_FAILED) TH_LOG("mmap: %m");
	for (pfn = start / HG_PAGE_SIZE; pfn < end / HG_PAGE_SIZE; pfn++) {
		bad = hg_check_page((const uint32_t *)((char *)self->map +
						       (size_t)pfn * HG_PAGE_SIZE),
				    seed, rounds, pfn);
		if (bad && mismatches++ < MAX_BAD_LOGGED)
			TH_LOG("page 0x%x: bad 0x%x (HG_BAD_*)", pfn, bad);
	}
	ASSERT_EQ(mismatches, 0u)
		TH_LOG("%u of %u pages differ in the region", mismatches, pages);
	munmap(self->map, size);
	self->map = MAP_FAILED;

	/* Nobody holds the region now: it goes away. */
	if (!self->hatch) {
		ASSERT_EQ(heca_region_destroy(self->ctl, self->name), 0)
			TH_LOG("destroy %s: %m", self->name);
		self->have_region = false;
		ASSERT_EQ(access(self->mempath, F_OK), -1);
		ASSERT_EQ(errno, ENOENT);
	}
}

TEST_F_TIMEOUT(qemu, size_mismatch, HARNESS_TIMEOUT)
{
	const uint64_t size = 32 * MiB;
	struct heca_region_info info;
	char *out, *log;
	double secs;
	int status;

	if (self->skip)
		SKIP(return, "%s", self->skip);

	/* The region is smaller than the RAM QEMU is asked for. */
	ASSERT_EQ(make_ram(self, size), 0) TH_LOG("creating %s: %m", self->mempath);
	ASSERT_TRUE(ram_is_region(self));
	status = run_qemu(_metadata, self, 2 * size, 1, 1, &secs);
	out = slurp(self->serial);
	log = slurp(self->log);
	TH_LOG("QEMU ran %.2f s, wait status 0x%x: %s", secs, status, log);
	ASSERT_NE(status, -1);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 1) TH_LOG("QEMU did not refuse");
	ASSERT_NE(strstr(log, "backing store size"), NULL);
	ASSERT_NE(strstr(log, "does not match"), NULL);
	ASSERT_EQ(strstr(out, "heca-guest:"), NULL) TH_LOG("the guest ran");
	free(out);
	free(log);

	ASSERT_TRUE(ram_is_region(self));
	if (!self->hatch) {
		ASSERT_EQ(heca_region_find(self->ctl, self->name, &info), 0);
		ASSERT_EQ(info.size, size);
		ASSERT_EQ(info.users, 0u);
		ASSERT_EQ(info.resident, 0ull) TH_LOG("QEMU touched the region");
		ASSERT_EQ(heca_region_destroy(self->ctl, self->name), 0)
			TH_LOG("destroy %s: %m", self->name);
		self->have_region = false;
	}
}

TEST_HARNESS_MAIN
