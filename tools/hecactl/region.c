// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "region create|list|destroy".
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "control.h"
#include "hecactl.h"
#include "name.h"
#include "output.h"
#include "size.h"

/* A bound on what we believe of the kernel's region count. */
#define HC_LIST_MAX		65536
/* Retries when regions appear between two HECA_IOC_REGION_LIST calls. */
#define HC_LIST_TRIES		16

#define NAME_RULE "1-31 characters of A-Z a-z 0-9 _ . -, not starting with '.', not 'control'"

static uint64_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* Exactly @want operands, or a usage error naming the first problem. */
static int want_operands(const char *path, const struct hc_args *a, int want,
			 const char *what)
{
	if (a->noperands < want)
		return hc_usage_err(path, "missing %s", what);
	if (a->noperands > want)
		return hc_usage_err(path, "unexpected argument '%s'", a->operand[want]);
	return 0;
}

static int check_name(const char *path, const char *name)
{
	char why[96];

	if (hc_check_name(name, why, sizeof(why)))
		return hc_usage_err(path, "invalid region name '%s': %s", name, why);
	return 0;
}

/* ---- region create ---------------------------------------------------- */

/*
 * A VMM started before its region existed (QEMU's memory-backend-file
 * creates a missing mem-path as a plain file) leaves a file where the
 * region's node belongs, and devtmpfs does not replace it: the region is
 * then unreachable.  Say so rather than let a VMM use the file.
 */
static int check_node(const char *what, const char *name)
{
	char node[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", hc_control_path());
	snprintf(node, sizeof(node), "%s/%s", dirname(dir), name);
	if (stat(node, &st) || S_ISCHR(st.st_mode))
		return HC_EXIT_OK;
	hc_err("%s: created, but %s is not its device but a %s (left by a VMM started before the region existed?): destroy the region, remove %s and create it again",
	       what, node, S_ISDIR(st.st_mode) ? "directory" : "plain file", node);
	return HC_EXIT_FAIL;
}

static const struct hc_errmap create_errors[] = {
	{ EEXIST, "a region with that name already exists", NULL },
	{ ENOSPC, "too many regions",
	  "at most " HC_STR(HECA_MAX_REGIONS) " can exist at once; destroy one first" },
	{ EINVAL, "the module refused the name, the size or the request",
	  "sizes are non-zero multiples of the page size up to 1TiB; names " NAME_RULE },
	{ 0, NULL, NULL },
};

static const struct hc_opt create_opts[] = {
	{ "size", 's', true },
	{ NULL, 0, false },
};

static int region_create(const struct hc_cmd *self, const char *path,
			 int argc, char **argv)
{
	struct heca_region_create req;
	const char *name, *size_arg, *why;
	struct hc_args a;
	uint64_t size;
	char what[96], reason[128];
	int fd, rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, create_opts, &a, &rc))
		return rc;
	rc = want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	name = a.operand[0];
	size_arg = a.value[0];
	if (!size_arg)
		return hc_usage_err(path, "missing --size SIZE");
	rc = check_name(path, name);
	if (rc)
		return rc;
	if (hc_parse_size(size_arg, &size, &why))
		return hc_usage_err(path, "invalid size '%s': %s", size_arg, why);
	if (hc_check_region_size(size, page_size(), HECA_REGION_MAX_BYTES,
				 reason, sizeof(reason)))
		return hc_usage_err(path, "invalid size '%s': %s", size_arg, reason);

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	memset(&req, 0, sizeof(req));
	req.argsz = sizeof(req);
	req.size = size;
	memcpy(req.name, name, strlen(name) + 1);	/* checked: fits */
	snprintf(what, sizeof(what), "%s %s", path, name);
	rc = HC_EXIT_OK;
	if (hc_ioctl(fd, HECA_IOC_REGION_CREATE, &req))
		rc = hc_report(fd, what, errno, create_errors);
	else
		rc = check_node(what, name);
	close(fd);
	return rc;
}

/* ---- region list ------------------------------------------------------ */

/*
 * HECA_IOC_REGION_LIST: ask with the capacity we have, and while the kernel
 * reports more regions than fitted (they were created meanwhile), grow and
 * ask again.  Returns 0 with *@out (malloc'd, may be NULL) and *@n, or an
 * errno.
 */
static int list_regions(int fd, struct heca_region_info **out, size_t *n)
{
	struct heca_region_info *buf = NULL;
	uint32_t cap = 0;

	for (int tries = 0; tries < HC_LIST_TRIES; tries++) {
		struct heca_region_list req;
		struct heca_region_info *nbuf;

		memset(&req, 0, sizeof(req));
		req.argsz = sizeof(req);
		req.count = cap;
		req.entries = (uintptr_t)buf;
		if (hc_ioctl(fd, HECA_IOC_REGION_LIST, &req)) {
			int err = errno;

			free(buf);
			return err;
		}
		if (req.count <= cap) {
			*out = buf;
			*n = req.count;
			return 0;
		}
		if (req.count > HC_LIST_MAX) {
			free(buf);
			return E2BIG;
		}
		cap = req.count;
		nbuf = realloc(buf, cap * sizeof(*buf));
		if (!nbuf) {
			free(buf);
			return ENOMEM;
		}
		buf = nbuf;
		memset(buf, 0, cap * sizeof(*buf));
	}
	free(buf);
	return EAGAIN;
}

static const struct hc_errmap list_errors[] = {
	{ E2BIG, "the module reports more regions than hecactl accepts",
	  "at most " HC_STR(HC_LIST_MAX) }, /* from list_regions() */
	{ EAGAIN, "the set of regions kept changing while it was read",
	  "try again" },	/* from list_regions() */
	{ 0, NULL, NULL },
};

static const struct hc_opt list_opts[] = {
	{ "json", 0, false },
	{ NULL, 0, false },
};

static int region_list(const struct hc_cmd *self, const char *path,
			 int argc, char **argv)
{
	struct heca_region_info *r = NULL;
	struct hc_args a;
	size_t n = 0;
	int fd, rc, err;

	if (!hc_parse_cmd_args(self, path, argc, argv, list_opts, &a, &rc))
		return rc;
	rc = want_operands(path, &a, 0, "");
	if (rc)
		return rc;

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	err = list_regions(fd, &r, &n);
	if (err) {
		rc = hc_report(fd, path, err, list_errors);
		close(fd);
		return rc;
	}
	close(fd);
	if (a.value[0])
		err = hc_print_regions_json(stdout, r, n, page_size());
	else
		err = hc_print_regions_table(stdout, r, n, page_size());
	free(r);
	if (err) {
		hc_err("%s: out of memory", path);
		return HC_EXIT_FAIL;
	}
	return hc_finish_stdout(HC_EXIT_OK);
}

/* ---- region destroy --------------------------------------------------- */

static const struct hc_errmap destroy_errors[] = {
	{ ENOENT, "no region with that name", "see 'hecactl region list'" },
	{ EBUSY, "region is in use",
	  "close every mapping first (stop the VMM; USERS in 'hecactl region list' counts them)" },
	{ 0, NULL, NULL },
};

static const struct hc_opt no_opts[] = {
	{ NULL, 0, false },
};

static int region_destroy(const struct hc_cmd *self, const char *path,
			 int argc, char **argv)
{
	struct heca_region_destroy req;
	struct hc_args a;
	const char *name;
	char what[96];
	int fd, rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, no_opts, &a, &rc))
		return rc;
	rc = want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	name = a.operand[0];
	rc = check_name(path, name);
	if (rc)
		return rc;

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	memset(&req, 0, sizeof(req));
	req.argsz = sizeof(req);
	memcpy(req.name, name, strlen(name) + 1);	/* checked: fits */
	rc = HC_EXIT_OK;
	if (hc_ioctl(fd, HECA_IOC_REGION_DESTROY, &req)) {
		snprintf(what, sizeof(what), "%s %s", path, name);
		rc = hc_report(fd, what, errno, destroy_errors);
	}
	close(fd);
	return rc;
}

/* ---- the "region" group ----------------------------------------------- */

const char hc_region_help[] =
"A region is guest RAM owned by heca: the character device /dev/heca/NAME,\n"
"mapped by a VMM with MAP_SHARED (QEMU: memory-backend-file, share=on).\n";

const struct hc_cmd hc_region_cmds[] = {
	{
		.name = "create",
		.synopsis = "NAME --size SIZE",
		.summary = "create the region /dev/heca/NAME of SIZE bytes",
		.help =
"Create a region: guest RAM owned by heca, as the character device\n"
"/dev/heca/NAME.  Its pages are zero until first touched, and are charged\n"
"to the memory cgroup this command runs in (the creator's), whoever maps it.\n"
"\n"
"Options:\n"
"  -s, --size SIZE  region size: bytes, or a number followed by K, M, G or T\n"
"                   (binary: 1K = 1024), optionally followed by iB or B:\n"
"                   4096, 64M, 2G, 1GiB.  A non-zero multiple of the page\n"
"                   size, at most 1TiB.\n"
"  -h, --help       show this help\n"
"\n"
"NAME: 1 to 31 characters of A-Z a-z 0-9 _ . -, not starting with '.';\n"
"'control' is reserved.  Put '--' before a NAME that starts with '-'.\n"
"\n"
"Example:\n"
"  hecactl region create vm1 --size 2G\n",
		.run = region_create,
	},
	{
		.name = "list",
		.synopsis = "[--json]",
		.summary = "list regions: name, size, resident memory, users",
		.help =
"List the regions in creation order: NAME, SIZE, RESIDENT (memory the\n"
"region holds now) and USERS (open files of the region; every mapping\n"
"holds one).  A region with users cannot be destroyed.\n"
"\n"
"Options:\n"
"      --json  print a JSON array of objects with the keys name, size_bytes,\n"
"              resident_pages, resident_bytes and users\n"
"  -h, --help  show this help\n",
		.run = region_list,
	},
	{
		.name = "destroy",
		.synopsis = "NAME",
		.summary = "destroy a region that nobody has open",
		.help =
"Destroy the region NAME and free its memory.  Refused (EBUSY) while any\n"
"file descriptor or mapping of /dev/heca/NAME exists: stop the VMM first.\n"
"\n"
"Options:\n"
"  -h, --help  show this help\n",
		.run = region_destroy,
	},
	{ .name = NULL },
};
