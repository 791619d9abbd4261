// SPDX-License-Identifier: GPL-2.0
/*
 * Region lifecycle and the control device's answers to bad input.
 * Runs as root in the lab with heca.ko loaded.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "heca_harness.h"
#include "heca_test.h"

FIXTURE(ctl) {
	int fd;
	char name[HECA_NAME_MAX];
};

FIXTURE_SETUP(ctl)
{
	self->fd = heca_control_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s (is heca.ko loaded?)",
				      HECA_CONTROL_DEFAULT, strerror(errno));
	heca_unique_name(self->name, sizeof(self->name), "reg");
}

FIXTURE_TEARDOWN(ctl)
{
	heca_region_destroy(self->fd, self->name);
	close(self->fd);
}

TEST_F(ctl, control_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(HECA_CONTROL_DEFAULT, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
}

TEST_F(ctl, version)
{
	struct heca_version v = { .argsz = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_VERSION, &v));
	EXPECT_EQ(HECA_ABI_VERSION, v.abi_version);
	EXPECT_EQ(HECA_MAX_REGIONS, v.max_regions);
	EXPECT_EQ(HECA_REGION_MAX_BYTES, v.max_region_bytes);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), v.page_size);

	v.reserved[6] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ctl, create_list_destroy)
{
	struct heca_region_info info;
	char path[64];
	struct stat st;

	heca_region_path(path, sizeof(path), self->name);
	ASSERT_EQ(-ENOENT, heca_region_find(self->fd, self->name, &info));
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 8 * MiB, 0));

	ASSERT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);

	ASSERT_EQ(0, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(8 * MiB, info.size);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(0, info.users);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(major(st.st_rdev), info.dev_major);
	EXPECT_EQ(minor(st.st_rdev), info.dev_minor);

	ASSERT_EQ(0, heca_region_destroy(self->fd, self->name));
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(-ENOENT, heca_region_destroy(self->fd, self->name));

	/* The name can be used again, with another size. */
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	ASSERT_EQ(0, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(4 * MiB, info.size);
}

TEST_F(ctl, duplicate_name)
{
	struct heca_region_info info;

	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	EXPECT_EQ(-EEXIST, heca_region_create(self->fd, self->name, 8 * MiB, 0));
	ASSERT_EQ(0, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(4 * MiB, info.size);
}

TEST_F(ctl, bad_sizes)
{
	struct heca_region_info info;
	long ps = sysconf(_SC_PAGESIZE);

	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name, 0, 0));
	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name, 1, 0));
	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name, ps + 1, 0));
	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name, ps - 1, 0));
	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name,
					      HECA_REGION_MAX_BYTES + ps, 0));
	EXPECT_EQ(-EINVAL, heca_region_create(self->fd, self->name, ~0ULL & ~(ps - 1), 0));
	EXPECT_EQ(-ENOENT, heca_region_find(self->fd, self->name, &info));

	/* The documented maximum itself is fine: pages come on first touch. */
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, HECA_REGION_MAX_BYTES, 0));
	ASSERT_EQ(0, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(HECA_REGION_MAX_BYTES, info.size);
	EXPECT_EQ(0, info.resident);
}

TEST_F(ctl, bad_names)
{
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "-x", "--help", "control", "a/b", "a b", "a\\b",
		"x\x01", "caf\xc3\xa9", "\xc3\xc4", "0123456789012345678901234567890123",
	};
	struct heca_region_create c;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.argsz = sizeof(c);
		c.size = 4 * MiB;
		memcpy(c.name, bad[i], strnlen(bad[i], sizeof(c.name)));
		EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c))
			TH_LOG("name \"%s\" accepted", bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}

	/* 31 characters is the longest name; 32 leave no room for the NUL. */
	memset(&c, 0, sizeof(c));
	c.argsz = sizeof(c);
	c.size = 4 * MiB;
	memset(c.name, 'n', HECA_NAME_MAX);
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);

	/* Bytes after the NUL are reserved. */
	memset(c.name, 0, sizeof(c.name));
	strcpy(c.name, self->name);
	c.name[HECA_NAME_MAX - 1] = 'x';
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);

	memset(c.name, 'n', HECA_NAME_MAX - 1);
	c.name[HECA_NAME_MAX - 1] = '\0';
	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(0, heca_region_destroy(self->fd, c.name));

	EXPECT_EQ(0, heca_region_create(self->fd, "A.z-_9", 4 * MiB, 0));
	EXPECT_EQ(0, heca_region_destroy(self->fd, "A.z-_9"));
}

TEST_F(ctl, reserved_flags_argsz)
{
	struct heca_region_create c = { .argsz = sizeof(c), .size = 4 * MiB };
	struct heca_region_destroy d = { .argsz = sizeof(d) };
	struct heca_region_info info;

	strcpy(c.name, self->name);
	strcpy(d.name, self->name);

	c.flags = ~HECA_REGION_DEST;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0;
	c.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.reserved[3] = 0;
	c.argsz = sizeof(c) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.argsz = sizeof(c) + 8;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, heca_region_find(self->fd, self->name, &info));

	c.argsz = sizeof(c);
	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_CREATE, &c));

	d.flags = 2;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_DESTROY, &d));
	EXPECT_EQ(EINVAL, errno);
	d.flags = 0;
	d.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_DESTROY, &d));
	EXPECT_EQ(EINVAL, errno);
	d.reserved[0] = 0;
	d.argsz = 0;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_DESTROY, &d));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, heca_region_find(self->fd, self->name, &info));
}

/* A caller built against another struct size uses another ioctl number. */
TEST_F(ctl, wrong_struct_size)
{
	struct {
		struct heca_region_create c;
		__u64 extra;
	} big = { .c = { .argsz = sizeof(big), .size = 4 * MiB } };
	struct heca_region_info info;
	unsigned long cmd;

	strcpy(big.c.name, self->name);
	cmd = _IOW(HECA_IOC_MAGIC, _IOC_NR(HECA_IOC_REGION_CREATE), big);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(EINVAL, errno);
	cmd = _IOW(HECA_IOC_MAGIC, _IOC_NR(HECA_IOC_REGION_CREATE), __u64);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(EINVAL, errno);
	/* Right size, wrong direction. */
	cmd = _IOR(HECA_IOC_MAGIC, _IOC_NR(HECA_IOC_REGION_CREATE), big.c);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, heca_region_find(self->fd, self->name, &info));
}

TEST_F(ctl, unknown_ioctl)
{
	char buf[256] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOW(HECA_IOC_MAGIC, 0x0f, buf), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(HECA_IOC_MAGIC, 0x3f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', 1)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(ctl, bad_pointers)
{
	struct heca_region_list l = { .argsz = sizeof(l), .count = 4,
				      .entries = 16 };

	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_CREATE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	EXPECT_EQ(EFAULT, errno);
	l.entries = 0;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
	l.reserved0 = 1;
	l.count = 0;
	EXPECT_EQ(-1, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ctl, list_sizes)
{
	struct heca_region_info e[2];
	struct heca_region_list l = { .argsz = sizeof(l) };
	char n2[HECA_NAME_MAX], n3[HECA_NAME_MAX];
	unsigned int base;

	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	base = l.count;

	heca_unique_name(n2, sizeof(n2), "reg");
	heca_unique_name(n3, sizeof(n3), "reg");
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	ASSERT_EQ(0, heca_region_create(self->fd, n2, 8 * MiB, 0));
	ASSERT_EQ(0, heca_region_create(self->fd, n3, 12 * MiB, 0));

	l.count = 0;
	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	EXPECT_EQ(base + 3, l.count);

	/* A short buffer gets what fits and the total. */
	memset(e, 0xaa, sizeof(e));
	l.count = 1;
	l.entries = (__u64)(unsigned long)e;
	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	EXPECT_EQ(base + 3, l.count);
	EXPECT_EQ((char)0xaa, e[1].name[0]);

	if (base == 0) {
		/* Creation order. */
		l.count = 2;
		ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
		EXPECT_STREQ(self->name, e[0].name);
		EXPECT_STREQ(n2, e[1].name);
		EXPECT_EQ(8 * MiB, e[1].size);
	}
	EXPECT_EQ(0, heca_region_destroy(self->fd, n2));
	EXPECT_EQ(0, heca_region_destroy(self->fd, n3));
}

TEST_F(ctl, too_many_regions)
{
	char names[HECA_MAX_REGIONS + 1][HECA_NAME_MAX];
	struct heca_region_list l = { .argsz = sizeof(l) };
	int i, made = 0, err = 0;

	ASSERT_EQ(0, ioctl(self->fd, HECA_IOC_REGION_LIST, &l));
	for (i = 0; i <= HECA_MAX_REGIONS; i++) {
		heca_unique_name(names[i], sizeof(names[i]), "many");
		err = heca_region_create(self->fd, names[i], 1 * MiB, 0);
		if (err)
			break;
		made++;
	}
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_EQ(HECA_MAX_REGIONS - (int)l.count, made);
	for (i = 0; i < made; i++)
		EXPECT_EQ(0, heca_region_destroy(self->fd, names[i]));
	/* Minors were given back. */
	EXPECT_EQ(0, heca_region_create(self->fd, self->name, 1 * MiB, 0));
}

TEST_F(ctl, busy_while_open)
{
	struct heca_region_info info;
	char path[64];
	int fd, fd2;

	heca_region_path(path, sizeof(path), self->name);
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	fd2 = open(path, O_RDONLY);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, heca_region_find(self->fd, self->name, &info));
	EXPECT_EQ(2, info.users);

	EXPECT_EQ(-EBUSY, heca_region_destroy(self->fd, self->name));
	close(fd);
	EXPECT_EQ(-EBUSY, heca_region_destroy(self->fd, self->name));
	close(fd2);
	EXPECT_EQ(0, heca_region_destroy(self->fd, self->name));
}

/* Control ioctls need CAP_SYS_ADMIN; the nodes are root-only. */
TEST_F(ctl, unprivileged)
{
	char path[64];
	pid_t pid;
	int status;

	heca_region_path(path, sizeof(path), self->name);
	ASSERT_EQ(0, heca_region_create(self->fd, self->name, 4 * MiB, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct heca_version v = { .argsz = sizeof(v) };

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (open(HECA_CONTROL_DEFAULT, O_RDWR) >= 0 || errno != EACCES)
			_exit(11);
		if (open(path, O_RDWR) >= 0 || errno != EACCES)
			_exit(12);
		/* An fd inherited from root does not carry the capability. */
		if (ioctl(self->fd, HECA_IOC_VERSION, &v) == 0 ||
		    errno != EPERM)
			_exit(13);
		if (heca_region_destroy(self->fd, self->name) != -EPERM)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
