// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload and reload.  A region pins the module: rmmod is refused
 * while one exists and works once all are destroyed; a reload brings back
 * the control device.  Leaves heca.ko loaded, as it found it.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "heca_test.h"

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int load_module(void)
{
	char path[PATH_MAX + 32];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kernel/heca.ko", heca_repo());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		err = -errno;
	close(fd);
	return err;
}

static int module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/heca", &st) == 0;
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
	int ctl, round;

	if (!module_loaded())
		ASSERT_EQ(0, load_module());

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
}

TEST_HARNESS_MAIN
