// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "migrate", the source side of a migration: the command and its
 * orchestration.  The policy (rounds, convergence, the timeout, the
 * switchover) is libheca's (tools/lib/heca/migrate.c); the VMM behind it
 * and the report are the other migrate_*.c (see migrate.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "heca.h"
#include "args.h"
#include "heca_migrate.h"
#include "hecactl.h"
#include "mig.h"
#include "migrate.h"
#include "qemu.h"
#include "session.h"
#include "stats.h"
#include "vmm.h"

const char hc_migrate_help[] =
"Migrate the VM whose RAM is the source region NAME to the destination\n"
"ADDR:PORT, where 'hecactl receive' listens with the same token and a\n"
"region of the same size.  hecactl connects (trying again while nobody\n"
"listens yet, up to --connect-timeout), then, by --mode:\n"
"\n"
"  precopy   with the VM running, send every page, then in rounds the pages\n"
"            it wrote meanwhile, until the rounds converge (the last one fits\n"
"            the --downtime-ms budget at the measured rate), stop shrinking,\n"
"            or reach --max-rounds or --timeout; then pause the VM, send the\n"
"            last pages written, wait until the destination has every page,\n"
"            and only then resume the VM there\n"
"  hybrid    the same rounds, but at the end of them the VM resumes at the\n"
"            destination at once, which fetches the pages it lacks on demand\n"
"            and in the background (--timeout 0: no rounds, post-copy)\n"
"  postcopy  no rounds: pause, switch over, resume at the destination at once\n"
"\n"
"then serves the destination until it has every page, and reports.\n"
"\n"
"QEMU is driven over QMP with --qmp SOCKET and --qemu-uri URI: heca\n"
"carries the guest's RAM (QEMU's RAM must be a memory-backend-file on\n"
"/dev/heca/NAME with share=on), QEMU carries CPU and device state over its\n"
"own migration channel to the destination QEMU (started with -incoming URI,\n"
"its RAM on the destination region, 'hecactl receive --qmp' there).  hecactl\n"
"sets QEMU's capabilities x-ignore-shared (QEMU sends no RAM of that region)\n"
"and pause-before-switchover, runs heca's rounds while the guest runs, then\n"
"starts QEMU's migrate, waits until QEMU has stopped the guest\n"
"(pre-switchover), switches heca over, lets QEMU finish (migrate-continue)\n"
"and follows it to completed: the guest then runs at the destination.\n"
"A failure before the switchover rolls back: migrate_cancel, the heca\n"
"session is aborted, and the guest runs on here.\n"
"\n"
"Other VMMs are reached through shell commands (run with /bin/sh -c), so any\n"
"VMM will do: QEMU through its monitor, a test VMM...  Each gets\n"
"HECA_REGION=NAME and HECA_PHASE=pause, handover or resume in its\n"
"environment.  A command that fails (a non-zero exit) stops the migration;\n"
"before the switchover the session is then aborted and the VM stays here.\n"
"--pause-cmd pauses the VM here: precopy and hybrid need it, the VM runs\n"
"during the rounds; without it (postcopy, hybrid with --timeout 0) the VM\n"
"must be paused already.  --handover-cmd moves its CPU and device state,\n"
"unless the VMM does by its own means; --resume-cmd runs it at the\n"
"destination.  Without --resume-cmd, resume the VM at the destination once\n"
"this command says so, never again here.\n"
"\n"
"Options:\n"
"  -t, --to ADDR:PORT          the destination: 192.0.2.2:7000,\n"
"                              [2001:db8::2]:7000\n"
"      --token HEX             the session's secret: 32 hex digits, the same on\n"
"                              both hosts ('hecactl token' makes one)\n"
"      --token-file PATH       read the token from PATH instead (not visible in\n"
"                              ps)\n"
"  -m, --mode MODE             precopy, postcopy or hybrid (default hybrid)\n"
"      --timeout SEC           precopy: stop and copy after SEC s of rounds;\n"
"                              hybrid: switch to post-copy after SEC s (0: at\n"
"                              once); 0-86400 s, precopy from 1 (default 60)\n"
"      --downtime-ms MS        the downtime budget: the rounds converge when\n"
"                              the last one would fit it; 1-3600000 ms\n"
"                              (default 300)\n"
"      --max-rounds N          at most N rounds: 1-10000 (default 30)\n"
"      --pause-cmd CMD         pause the VM here\n"
"      --handover-cmd CMD      move the VM's CPU and device state\n"
"      --resume-cmd CMD        run the VM at the destination\n"
"      --qmp SOCKET            drive QEMU through its QMP UNIX socket instead\n"
"                              of the commands (-qmp unix:SOCKET,server=on,\n"
"                              wait=off)\n"
"      --qemu-uri URI          with --qmp: where the destination QEMU listens\n"
"                              (its -incoming): tcp:192.0.2.2:4444\n"
"      --transport T           auto (default), rdma or tcp; auto takes rdma\n"
"                              when the address that reaches the destination\n"
"                              is on an RDMA device (RoCE, rdma_rxe), else tcp,\n"
"                              says which, and tries the other one while the\n"
"                              destination refuses (it listens over tcp)\n"
"      --connect-timeout SEC   how long to try to reach the destination:\n"
"                              1-3600 s (default 30)\n"
"      --json                  print the report as one JSON object (the\n"
"                              messages go to standard error, and so does\n"
"                              the commands' output)\n"
"  -h, --help                  show this help\n"
"\n"
"--timeout, --downtime-ms and --max-rounds are the rounds' and do not apply\n"
"to postcopy.\n"
"\n"
"The report: a line per round, \"round N: P pages, T ms, R MB/s\" (also as\n"
"each round ends, when standard error is a terminal), the mode and how the\n"
"rounds ended (converged, dirty set stopped shrinking, round limit,\n"
"timeout, no rounds), the pages sent in rounds, the downtime (from the\n"
"pause to the resume; without the commands, from the switchover to this\n"
"command saying so), the switchover's own time, the total time, and the\n"
"source's traffic: pages and bytes.  The pages fetched on demand after the\n"
"resume are counted at the destination ('hecactl receive' prints them);\n"
"with precopy there are none.  --json prints the same as { \"name\", \"to\",\n"
"\"transport\", \"mode\", \"timeout_s\", \"downtime_budget_ms\", \"max_rounds\",\n"
"\"end\", \"rounds\", \"round_pages\", \"round_list\": [{ \"round\", \"pages\",\n"
"\"ns\", \"mb_per_s\", \"synced\" }], \"downtime_ns\", \"switchover_ns\",\n"
"\"total_ns\", \"timeline\": { \"paused_ns\", \"switched_ns\", \"last_pages_ns\",\n"
"\"handed_over_ns\", \"running_ns\" } (each from the pause being asked),\n"
"\"pages_sent\", \"bytes_tx\", \"bytes_rx\", \"requests\",\n"
"\"pages_on_demand\" }, null where not known here.\n"
"\n"
"The source region must be kept until this command reports completion: the\n"
"destination still reads it.  A signal before the switchover aborts the\n"
"session (during the rounds: once the destination has the current round,\n"
"or at --timeout); from the pause until the switchover is done (precopy:\n"
"until the last pages are there) a signal waits; after that, the session\n"
"goes on in the kernel: 'hecactl status NAME' shows it and 'hecactl abort\n"
"NAME' ends it.\n"
"\n"
"Exit status: 0 the destination has every page, 1 the migration could not\n"
"start, failed, or was interrupted, 2 a bad command line.\n"
"\n"
"Examples:\n"
"  hecactl migrate vm1 --to 192.0.2.2:7000 --token-file vm1.token \\\n"
"      --timeout 10 --pause-cmd 'echo stop | socat - UNIX-CONNECT:/run/vm1.mon'\n"
"  hecactl migrate vm1 --to 192.0.2.2:7000 --token-file vm1.token \\\n"
"      --mode postcopy                         (the VM in vm1 paused)\n";

/* In the synopsis's order (hc_format_synopsis() follows the table). */
enum {
	O_TO, O_TOKEN, O_TOKEN_FILE, O_MODE, O_TIMEOUT, O_DOWNTIME,
	O_MAX_ROUNDS, O_PAUSE_CMD, O_HANDOVER_CMD, O_RESUME_CMD, O_TRANSPORT,
	O_CONNECT_TIMEOUT, O_JSON, O_QMP, O_QEMU_URI,
};

static const struct hc_opt migrate_opts[] = {
	[O_TO] = { "to", 't', true, "ADDR:PORT", HC_OPT_REQUIRED },
	[O_TOKEN] = { "token", 0, true, "HEX", HC_OPT_ONE_OF },
	[O_TOKEN_FILE] = { "token-file", 0, true, "PATH", HC_OPT_ONE_OF },
	[O_MODE] = { "mode", 'm', true, "precopy|postcopy|hybrid", 0 },
	[O_TIMEOUT] = { "timeout", 0, true, "SEC", 0 },
	[O_DOWNTIME] = { "downtime-ms", 0, true, "MS", 0 },
	[O_MAX_ROUNDS] = { "max-rounds", 0, true, "N", 0 },
	[O_PAUSE_CMD] = { "pause-cmd", 0, true, "CMD", 0 },
	[O_HANDOVER_CMD] = { "handover-cmd", 0, true, "CMD", 0 },
	[O_RESUME_CMD] = { "resume-cmd", 0, true, "CMD", 0 },
	[O_TRANSPORT] = { "transport", 0, true, "auto|rdma|tcp", 0 },
	[O_CONNECT_TIMEOUT] = { "connect-timeout", 0, true, "SEC", 0 },
	[O_JSON] = { "json", 0, false, NULL, 0 },
	[O_QMP] = { "qmp", 0, true, "SOCKET", 0 },
	[O_QEMU_URI] = { "qemu-uri", 0, true, "URI", 0 },
	{ NULL, 0, false, NULL, 0 },
};

/* The options of the rounds, checked against the mode. */
static int parse_policy(const char *path, const struct hc_args *a,
			struct migrate_args *m)
{
	struct heca_mig_params *p = &m->params;
	const char *mode = a->value[O_MODE] ? a->value[O_MODE] : "hybrid";
	uint64_t v = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (hc_parse_mig_mode(mode, &p->mode))
		return hc_usage_err(path, "unknown mode '%s' (precopy, postcopy or hybrid)",
				    mode);
	if (p->mode == HECA_MIG_POSTCOPY) {
		if (a->value[O_TIMEOUT])
			return hc_usage_err(path, "--timeout is the rounds' and postcopy has none (the connection's bound is --connect-timeout)");
		if (a->value[O_DOWNTIME] || a->value[O_MAX_ROUNDS])
			return hc_usage_err(path, "--%s is the rounds' and postcopy has none",
					    a->value[O_DOWNTIME] ? "downtime-ms" : "max-rounds");
	}
	if (p->mode == HECA_MIG_PRECOPY && a->value[O_TIMEOUT] &&
	    !strcmp(a->value[O_TIMEOUT], "0"))
		return hc_usage_err(path, "--timeout 0 (post-copy at once) is hybrid's: precopy stops and copies after 1-%u s",
				    HC_MIG_TIMEOUT_MAX_S);
	rc = hc_duration_arg(path, a, migrate_opts, O_TIMEOUT,
			     p->mode == HECA_MIG_PRECOPY ? 1 : 0, HC_MIG_TIMEOUT_MAX_S,
			     HC_MIG_TIMEOUT_DEFAULT_S, &v);
	m->timeout_s = (unsigned int)v;
	if (!rc)
		rc = hc_duration_arg(path, a, migrate_opts, O_DOWNTIME, 1,
				     HC_MIG_DOWNTIME_MAX_MS, HC_MIG_DOWNTIME_DEFAULT_MS, &v);
	p->downtime_ms = (unsigned int)v;
	if (!rc)
		rc = hc_uint_arg(path, a, migrate_opts, O_MAX_ROUNDS, 1, HC_MIG_ROUNDS_MAX,
				 HC_MIG_ROUNDS_DEFAULT, "rounds", &v);
	if (rc)
		return rc;
	if (p->mode == HECA_MIG_POSTCOPY)
		m->timeout_s = 0;
	p->max_rounds = (unsigned int)v;
	p->timeout_ms = m->timeout_s * 1000;
	p->complete_timeout_ms = HC_MIG_COMPLETE_TIMEOUT_MS;

	for (int i = 0; i < PH_N; i++) {
		m->cmd[i] = a->value[O_PAUSE_CMD + i];
		if (m->cmd[i] && !*m->cmd[i])
			return hc_usage_err(path, "--%s must not be empty",
					    migrate_opts[O_PAUSE_CMD + i].name);
	}
	m->qmp = a->value[O_QMP];
	m->qemu_uri = a->value[O_QEMU_URI];
	if (m->qmp) {
		for (int i = 0; i < PH_N; i++)
			if (m->cmd[i])
				return hc_usage_err(path, "--qmp drives QEMU: --%s is for other VMMs",
						    migrate_opts[O_PAUSE_CMD + i].name);
		if (!*m->qmp)
			return hc_usage_err(path, "--qmp must not be empty");
		if (!m->qemu_uri || !*m->qemu_uri)
			return hc_usage_err(path, "--qmp needs --qemu-uri URI: where the destination QEMU listens (its -incoming, e.g. tcp:192.0.2.2:4444)");
		return 0;
	}
	if (m->qemu_uri)
		return hc_usage_err(path, "--qemu-uri is QEMU's, with --qmp SOCKET");
	if (hc_mig_has_rounds(p->mode, m->timeout_s) && !m->cmd[PH_PAUSE])
		return hc_usage_err(path, "--mode %s copies while the VM runs, then pauses it: give --pause-cmd CMD (or, for a VM paused already, --mode postcopy)",
				    heca_mig_mode_name(p->mode));
	return 0;
}

/*
 * The command line into *@m.  Returns 0 to go on, -1 after help was shown,
 * or an exit code after a usage error.
 */
static int parse(const struct hc_cmd *self, const char *path, int argc,
		 char **argv, struct migrate_args *m)
{
	struct hc_args a;
	char reason[128];
	uint64_t v;
	int rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, migrate_opts, &a, &rc))
		return rc ? rc : -1;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	memset(m, 0, sizeof(*m));
	m->name = a.operand[0];
	rc = hc_check_name_arg(path, m->name);
	if (rc)
		return rc;

	m->start.argsz = sizeof(m->start);
	m->to = a.value[O_TO];
	if (!m->to)
		return hc_usage_err(path, "missing --to ADDR:PORT");
	if (heca_parse_addr(m->to, false, &m->start.addr, reason, sizeof(reason)))
		return hc_usage_err(path, "invalid address '%s': %s", m->to, reason);
	rc = parse_policy(path, &a, m);
	if (rc)
		return rc;
	m->start.transport = HECA_TRANSPORT_TCP;
	m->auto_transport = !a.value[O_TRANSPORT] || !strcmp(a.value[O_TRANSPORT], "auto");
	if (!m->auto_transport &&
	    hc_parse_transport(a.value[O_TRANSPORT], &m->start.transport))
		return hc_usage_err(path, "unknown transport '%s' (auto, rdma or tcp)",
				    a.value[O_TRANSPORT]);
	rc = hc_duration_arg(path, &a, migrate_opts, O_CONNECT_TIMEOUT, 1,
			     HC_TIMEOUT_MAX_S, HC_TIMEOUT_DEFAULT_S, &v);
	if (rc)
		return rc;
	m->connect_timeout_s = (unsigned int)v;
	m->json = a.value[O_JSON] != NULL;
	return hc_token_arg(path, a.value[O_TOKEN], a.value[O_TOKEN_FILE],
			    m->start.token);
}

/* ---- messages ----------------------------------------------------------- */

/* What says how far we got: stdout, or stderr with --json. */
static FILE *say_to;

void mig_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(say_to, fmt, ap);
	va_end(ap);
	fflush(say_to);
}

/* ---- connecting ----------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Between two connection attempts; a signal cuts it short. */
static void pause_ms(unsigned int ms)
{
	struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

#define HC_RETRY_MS		200
/* The least time an attempt gets, even at the end of --connect-timeout. */
#define HC_ATTEMPT_MIN_MS	1000

/*
 * --transport auto: rdma when the local address that reaches the
 * destination is a GID of an RDMA device, else tcp.  Says which, and why.
 */
static void choose_transport(struct migrate_args *m)
{
	struct heca_transport_choice c;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (!m->auto_transport)
		return;
	heca_choose_transport(&m->start.addr, false, &c);
	m->start.transport = c.transport;
	if (c.why != HECA_TRANSPORT_NO_ROUTE)
		inet_ntop(c.local.family, c.local.addr, ip, sizeof(ip));
	if (c.why == HECA_TRANSPORT_ON_RDMA_DEV) {
		mig_say("%s: transport rdma (auto: %s reaches %s, and it is on RDMA device %s)\n",
		    m->name, ip, m->to, c.dev);
	} else {
		m->auto_transport = false;	/* nothing else to try */
		if (c.why == HECA_TRANSPORT_NO_ROUTE)
			mig_say("%s: transport tcp (auto: no route to %s: %s)\n", m->name, m->to,
			    strerror(c.err));
		else
			mig_say("%s: transport tcp (auto: %s reaches %s, and no RDMA device has it)\n",
			    m->name, ip, m->to);
	}
}

/* HECA_IOC_SESSION_START, again while nobody listens, until --connect-timeout. */
static int connect_dest(struct hc_session *s, struct migrate_args *m)
{
	const char *transport = hc_transport_name(m->start.transport);
	uint64_t now = now_ms(), deadline = now + (uint64_t)m->connect_timeout_s * 1000;
	char refused[96], timeout[128], unreach[96], einval_hint[192], sz[HECA_SIZE_BUF];
	char nodev[96];
	bool told = false;
	int err;
	const struct hc_errmap start_errors[] = {
		{ ECONNREFUSED, refused,
		  "start 'hecactl receive' on the destination first (migrate retries until --connect-timeout)" },
		{ ETIMEDOUT, timeout,
		  "is the address right, and does a firewall let the port through?" },
		{ EACCES, "the destination refused our token",
		  "give both hosts the same --token or --token-file" },
		{ EINVAL, "the destination or the module refused the request as invalid",
		  einval_hint },
		{ EPROTONOSUPPORT, "transport not available, or the destination speaks another protocol version",
		  m->start.transport == HECA_TRANSPORT_RDMA ?
		  "this heca.ko has no RDMA transport (an older heca.ko): use --transport tcp" :
		  "use the same heca.ko version on both hosts" },
		{ m->start.transport == HECA_TRANSPORT_RDMA ? ENODEV : -1, nodev,
		  "is an RDMA device (or rdma_rxe) set up for that address? else use --transport tcp" },
		{ ENETUNREACH, unreach, NULL },
		{ EHOSTUNREACH, unreach, NULL },
		{ ECONNRESET, "the destination closed the connection during the handshake",
		  "is it 'hecactl receive' that listens there? see the destination's kernel log (dmesg)" },
		{ EINTR, "interrupted before the session started", "nothing was started" },
		{ 0, NULL, NULL },
	};

	snprintf(refused, sizeof(refused), "nobody listens at %s", m->to);
	snprintf(timeout, sizeof(timeout), "no answer from %s within %u s", m->to,
		 m->connect_timeout_s);
	snprintf(unreach, sizeof(unreach), "no route to %s", m->to);
	snprintf(nodev, sizeof(nodev), "no RDMA device reaches %s", m->to);
	snprintf(einval_hint, sizeof(einval_hint),
		 "most likely the destination region is not %s like %s here (or the page sizes differ); else heca.ko and hecactl disagree on the ABI (see 'hecactl version')",
		 heca_format_size(s->info.size, sz, sizeof(sz)), m->name);

	mig_say("%s: connecting to %s (%s)\n", m->name, m->to, transport);
	/* auto over RDMA: a destination that refuses may listen over TCP */
	for (;;) {
		if (hc_interrupted())
			return hc_session_report(s, EINTR, start_errors);
		/* The first attempt gets the whole --connect-timeout. */
		m->start.timeout_ms = (uint32_t)(deadline > now + HC_ATTEMPT_MIN_MS ?
						 deadline - now : HC_ATTEMPT_MIN_MS);
		err = -heca_session_start(s->fd, &m->start);
		if (!err)
			break;
		if (hc_interrupted())
			err = EINTR;
		if (err != ECONNREFUSED || now_ms() + HC_RETRY_MS >= deadline)
			return hc_session_report(s, err, start_errors);
		if (!told)
			mig_say("%s: nobody listens at %s yet; trying again for up to %u s%s\n",
			    m->name, m->to, m->connect_timeout_s,
			    m->auto_transport ? ", over rdma and tcp in turn" : "");
		told = true;
		if (m->auto_transport)
			m->start.transport = m->start.transport == HECA_TRANSPORT_RDMA ?
					     HECA_TRANSPORT_TCP : HECA_TRANSPORT_RDMA;
		pause_ms(HC_RETRY_MS);
		now = now_ms();
	}
	mig_say("%s: connected to %s (%s)\n", m->name, m->to,
	    hc_transport_name(m->start.transport));
	return 0;
}

/*
 * Connected, not switched over: nothing has moved, and the VM is still
 * here.  A signal that came meanwhile ends the session rather than let it
 * go on.
 */
static int abort_if_interrupted(struct hc_session *s)
{
	int err;

	if (!hc_interrupted())
		return 0;
	err = -heca_session_abort(s->fd);
	if (err)
		return hc_session_report(s, err, NULL);
	hc_err("%s: interrupted before the switchover: the session was aborted, nothing moved",
	       s->what);
	return HC_EXIT_FAIL;
}

/* ---- the command ------------------------------------------------------------ */

/* How long the source's QEMU may take to answer on its QMP socket at first. */
#define HC_QEMU_CONNECT_MS	5000

static int migrate(struct hc_session *s, const struct migrate_args *m,
		   struct hc_qemu *qemu)
{
	struct vmm v = { .m = m, .s = s, .qemu = qemu, .failed_phase = -1 };
	struct heca_mig_result res;
	int rc;

	v.tty = isatty(STDERR_FILENO);
	if (hc_mig_has_rounds(m->params.mode, m->timeout_s))
		mig_say("%s: pre-copy rounds while the VM runs (%s after %u s at most)\n",
		    m->name, m->params.mode == HECA_MIG_PRECOPY ? "stop and copy" : "post-copy",
		    m->timeout_s);
	rc = heca_migrate(s->fd, &m->params, &hc_mig_vmm_ops, &v, &res);
	mig_release_signals(&v);
	if (rc) {
		rc = mig_report_failure(&v, &res, rc);
	} else if (mig_print_report(stdout, &v, &res)) {
		hc_err("%s: out of memory", s->what);
		rc = HC_EXIT_FAIL;
	}
	free(v.rounds);
	return rc;
}

int hc_migrate_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv)
{
	struct hc_qemu qemu = { .qmp.fd = -1 };
	struct migrate_args m;
	struct hc_session s;
	int rc;

	rc = parse(self, path, argc, argv, &m);
	if (rc)
		return rc < 0 ? HC_EXIT_OK : rc;
	say_to = m.json ? stderr : stdout;
	rc = hc_session_init(&s, path, m.name, NULL);
	if (rc)
		goto out;
	if (s.info.flags & HECA_REGION_DEST) {
		hc_err("%s: %s is a destination region: migrate runs on the source host, on the region of the running VM",
		       s.what, m.name);
		rc = HC_EXIT_FAIL;
		goto out;
	}
	rc = hc_session_open(&s, O_RDWR);
	if (rc)
		goto out;
	if (m.qmp) {
		qemu.sock = m.qmp;
		qemu.uri = m.qemu_uri;
		if (hc_qemu_source_prepare(&qemu, m.name, HC_QEMU_CONNECT_MS)) {
			hc_err("%s: QEMU at %s: %s; nothing was started", s.what, m.qmp,
			       qemu.err);
			rc = HC_EXIT_FAIL;
			goto out;
		}
		mig_say("%s: QEMU %s at %s: guest %s, x-ignore-shared and pause-before-switchover set\n",
		    m.name, qemu.qmp.version, m.qmp, qemu.was_running ? "running" : "paused");
	}

	hc_catch_signals();
	choose_transport(&m);
	rc = connect_dest(&s, &m);
	if (!rc)
		rc = abort_if_interrupted(&s);
	if (!rc)
		rc = migrate(&s, &m, m.qmp ? &qemu : NULL);
out:
	hc_qemu_close(&qemu);
	hc_session_close(&s);
	return hc_finish_stdout(rc);
}
