// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload and reload.  A region pins the module: rmmod is refused
 * while one exists and works once all are destroyed; a reload brings back
 * the control device.  The RDMA transport is a module of its own,
 * heca_rdma.ko, that holds heca.ko: without it an RDMA session is refused
 * with EOPNOTSUPP (or, where it is installed, loads it on demand) and TCP
 * works on.  Leaves heca.ko and heca_rdma.ko loaded as it found them.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "heca_harness.h"
#include "heca_test.h"

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int load_ko(const char *name)
{
	char path[PATH_MAX + 32];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kernel/%s.ko", heca_repo(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

static int load_module(void)
{
	return load_ko("heca");
}

static int is_loaded(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

static int module_loaded(void)
{
	return is_loaded("heca");
}

/* An RDMA session from a source region; the peer is never reached. */
static int start_rdma(const char *name)
{
	struct heca_session_start a;
	__u8 token[HECA_TOKEN_BYTES];
	char path[64];
	int fd, err;

	heca_region_path(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = heca_random_token(token);
	if (!err)
		err = heca_start_args(&a, "127.0.0.1", 9, token, 2000, 0);
	if (err) {
		close(fd);
		return err < 0 ? err : -err;
	}
	a.transport = HECA_TRANSPORT_RDMA;
	err = heca_session_start(fd, &a);
	close(fd);
	return err;
}

TEST(rdma_transport_module)
{
	char name[HECA_NAME_MAX];
	struct stat st;
	int ctl, err;

	if (!is_loaded("heca_rdma"))
		SKIP(return, "heca_rdma.ko not loaded (the lab loads it)");
	ASSERT_TRUE(module_loaded());
	/* heca_rdma.ko uses heca.ko: heca cannot go first. */
	EXPECT_EQ(0, stat("/sys/module/heca/holders/heca_rdma", &st));
	EXPECT_EQ(-EWOULDBLOCK, delete_module("heca"));

	ASSERT_EQ(0, delete_module("heca_rdma"));
	EXPECT_FALSE(is_loaded("heca_rdma"));
	ctl = heca_control_open();
	ASSERT_LE(0, ctl);
	heca_unique_name(name, sizeof(name), "mod");
	ASSERT_EQ(0, heca_region_create(ctl, name, 4 * MiB, 0));
	err = start_rdma(name);
	if (is_loaded("heca_rdma"))
		/* Installed: request_module() brought it back. */
		TH_LOG("heca_rdma loaded on demand; the session said %d", err);
	else
		EXPECT_EQ(-EOPNOTSUPP, err);
	EXPECT_EQ(0, heca_region_destroy(ctl, name));
	close(ctl);

	if (!is_loaded("heca_rdma"))
		ASSERT_EQ(0, load_ko("heca_rdma"));
	EXPECT_EQ(0, stat("/sys/module/heca/holders/heca_rdma", &st));
	EXPECT_EQ(-EEXIST, load_ko("heca_rdma"));
}

TEST(unload_refused_while_region_exists)
{
	char name[HECA_NAME_MAX], path[64];
	struct stat st;
	int ctl;

	if (!module_loaded())
		ASSERT_EQ(0, load_module());
	ctl = heca_control_open();
	ASSERT_LE(0, ctl);
	heca_unique_name(name, sizeof(name), "mod");
	heca_region_path(path, sizeof(path), name);
	ASSERT_EQ(0, heca_region_create(ctl, name, 4 * MiB, 0));
	close(ctl);

	EXPECT_EQ(-EWOULDBLOCK, delete_module("heca"));
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(0, stat(path, &st));

	ctl = heca_control_open();
	ASSERT_LE(0, ctl);
	EXPECT_EQ(0, heca_region_destroy(ctl, name));
	close(ctl);
}

TEST(unload_reload)
{
	char name[HECA_NAME_MAX];
	struct stat st;
	int ctl, round, rdma;

	if (!module_loaded())
		ASSERT_EQ(0, load_module());
	/* The transport module holds heca.ko: it goes first, comes back last. */
	rdma = is_loaded("heca_rdma");
	if (rdma)
		ASSERT_EQ(0, delete_module("heca_rdma"));

	for (round = 0; round < 3; round++) {
		/* An open control device holds the module too. */
		ctl = heca_control_open();
		ASSERT_LE(0, ctl);
		EXPECT_EQ(-EWOULDBLOCK, delete_module("heca"));
		close(ctl);

		ASSERT_EQ(0, delete_module("heca"));
		EXPECT_FALSE(module_loaded());
		EXPECT_EQ(-1, stat(HECA_CONTROL_DEFAULT, &st));
		EXPECT_EQ(ENOENT, errno);

		ASSERT_EQ(0, load_module());
		ASSERT_EQ(0, stat(HECA_CONTROL_DEFAULT, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));

		/* The fresh module works. */
		ctl = heca_control_open();
		ASSERT_LE(0, ctl);
		heca_unique_name(name, sizeof(name), "mod");
		EXPECT_EQ(0, heca_region_create(ctl, name, 4 * MiB, 0));
		EXPECT_EQ(0, heca_region_destroy(ctl, name));
		close(ctl);
	}
	/* Loading twice is refused. */
	EXPECT_EQ(-EEXIST, load_module());
	if (rdma)
		EXPECT_EQ(0, load_ko("heca_rdma"));
}

TEST_HARNESS_MAIN
