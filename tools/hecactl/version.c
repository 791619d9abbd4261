// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "version" and "--version".
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "control.h"
#include "hecactl.h"
#include "heca.h"

const char hc_version_help[] =
"Print hecactl's version and the ABI it speaks, then the ABI and limits of\n"
"the loaded heca.ko (asked through the control device).  A module that is\n"
"not loaded is reported, not an error; a module speaking another ABI is.\n"
"\n"
"Options:\n"
"  -h, --help  show this help\n";

static const struct hc_errmap version_errors[] = {
	{ ENOTTY, "the device does not know HECA_IOC_VERSION",
	  "is it the heca control device?" },
	{ 0, NULL, NULL },
};

static const struct hc_opt no_opts[] = {
	{ NULL, 0, false, NULL, 0 },
};

int hc_version_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv)
{
	struct heca_version v;
	struct hc_args a;
	char sz[HECA_SIZE_BUF], ps[HECA_SIZE_BUF];
	int fd, rc, err;

	if (!hc_parse_cmd_args(self, path, argc, argv, no_opts, &a, &rc))
		return rc;
	if (a.noperands)
		return hc_usage_err(path, "unexpected argument '%s'", a.operand[0]);

	printf("hecactl %s (ABI %d)\n", HECACTL_VERSION, HECA_ABI_VERSION);
	fflush(stdout);

	fd = hc_control_open(true);
	if (fd < 0) {
		err = errno;
		if (!heca_control_absent(err))
			return hc_finish_stdout(HC_EXIT_FAIL);	/* reported */
		printf("heca.ko: not loaded (%s: %s)\n", heca_control_path(),
		       strerror(err));
		return hc_finish_stdout(HC_EXIT_OK);
	}
	err = -heca_version(fd, &v);
	if (err) {
		rc = hc_report(-1, path, err, version_errors);
		close(fd);
		return hc_finish_stdout(rc);
	}
	close(fd);
	printf("heca.ko: ABI %" PRIu32 ", at most %" PRIu32 " regions of at most %s, page size %s\n",
	       (uint32_t)v.abi_version, (uint32_t)v.max_regions,
	       heca_format_size(v.max_region_bytes, sz, sizeof(sz)),
	       heca_format_size(v.page_size, ps, sizeof(ps)));
	if (v.abi_version != HECA_ABI_VERSION) {
		fflush(stdout);
		hc_err("heca.ko speaks ABI %" PRIu32 " but hecactl speaks ABI %d: use the hecactl built with this module",
		       (uint32_t)v.abi_version, HECA_ABI_VERSION);
		return hc_finish_stdout(HC_EXIT_FAIL);
	}
	return hc_finish_stdout(HC_EXIT_OK);
}
