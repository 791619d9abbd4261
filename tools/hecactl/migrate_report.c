// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl migrate: what is printed at the end (see migrate.h): why it
 * failed and where the VM is, or the report of a completed migration.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heca.h"
#include "heca_migrate.h"
#include "hecactl.h"
#include "migrate.h"
#include "mig.h"
#include "print.h"
#include "qemu.h"
#include "session.h"
#include "stats.h"

/*
 * End a session that did not switch over.  Returns the text that says so,
 * for the end of a message.
 */
static const char *abort_before_switch(const struct hc_session *s, char *buf,
				       size_t len)
{
	char nb[24];
	int err = -heca_session_abort(s->fd);

	if (!err)
		return "the session was aborted before the switchover";
	snprintf(buf, len, "aborting the session failed too (%s): 'hecactl abort %s' ends it",
		 hc_errno_name(err, nb, sizeof(nb)), s->name);
	return buf;
}

/* Where the VM is, when the migration stopped before it resumed there. */
static const char *vm_here(const struct vmm *v)
{
	if (v->qemu)
		return v->paused ? "the guest is paused here by QEMU's migration" :
		       "the guest runs on here";
	if (v->paused)
		return "the VM is paused here and did not resume at the destination: resume it here";
	if (!v->m->cmd[PH_PAUSE])
		return "the VM stays here, paused as it was";
	return "the VM runs on here";
}

/* @res->failed is what the library was doing: "switchover", "pre-copy round"... */
int mig_report_failure(struct vmm *v, const struct heca_mig_result *res, int rc)
{
	struct hc_session *s = v->s, at = *s;
	const char *failed = res->failed ? res->failed : "migrating";
	const char *aborted = NULL, *rolled_back = NULL;
	struct heca_stats st;
	char buf[160], ended_hint[192], late_hint[96], qbuf[sizeof(v->qemu->err) + 96];
	bool have;
	int err = -rc;
	const struct hc_errmap switch_errors[] = {
		{ ENOTCONN, "the session ended before the switchover", ended_hint },
		{ EINVAL, "the session is not waiting for a switchover (did it fail?)", ended_hint },
		{ ETIMEDOUT, "the destination did not take the list of pages in time", ended_hint },
		{ ECONNRESET, "the connection broke during the switchover", ended_hint },
		{ EPIPE, "the connection broke during the switchover", ended_hint },
		{ 0, NULL, NULL },
	};
	const struct hc_errmap step_errors[] = {
		{ ENOTTY, "heca.ko has no pre-copy rounds (HECA_IOC_ROUND)",
		  "use --mode postcopy, or a heca.ko with pre-copy" },
		{ EOPNOTSUPP, "the session's transport has no pre-copy rounds",
		  "pre-copy and hybrid need --transport tcp (for now); else use --mode postcopy" },
		{ ETIMEDOUT, "the destination did not get every page within an hour",
		  late_hint },
		{ 0, NULL, NULL },
	};

	snprintf(ended_hint, sizeof(ended_hint),
		 "unless the destination's session got to running ('hecactl status %s' there), resume the VM here; see the kernel log (dmesg)",
		 s->name);
	snprintf(late_hint, sizeof(late_hint),
		 "the session goes on in the kernel: 'hecactl status %s' shows it", s->name);
	/* Not switched over, and the session still waits for it: end it. */
	have = !hc_session_stats(s, &st);
	if (v->aborted)
		aborted = "the session was aborted before the switchover";
	else if (!v->switched && have && st.state == HECA_STATE_CONNECTED)
		aborted = abort_before_switch(s, buf, sizeof(buf));

	if (v->qemu) {
		rolled_back = mig_qemu_rollback(v, qbuf, sizeof(qbuf));
		if (!v->switched && strstr(rolled_back, "runs on here"))
			v->paused = false;
	}
	if (v->qemu_failed)
		return mig_report_qemu_failed(v, aborted, rolled_back);
	if (v->failed_phase >= 0)
		return mig_report_cmd_failed(v, aborted);
	if (v->interrupted || v->aborted) {
		hc_err("%s: interrupted: %s; %s", s->what,
		       aborted ? aborted : "the session had ended before the switchover",
		       rolled_back ? rolled_back : vm_here(v));
		return HC_EXIT_FAIL;
	}
	if (err == EINTR)
		return hc_session_report_interrupted(s);
	if (err == EIO && have && st.state == HECA_STATE_FAILED) {
		hc_session_report_failed(s, st.error);
	} else if (!strcmp(failed, "switchover")) {
		rc = hc_session_report(s, err, switch_errors);
		if (rolled_back)
			hc_err("%s: %s", s->what, rolled_back);
		return rc;
	} else {
		if (snprintf(at.what, sizeof(at.what), "%s: %s", s->what, failed) >=
		    (int)sizeof(at.what))
			memcpy(at.what, s->what, sizeof(at.what));
		hc_session_report(&at, err, step_errors);
	}
	if (!v->switched)
		hc_err("%s: %s%s%s", s->what, aborted ? aborted : "",
		       aborted ? "; " : "", rolled_back ? rolled_back : vm_here(v));
	return HC_EXIT_FAIL;
}

/* The pages of a round the timeout cut short (no round_done()), or 0. */
static uint64_t unsynced_pages(const struct vmm *v, const struct heca_mig_result *res)
{
	uint64_t synced = 0;

	if (res->rounds <= v->nrounds)
		return 0;
	for (unsigned int i = 0; i < v->nrounds; i++)
		synced += v->rounds[i].pages;
	return res->round_pages > synced ? res->round_pages - synced : 0;
}

/* Round @r (NULL: the one the timeout cut short, @round with @pages). */
static void print_round(unsigned int round, uint64_t pages,
			const struct heca_mig_round *r)
{
	double ms = r ? (double)r->ns / 1e6 : 0;

	hc_print_open_object(NULL);
	hc_print_u64(HC_PRINT_ANY, "round", "  round %" PRIu64 ": ", round);
	hc_print_u64(HC_PRINT_ANY, "pages", "%" PRIu64 " pages, ", pages);
	if (r) {
		hc_print_u64(HC_PRINT_JSON, "ns", NULL, r->ns);
		hc_print_float(HC_PRINT_FP, NULL, ms < 10 ? "%.1f ms, " : "%.0f ms, ", ms);
		hc_print_float(HC_PRINT_ANY, "mb_per_s", "%.1f", r->bytes_per_s / 1e6);
		hc_print_fp(" MB/s\n");
	} else {
		hc_print_null(HC_PRINT_JSON, "ns", NULL);
		hc_print_null(HC_PRINT_ANY, "mb_per_s",
			      "not all at the destination when the rounds ended\n");
	}
	hc_print_bool(HC_PRINT_JSON, "synced", NULL, r != NULL);
	hc_print_close_object();
}

/* One step of the switchover's timeline, from the pause being asked. */
static void print_step(const char *key, const char *what, uint64_t ns,
		       bool last)
{
	char t[HC_TIME_BUF];

	hc_print_u64(HC_PRINT_JSON, key, NULL, ns);
	hc_print_fp("%s +%s%s", what, hc_format_us((double)ns / 1000.0, t, sizeof(t)),
		    last ? "\n" : ",");
}

/*
 * The switchover's steps (struct heca_mig_timeline), with QEMU's names for
 * them when QEMU is the VMM: "timeline": { "paused_ns", "switched_ns",
 * "last_pages_ns" (pre-copy; else null), "handed_over_ns", "running_ns" }.
 */
static void print_timeline(const struct heca_mig_timeline *tl, bool precopy,
			   bool qemu)
{
	hc_print_open_object("timeline");
	hc_print_fp("  timeline: pause asked +0,");
	print_step("paused_ns", qemu ? " QEMU stopped (pre-switchover)" : " paused",
		   tl->paused_ns, false);
	print_step("switched_ns", " heca switched over (SWITCHED)", tl->switched_ns,
		   false);
	if (precopy)
		print_step("last_pages_ns", " last pages there", tl->last_pages_ns,
			   false);
	else
		hc_print_null(HC_PRINT_JSON, "last_pages_ns", NULL);
	print_step("handed_over_ns", qemu ? " migrate-continue done" : " handed over",
		   tl->handed_over_ns, false);
	print_step("running_ns", " running at the destination", tl->running_ns,
		   true);
	hc_print_close_object();
}

/* A figure of the rounds: null in JSON when the mode has no rounds. */
static void print_rounds_u64(bool rounds, const char *key, uint64_t v)
{
	if (rounds)
		hc_print_u64(HC_PRINT_JSON, key, NULL, v);
	else
		hc_print_null(HC_PRINT_JSON, key, NULL);
}

int mig_print_report(FILE *f, const struct vmm *v, const struct heca_mig_result *res)
{
	const struct migrate_args *m = v->m;
	const struct heca_mig_params *p = &m->params;
	const struct heca_stats *st = &res->stats;
	const struct hc_qemu *qe = v->qemu;
	bool rounds = p->mode != HECA_MIG_POSTCOPY;
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF], t[HC_TIME_BUF], d[HC_TIME_BUF],
	     w[HC_TIME_BUF];

	hc_print_start(f, m->json, false);
	hc_print_string(HC_PRINT_ANY, "name", "%s: ", m->name);
	hc_print_string(HC_PRINT_JSON, "to", NULL, m->to);
	hc_print_string(HC_PRINT_JSON, "transport", NULL,
			hc_transport_name(m->start.transport));
	hc_print_string(HC_PRINT_FP, NULL, "complete in %s: ",
			hc_format_seconds(res->total_ns, t, sizeof(t)));
	hc_print_string(HC_PRINT_ANY, "mode", "%s, ", heca_mig_mode_name(p->mode));
	print_rounds_u64(rounds, "timeout_s", m->timeout_s);
	print_rounds_u64(rounds, "downtime_budget_ms", p->downtime_ms);
	print_rounds_u64(rounds, "max_rounds", p->max_rounds);
	hc_print_string(HC_PRINT_JSON, "end", NULL, heca_mig_end_name(res->end));
	hc_print_u64(HC_PRINT_JSON, "rounds", NULL, res->rounds);
	if (res->end == HECA_MIG_NO_ROUNDS)
		hc_print_fp("no rounds\n");
	else
		hc_print_fp("%u round%s (%s)\n", res->rounds, res->rounds == 1 ? "" : "s",
			    heca_mig_end_name(res->end));
	hc_print_u64(HC_PRINT_JSON, "round_pages", NULL, res->round_pages);

	hc_print_open_array("round_list");
	for (unsigned int i = 0; i < v->nrounds; i++)
		print_round(v->rounds[i].round, v->rounds[i].pages, &v->rounds[i]);
	if (res->rounds > v->nrounds)
		print_round(res->rounds, unsynced_pages(v, res), NULL);
	hc_print_close_array();
	if (res->end != HECA_MIG_NO_ROUNDS)
		hc_print_fp("  pages in rounds: %" PRIu64 "\n", res->round_pages);

	hc_print_u64(HC_PRINT_JSON, "downtime_ns", NULL, res->downtime_ns);
	hc_print_u64(HC_PRINT_JSON, "switchover_ns", NULL, res->switch_ns);
	hc_print_u64(HC_PRINT_JSON, "total_ns", NULL, res->total_ns);
	hc_print_fp("  downtime: %s (%s), switchover %s\n",
		    hc_format_us((double)res->downtime_ns / 1000.0, d, sizeof(d)),
		    qe ? "QEMU's migrate to its completion" : "pause to resume",
		    hc_format_us((double)res->switch_ns / 1000.0, w, sizeof(w)));
	print_timeline(&res->timeline, p->mode == HECA_MIG_PRECOPY, qe != NULL);
	if (qe) {
		hc_print_fp("  QEMU: downtime %" PRId64 " ms (its own figure: guest stopped here until its state was sent), of which heca %s (pre-switchover to migrate-continue)\n",
			    qe->downtime_ms,
			    hc_format_us((double)qe->heca_ns / 1000.0, d, sizeof(d)));
		hc_print_fp("  QEMU: migration %" PRId64 " ms in all, %s on its own channel (CPU and device state, RAM outside the region)\n",
			    qe->total_ms, heca_format_size(qe->transferred, a, sizeof(a)));
	}

	hc_print_u64(HC_PRINT_ANY, "pages_sent", "  on the wire: %" PRIu64 " pages sent, ",
		     st->pages_sent);
	hc_print_u64(HC_PRINT_JSON, "bytes_tx", NULL, st->bytes_tx);
	hc_print_u64(HC_PRINT_JSON, "bytes_rx", NULL, st->bytes_rx);
	hc_print_fp("%s sent, %s received, ", heca_format_size(st->bytes_tx, a, sizeof(a)),
		    heca_format_size(st->bytes_rx, b, sizeof(b)));
	hc_print_u64(HC_PRINT_ANY, "requests", "%" PRIu64 " requests served\n", st->requests);
	if (p->mode == HECA_MIG_PRECOPY)
		hc_print_u64(HC_PRINT_ANY, "pages_on_demand",
			     "  pages on demand after the resume: none (pre-copy: every page was there before)\n",
			     0);
	else
		hc_print_null(HC_PRINT_ANY, "pages_on_demand",
			      "  pages on demand after the resume: counted at the destination ('hecactl receive' there prints them)\n");
	if (qe) {
		hc_print_open_object("qemu");
		hc_print_s64(HC_PRINT_JSON, "downtime_ms", NULL, qe->downtime_ms);
		hc_print_s64(HC_PRINT_JSON, "total_ms", NULL, qe->total_ms);
		hc_print_u64(HC_PRINT_JSON, "bytes", NULL, qe->transferred);
		hc_print_u64(HC_PRINT_JSON, "heca_ns", NULL, qe->heca_ns);
		hc_print_close_object();
	} else {
		hc_print_null(HC_PRINT_JSON, "qemu", NULL);
	}
	return hc_print_end();
}
