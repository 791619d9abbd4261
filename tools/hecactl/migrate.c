// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "migrate", the source side of a migration.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "args.h"
#include "hecactl.h"
#include "output.h"
#include "session.h"
#include "size.h"
#include "stats.h"

const char hc_migrate_help[] =
"Migrate the memory of the VM in the source region NAME to the destination\n"
"ADDR:PORT, where 'hecactl receive' listens with the same token and a\n"
"region of the same size.  Post-copy: connect (retrying while nobody\n"
"listens yet, up to --timeout), switch over at once, so that the VM may\n"
"resume at the destination, then serve the pages it asks for and pulls in\n"
"the background until it has them all, showing the progress on a terminal,\n"
"and print the figures.\n"
"\n"
"The VM must already be paused, and stay paused: hecactl does not drive the\n"
"VMM yet (the QMP-driven flow comes later).  Its CPU and device state move\n"
"by the VMM's own means; resume it at the destination once this command\n"
"says it switched over, never again here.  The source region must be kept\n"
"until this command reports completion: the destination still reads it.\n"
"Interrupting this command does not end the session; 'hecactl status NAME'\n"
"shows it and 'hecactl abort NAME' ends it.\n"
"\n"
"Options:\n"
"  -t, --to ADDR:PORT     the destination: 192.0.2.2:7000, [2001:db8::2]:7000\n"
"      --token HEX        the session's secret: 32 hex digits, the same on both\n"
"                         hosts ('hecactl token' makes one)\n"
"      --token-file PATH  read the token from PATH instead (not visible in ps)\n"
"  -m, --mode MODE        postcopy (precopy and hybrid: not implemented yet)\n"
"      --transport T      tcp (default) or rdma (in progress: heca.ko may lack\n"
"                         it)\n"
"      --timeout SEC      how long to try to reach the destination: 1-3600 s\n"
"                         (default 30)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 the destination has every page, 1 the session could not\n"
"start or failed, or a signal interrupted the wait, 2 a bad command line.\n"
"\n"
"Example (the VM in vm1 paused):\n"
"  hecactl migrate vm1 --to 192.0.2.2:7000 --token-file vm1.token --mode postcopy\n";

enum { O_TO, O_TOKEN, O_TOKEN_FILE, O_MODE, O_TRANSPORT, O_TIMEOUT };

static const struct hc_opt migrate_opts[] = {
	[O_TO] = { "to", 't', true },
	[O_TOKEN] = { "token", 0, true },
	[O_TOKEN_FILE] = { "token-file", 0, true },
	[O_MODE] = { "mode", 'm', true },
	[O_TRANSPORT] = { "transport", 0, true },
	[O_TIMEOUT] = { "timeout", 0, true },
	{ NULL, 0, false },
};

struct migrate_args {
	const char *name, *to;
	struct heca_session_start start;
	unsigned int timeout_s;
};

static int parse_mode(const char *path, const char *mode)
{
	if (!mode)
		return hc_usage_err(path, "missing --mode MODE (postcopy; precopy and hybrid are not implemented yet)");
	if (!strcmp(mode, "postcopy"))
		return 0;
	if (!strcmp(mode, "precopy") || !strcmp(mode, "hybrid"))
		return hc_usage_err(path, "--mode %s is not implemented yet: only postcopy is", mode);
	return hc_usage_err(path, "unknown mode '%s' (precopy, postcopy or hybrid)", mode);
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
	rc = parse_mode(path, a.value[O_MODE]);
	if (rc)
		return rc;

	m->start.argsz = sizeof(m->start);
	m->to = a.value[O_TO];
	if (!m->to)
		return hc_usage_err(path, "missing --to ADDR:PORT");
	if (hc_parse_addr(m->to, false, &m->start.addr, reason, sizeof(reason)))
		return hc_usage_err(path, "invalid address '%s': %s", m->to, reason);
	m->start.transport = HECA_TRANSPORT_TCP;
	if (a.value[O_TRANSPORT] &&
	    hc_parse_transport(a.value[O_TRANSPORT], &m->start.transport))
		return hc_usage_err(path, "unknown transport '%s' (tcp or rdma)",
				    a.value[O_TRANSPORT]);
	v = HC_TIMEOUT_DEFAULT_S;
	if (a.value[O_TIMEOUT] &&
	    hc_parse_uint(a.value[O_TIMEOUT], 1, HC_TIMEOUT_MAX_S, &v, reason, sizeof(reason)))
		return hc_usage_err(path, "invalid --timeout '%s': %s (seconds)",
				    a.value[O_TIMEOUT], reason);
	m->timeout_s = (unsigned int)v;
	return hc_token_arg(path, a.value[O_TOKEN], a.value[O_TOKEN_FILE],
			    m->start.token);
}

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
/* The least time an attempt gets, even at the end of --timeout. */
#define HC_ATTEMPT_MIN_MS	1000

/* HECA_IOC_SESSION_START, again while nobody listens, until --timeout. */
static int connect_dest(struct hc_session *s, struct migrate_args *m)
{
	const char *transport = hc_transport_name(m->start.transport);
	uint64_t deadline = now_ms() + (uint64_t)m->timeout_s * 1000, now;
	char refused[96], timeout[128], unreach[96], einval_hint[192], sz[HC_SIZE_BUF];
	char nodev[96];
	bool told = false;
	int err;
	const struct hc_errmap start_errors[] = {
		{ ECONNREFUSED, refused,
		  "start 'hecactl receive' on the destination first (migrate retries until --timeout)" },
		{ ETIMEDOUT, timeout,
		  "is the address right, and does a firewall let the port through?" },
		{ EACCES, "the destination refused our token",
		  "give both hosts the same --token or --token-file" },
		{ EINVAL, "the destination or the module refused the request as invalid",
		  einval_hint },
		{ EPROTONOSUPPORT, "transport not available, or the destination speaks another protocol version",
		  m->start.transport == HECA_TRANSPORT_RDMA ?
		  "this heca.ko has no RDMA transport (yet): use --transport tcp" :
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
		 m->timeout_s);
	snprintf(unreach, sizeof(unreach), "no route to %s", m->to);
	snprintf(nodev, sizeof(nodev), "no RDMA device reaches %s", m->to);
	snprintf(einval_hint, sizeof(einval_hint),
		 "most likely the destination region is not %s like %s here (or the page sizes differ); else heca.ko and hecactl disagree on the ABI (see 'hecactl version')",
		 hc_format_size(s->info.size, sz, sizeof(sz)), m->name);

	hc_say("%s: connecting to %s (%s)\n", m->name, m->to, transport);
	for (;;) {
		if (hc_interrupted())
			return hc_session_report(s, EINTR, start_errors);
		now = now_ms();
		m->start.timeout_ms = (uint32_t)(deadline > now + HC_ATTEMPT_MIN_MS ?
						 deadline - now : HC_ATTEMPT_MIN_MS);
		if (!hc_ioctl_once(s->fd, HECA_IOC_SESSION_START, &m->start))
			break;
		err = errno;
		if (hc_interrupted())
			err = EINTR;
		if (err != ECONNREFUSED || now_ms() + HC_RETRY_MS >= deadline)
			return hc_session_report(s, err, start_errors);
		if (!told)
			hc_say("%s: nobody listens at %s yet; trying again for up to %u s\n",
			       m->name, m->to, m->timeout_s);
		told = true;
		pause_ms(HC_RETRY_MS);
	}
	hc_say("%s: connected to %s (%s)\n", m->name, m->to, transport);
	return 0;
}

/*
 * Connected, not switched over: nothing has moved, and the VM is still
 * here.  A signal that came meanwhile ends the session rather than let it
 * switch over.
 */
static int abort_if_interrupted(struct hc_session *s)
{
	if (!hc_interrupted())
		return 0;
	if (hc_ioctl(s->fd, HECA_IOC_SESSION_ABORT, NULL))
		return hc_session_report(s, errno, NULL);
	hc_err("%s: interrupted before the switchover: the session was aborted, nothing moved",
	       s->what);
	return HC_EXIT_FAIL;
}

static int switchover(struct hc_session *s)
{
	struct heca_switchover sw;
	sigset_t block, old;
	char ended_hint[192];
	int err;
	const struct hc_errmap switch_errors[] = {
		{ ENOTCONN, "the session ended before the switchover", ended_hint },
		{ EINVAL, "the session is not waiting for a switchover (did it fail?)", ended_hint },
		{ ETIMEDOUT, "the destination did not take the list of pages in time", ended_hint },
		{ ECONNRESET, "the connection broke during the switchover", ended_hint },
		{ EPIPE, "the connection broke during the switchover", ended_hint },
		{ 0, NULL, NULL },
	};

	snprintf(ended_hint, sizeof(ended_hint),
		 "unless the destination's session got to running ('hecactl status %s' there), resume the VM here; see the kernel log (dmesg)",
		 s->name);
	memset(&sw, 0, sizeof(sw));
	sw.argsz = sizeof(sw);
	/*
	 * A signal must not cut the page list short (that fails the session
	 * with the VM paused here): hold them back until the switchover is
	 * done, and let the wait that follows notice them.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	err = hc_ioctl(s->fd, HECA_IOC_SWITCHOVER, &sw) ? errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err)
		return hc_session_report(s, err, switch_errors);
	hc_say("%s: switched over: resume the VM at the destination now\n", s->name);
	return 0;
}

int hc_migrate_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv)
{
	struct migrate_args m;
	struct hc_session s;
	struct heca_stats st;
	int rc;

	rc = parse(self, path, argc, argv, &m);
	if (rc)
		return rc < 0 ? HC_EXIT_OK : rc;
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

	hc_catch_signals();
	rc = connect_dest(&s, &m);
	if (!rc)
		rc = abort_if_interrupted(&s);
	if (!rc)
		rc = switchover(&s);
	if (!rc)
		rc = hc_session_wait(&s, HECA_STATE_COMPLETE, &st);
	if (!rc)
		hc_print_figures(stdout, m.name, &st);
out:
	hc_session_close(&s);
	return hc_finish_stdout(rc);
}
