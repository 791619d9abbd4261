// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "abort", ending a region's session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "hecactl.h"
#include "session.h"
#include "heca.h"

const char hc_abort_help[] =
"End the session of the region NAME: it fails with ECANCELED, the\n"
"connection is closed (the peer's session fails too), and the region is\n"
"free for another session or to be destroyed.\n"
"\n"
"After the switchover that loses the pages the destination does not have\n"
"yet: its VM gets a machine check when it touches one.  So a running\n"
"session is aborted only with --force.\n"
"\n"
"Options:\n"
"      --force  abort a running session too\n"
"  -h, --help   show this help\n";

static const struct hc_opt abort_opts[] = {
	{ "force", 0, false, NULL, 0 },
	{ NULL, 0, false, NULL, 0 },
};

int hc_abort_run(const struct hc_cmd *self, const char *path, int argc,
		 char **argv)
{
	const struct hc_errmap abort_errors[] = {
		{ ETIMEDOUT, "the session failed, but its connection did not close within 60 s",
		  "see the kernel log (dmesg)" },
		{ EINTR, "interrupted while the session was ending", NULL },
		{ 0, NULL, NULL },
	};
	struct hc_session s;
	struct heca_stats st;
	struct hc_args a;
	int rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, abort_opts, &a, &rc))
		return rc;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (!rc)
		rc = hc_check_name_arg(path, a.operand[0]);
	if (rc)
		return rc;
	rc = hc_session_init(&s, path, a.operand[0], NULL);
	if (!rc)
		rc = hc_session_open(&s, O_RDWR);
	if (!rc && hc_session_stats(&s, &st))
		rc = hc_session_report(&s, errno, NULL);
	if (!rc && st.state == HECA_STATE_RUNNING && !a.value[0]) {
		hc_err("%s: the session is running: pages the destination does not have yet would be lost (its VM gets a machine check on each); pass --force to abort anyway",
		       s.what);
		rc = HC_EXIT_FAIL;
	}
	if (!rc) {
		int err = -heca_session_abort(s.fd);

		if (err)
			rc = hc_session_report(&s, err, abort_errors);
	}
	hc_session_close(&s);
	return rc;
}
