// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "status", "abort" and "token".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "hecactl.h"
#include "output.h"
#include "session.h"
#include "stats.h"
#include "heca.h"

/* ---- status ------------------------------------------------------------ */

const char hc_status_help[] =
"Show the session of the region NAME, running or the last one: its state\n"
"(none, connected, running, complete, failed and why), the region's role,\n"
"the transport, pages (total, at the source, present, zero pages made at\n"
"the destination, fetched on demand, prefetched, sent), bytes received and\n"
"sent, requests, the time since the switchover, the faults that waited for\n"
"a page (of them: answered at once so that KVM could go asynchronous, and\n"
"waits of KVM's asynchronous page-fault worker), and how long faults\n"
"waited: min, average, max, p50 and p99 estimated from the kernel's log2\n"
"histogram, and the histogram itself.\n"
"\n"
"Options:\n"
"      --json  print one JSON object: the fields of struct heca_stats under\n"
"              their names, state, role and transport as words, error_name,\n"
"              error_message, fault_us_avg, fault_us_p50, fault_us_p99, and\n"
"              fault_hist, an array of {\"lo_us\", \"hi_us\", \"count\"}\n"
"  -h, --help  show this help\n";

static const struct hc_opt status_opts[] = {
	{ "json", 0, false },
	{ NULL, 0, false },
};

int hc_status_run(const struct hc_cmd *self, const char *path, int argc,
		  char **argv)
{
	struct hc_session s;
	struct heca_stats st;
	struct hc_args a;
	int rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, status_opts, &a, &rc))
		return rc;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (!rc)
		rc = hc_check_name_arg(path, a.operand[0]);
	if (rc)
		return rc;
	rc = hc_session_init(&s, path, a.operand[0], NULL);
	if (!rc)
		rc = hc_session_open(&s, O_RDONLY);
	if (!rc && hc_session_stats(&s, &st))
		rc = hc_session_report(&s, errno, NULL);
	if (!rc) {
		if (a.value[0]) {
			if (hc_print_stats_json(stdout, s.name, &st, heca_page_size())) {
				hc_err("%s: out of memory", s.what);
				rc = HC_EXIT_FAIL;
			}
		} else {
			hc_print_stats_text(stdout, s.name, &st, heca_page_size());
		}
	}
	hc_session_close(&s);
	return hc_finish_stdout(rc);
}

/* ---- abort ------------------------------------------------------------- */

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
	{ "force", 0, false },
	{ NULL, 0, false },
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

/* ---- token ------------------------------------------------------------- */

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
	{ NULL, 0, false },
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
