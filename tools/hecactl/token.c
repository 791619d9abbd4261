// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "token", a fresh session token.
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "hecactl.h"
#include "heca.h"

const char hc_token_help[] =
"Print a fresh random session token: 32 hex digits (16 bytes from\n"
"getrandom).  Give the same token to 'hecactl receive' and 'hecactl\n"
"migrate', preferably in a file only root can read:\n"
"\n"
"  (umask 077; hecactl token > vm1.token)\n"
"\n"
"and copy the file to the other host over a channel you trust (scp).\n"
"\n"
"Options:\n"
"  -h, --help  show this help\n";

static const struct hc_opt no_opts[] = {
	{ NULL, 0, false, NULL, 0 },
};

int hc_token_run(const struct hc_cmd *self, const char *path, int argc,
		 char **argv)
{
	uint8_t t[HECA_TOKEN_BYTES];
	char hex[HECA_TOKEN_HEX + 1];
	struct hc_args a;
	int rc, err;

	if (!hc_parse_cmd_args(self, path, argc, argv, no_opts, &a, &rc))
		return rc;
	rc = hc_want_operands(path, &a, 0, "");
	if (rc)
		return rc;
	err = heca_random_token(t);
	if (err) {
		hc_err("%s: getrandom: %s", path, strerror(err));
		return HC_EXIT_FAIL;
	}
	heca_format_token(t, hex);
	printf("%s\n", hex);
	return hc_finish_stdout(HC_EXIT_OK);
}
