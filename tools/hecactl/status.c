// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "status", a region's session and its figures.
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
	{ "json", 0, false, NULL, 0 },
	{ NULL, 0, false, NULL, 0 },
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
		if (hc_print_stats(stdout, a.value[0] != NULL, s.name, &st,
				   heca_page_size())) {
			hc_err("%s: out of memory", s.what);
			rc = HC_EXIT_FAIL;
		}
	}
	hc_session_close(&s);
	return hc_finish_stdout(rc);
}
