// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "region create|list|destroy".
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "control.h"
#include "hecactl.h"
#include "heca.h"
#include "output.h"

#define NAME_RULE "1-31 characters of A-Z a-z 0-9 _ . -, not starting with '.', not 'control'"

/* ---- region create ---------------------------------------------------- */

/*
 * A VMM started before its region existed (QEMU's memory-backend-file
 * creates a missing mem-path as a plain file) leaves a file where the
 * region's node belongs, and devtmpfs does not replace it: the region is
 * then unreachable.  Say so rather than let a VMM use the file.
 */
int hc_check_node(const char *what, const char *name)
{
	char node[PATH_MAX];
	struct stat st;

	heca_region_path(node, sizeof(node), name);
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
	{ "size", 's', true, "SIZE", HC_OPT_REQUIRED },
	{ "dest", 0, false, NULL, 0 },
	{ NULL, 0, false, NULL, 0 },
};

static int region_create(const struct hc_cmd *self, const char *path,
			 int argc, char **argv)
{
	const char *name, *size_arg, *why;
	struct hc_args a;
	uint64_t size;
	char what[96], reason[128];
	int fd, rc, err;

	if (!hc_parse_cmd_args(self, path, argc, argv, create_opts, &a, &rc))
		return rc;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	name = a.operand[0];
	size_arg = a.value[0];
	if (!size_arg)
		return hc_usage_err(path, "missing --size SIZE");
	rc = hc_check_name_arg(path, name);
	if (rc)
		return rc;
	if (heca_parse_size(size_arg, &size, &why))
		return hc_usage_err(path, "invalid size '%s': %s", size_arg, why);
	if (heca_check_region_size(size, heca_page_size(), HECA_REGION_MAX_BYTES,
				 reason, sizeof(reason)))
		return hc_usage_err(path, "invalid size '%s': %s", size_arg, reason);

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	snprintf(what, sizeof(what), "%s %s", path, name);
	/* the name was checked: it fits */
	err = -heca_region_create(fd, name, size, a.value[1] ? HECA_REGION_DEST : 0);
	if (err)
		rc = hc_report(fd, what, err, create_errors);
	else
		rc = hc_check_node(what, name);
	close(fd);
	return rc;
}

/* ---- region list ------------------------------------------------------ */

static const struct hc_errmap list_errors[] = {
	{ E2BIG, "the module reports more regions than hecactl accepts",
	  "at most " HC_STR(HECA_LIST_MAX) }, /* from heca_region_list() */
	{ EAGAIN, "the set of regions kept changing while it was read",
	  "try again" },	/* from heca_region_list() */
	{ 0, NULL, NULL },
};

static const struct hc_opt list_opts[] = {
	{ "json", 0, false, NULL, 0 },
	{ NULL, 0, false, NULL, 0 },
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
	rc = hc_want_operands(path, &a, 0, "");
	if (rc)
		return rc;

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	err = -heca_region_list(fd, &r, &n);
	if (err) {
		rc = hc_report(fd, path, err, list_errors);
		close(fd);
		return rc;
	}
	close(fd);
	err = hc_print_regions(stdout, a.value[0] != NULL, r, n, heca_page_size());
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
	  "close every mapping first (stop the VMM; USERS in 'hecactl region list' counts them) and let its session end ('hecactl status NAME')" },
	{ 0, NULL, NULL },
};

static const struct hc_opt no_opts[] = {
	{ NULL, 0, false, NULL, 0 },
};

static int region_destroy(const struct hc_cmd *self, const char *path,
			 int argc, char **argv)
{
	struct hc_args a;
	const char *name;
	char what[96];
	int fd, rc, err;

	if (!hc_parse_cmd_args(self, path, argc, argv, no_opts, &a, &rc))
		return rc;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	name = a.operand[0];
	rc = hc_check_name_arg(path, name);
	if (rc)
		return rc;

	fd = hc_control_open(false);
	if (fd < 0)
		return HC_EXIT_FAIL;
	rc = HC_EXIT_OK;
	err = -heca_region_destroy(fd, name);	/* the name was checked: it fits */
	if (err) {
		snprintf(what, sizeof(what), "%s %s", path, name);
		rc = hc_report(fd, what, err, destroy_errors);
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
		.synopsis = "NAME",
		.summary = "create the region /dev/heca/NAME of SIZE bytes",
		.help =
"Create a region: guest RAM owned by heca, as the character device\n"
"/dev/heca/NAME.  Its pages are charged to the memory cgroup this command\n"
"runs in (the creator's), whoever maps it.\n"
"\n"
"A source region (the default) holds the pages of a VM that runs here: they\n"
"are zero until first touched.  A destination region (--dest) receives a\n"
"VM migrated from a source ('hecactl receive'): its pages start absent and\n"
"come from the source; a VM may map it before they do.\n"
"\n"
"Options:\n"
"  -s, --size SIZE  region size: bytes, or a number followed by K, M, G or T\n"
"                   (binary: 1K = 1024), optionally followed by iB or B:\n"
"                   4096, 64M, 2G, 1GiB.  A non-zero multiple of the page\n"
"                   size, at most 1TiB.\n"
"      --dest       create a destination region\n"
"  -h, --help       show this help\n"
"\n"
"NAME: 1 to 31 characters of A-Z a-z 0-9 _ . -, not starting with '.';\n"
"'control' is reserved.  Put '--' before a NAME that starts with '-'.\n"
"\n"
"Examples:\n"
"  hecactl region create vm1 --size 2G\n"
"  hecactl region create vm1 --size 2G --dest\n",
		.run = region_create,
	},
	{
		.name = "list",
		.synopsis = "",
		.summary = "list regions: name, size, resident memory, users, role",
		.help =
"List the regions in creation order: NAME, SIZE, RESIDENT (memory the\n"
"region holds now), USERS (open files of the region; every mapping holds\n"
"one, and so does a session) and ROLE (source or dest).  A region with\n"
"users cannot be destroyed.\n"
"\n"
"Options:\n"
"      --json  print a JSON array of objects with the keys name, size_bytes,\n"
"              resident_pages, resident_bytes, users and role\n"
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
