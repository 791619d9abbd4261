// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: "receive", the destination side of a migration.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "heca.h"
#include "args.h"
#include "hecactl.h"
#include "output.h"
#include "qemu.h"
#include "session.h"
#include "stats.h"

const char hc_receive_help[] =
"Receive a VM's memory into the destination region NAME: listen on\n"
"ADDR:PORT until the source ('hecactl migrate' on the other host) connects\n"
"with the same token and a region of the same size, then, unless --no-wait,\n"
"wait until every page is here, showing the progress on a terminal, and\n"
"print the figures.\n"
"\n"
"With --size, a missing region is created as a destination region of that\n"
"size; an existing one must be a destination region of that size.  A\n"
"destination region takes one migration.\n"
"\n"
"The VMM at the destination may map the region at any time; its VM may run\n"
"once the switchover was received (this command says so): from then on\n"
"its accesses to pages not here yet fetch them at once, and the rest come\n"
"in the background.  The session lives in the kernel: interrupting this\n"
"command (or --no-wait) does not end it; 'hecactl status NAME' shows it\n"
"and 'hecactl abort NAME' ends it.\n"
"\n"
"Options:\n"
"  -l, --listen ADDR:PORT  where to listen: 192.0.2.2:7000, 0.0.0.0:7000 (every\n"
"                          IPv4 address), [2001:db8::2]:7000, [::]:7000\n"
"      --token HEX         the session's secret: 32 hex digits, the same on both\n"
"                          hosts ('hecactl token' makes one)\n"
"      --token-file PATH   read the token from PATH instead (not visible in ps)\n"
"  -s, --size SIZE         create the region if it does not exist (see 'hecactl\n"
"                          region create --help' for SIZE)\n"
"      --transport T       auto (default), rdma or tcp; auto takes rdma when\n"
"                          the --listen address is on an RDMA device (RoCE,\n"
"                          rdma_rxe), else tcp (so always for 0.0.0.0 and\n"
"                          [::]), and says which\n"
"      --timeout SEC       how long to wait for the source: 1-3600 s (default 30)\n"
"      --fault-timeout-ms MS\n"
"                          how long the VM may wait for a page before the\n"
"                          session fails: 1-3600000 ms (default 30000);\n"
"                          --fault-timeout MS is its older name\n"
"      --no-wait           return once the source is connected\n"
"      --qmp SOCKET        the destination QEMU's QMP UNIX socket: wait (up to\n"
"                          --timeout) for that QEMU, started with -incoming and\n"
"                          its RAM on /dev/heca/NAME (share=on), and set its\n"
"                          x-ignore-shared capability as 'migrate --qmp' does\n"
"                          at the source\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 every page is here (or, with --no-wait, connected), 1 the\n"
"session could not start or failed, or a signal interrupted the wait.\n"
"\n"
"Examples:\n"
"  hecactl receive vm1 --size 2G --listen 0.0.0.0:7000 --token-file vm1.token\n"
"  hecactl receive vm1 --size 2G --listen 0.0.0.0:7000 --token-file vm1.token \\\n"
"      --qmp /run/vm1.qmp &\n"
"  qemu-system-x86_64 -machine memory-backend=ram0 -object \\\n"
"      memory-backend-file,id=ram0,size=2G,mem-path=/dev/heca/vm1,share=on \\\n"
"      -qmp unix:/run/vm1.qmp,server=on,wait=off -incoming tcp:0:4444 ...\n";

enum {
	O_LISTEN, O_TOKEN, O_TOKEN_FILE, O_SIZE, O_TRANSPORT, O_TIMEOUT,
	O_FAULT_TIMEOUT_MS, O_FAULT_TIMEOUT, O_NO_WAIT, O_QMP,
};

static const struct hc_opt receive_opts[] = {
	[O_LISTEN] = { "listen", 'l', true, "ADDR:PORT", HC_OPT_REQUIRED },
	[O_TOKEN] = { "token", 0, true, "HEX", HC_OPT_ONE_OF },
	[O_TOKEN_FILE] = { "token-file", 0, true, "PATH", HC_OPT_ONE_OF },
	[O_SIZE] = { "size", 's', true, "SIZE", 0 },
	[O_TRANSPORT] = { "transport", 0, true, "auto|rdma|tcp", 0 },
	[O_TIMEOUT] = { "timeout", 0, true, "SEC", 0 },
	[O_FAULT_TIMEOUT_MS] = { "fault-timeout-ms", 0, true, "MS", 0 },
	[O_FAULT_TIMEOUT] = { "fault-timeout", 0, true, "MS", HC_OPT_HIDDEN },
	[O_NO_WAIT] = { "no-wait", 0, false, NULL, 0 },
	[O_QMP] = { "qmp", 0, true, "SOCKET", 0 },
	{ NULL, 0, false, NULL, 0 },
};

struct receive_args {
	const char *name, *listen;
	struct heca_session_start start;
	uint64_t size;		/* 0: not given */
	bool auto_transport;	/* --transport auto (the default) */
	const char *qmp;	/* --qmp, or NULL */
	bool no_wait;
};

/*
 * The command line into *@r.  Returns 0 to go on, -1 after help was shown,
 * or an exit code after a usage error.
 */
static int parse(const struct hc_cmd *self, const char *path, int argc,
		 char **argv, struct receive_args *r)
{
	struct hc_args a;
	uint64_t v;
	const char *why;
	char reason[128];
	int rc;

	if (!hc_parse_cmd_args(self, path, argc, argv, receive_opts, &a, &rc))
		return rc ? rc : -1;
	rc = hc_want_operands(path, &a, 1, "NAME");
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	r->name = a.operand[0];
	rc = hc_check_name_arg(path, r->name);
	if (rc)
		return rc;

	r->start.argsz = sizeof(r->start);
	r->listen = a.value[O_LISTEN];
	if (!r->listen)
		return hc_usage_err(path, "missing --listen ADDR:PORT");
	if (heca_parse_addr(r->listen, true, &r->start.addr, reason, sizeof(reason)))
		return hc_usage_err(path, "invalid address '%s': %s", r->listen, reason);
	if (a.value[O_SIZE]) {
		if (heca_parse_size(a.value[O_SIZE], &r->size, &why))
			return hc_usage_err(path, "invalid size '%s': %s", a.value[O_SIZE], why);
		if (heca_check_region_size(r->size, heca_page_size(), HECA_REGION_MAX_BYTES,
					 reason, sizeof(reason)))
			return hc_usage_err(path, "invalid size '%s': %s", a.value[O_SIZE], reason);
	}
	r->start.transport = HECA_TRANSPORT_TCP;
	r->auto_transport = !a.value[O_TRANSPORT] || !strcmp(a.value[O_TRANSPORT], "auto");
	if (!r->auto_transport &&
	    hc_parse_transport(a.value[O_TRANSPORT], &r->start.transport))
		return hc_usage_err(path, "unknown transport '%s' (auto, rdma or tcp)",
				    a.value[O_TRANSPORT]);
	rc = hc_duration_arg(path, &a, receive_opts, O_TIMEOUT, 1, HC_TIMEOUT_MAX_S,
			     HC_TIMEOUT_DEFAULT_S, &v);
	if (rc)
		return rc;
	r->start.timeout_ms = (uint32_t)(v * 1000);
	if (a.value[O_FAULT_TIMEOUT] && a.value[O_FAULT_TIMEOUT_MS])
		return hc_usage_err(path, "--fault-timeout is --fault-timeout-ms: give it once");
	/* 0: the module's default */
	rc = hc_duration_arg(path, &a, receive_opts,
			     a.value[O_FAULT_TIMEOUT] ? O_FAULT_TIMEOUT : O_FAULT_TIMEOUT_MS,
			     1, HC_FAULT_TIMEOUT_MAX_MS, 0, &v);
	if (rc)
		return rc;
	r->start.fault_timeout_ms = (uint32_t)v;
	r->no_wait = a.value[O_NO_WAIT] != NULL;
	r->qmp = a.value[O_QMP];
	if (r->qmp && !*r->qmp)
		return hc_usage_err(path, "--qmp must not be empty");
	return hc_token_arg(path, a.value[O_TOKEN], a.value[O_TOKEN_FILE],
			    r->start.token);
}

static const struct hc_errmap create_errors[] = {
	{ EEXIST, "a region with that name was created meanwhile", "try again" },
	{ ENOSPC, "too many regions",
	  "at most " HC_STR(HECA_MAX_REGIONS) " can exist at once; destroy one first" },
	{ 0, NULL, NULL },
};

/* Create the missing region as a destination of r->size bytes. */
static int create_dest(struct hc_session *s, const struct receive_args *r)
{
	char sz[HECA_SIZE_BUF];
	int rc, err;

	/* the name was checked: it fits */
	err = -heca_region_create(s->ctl, r->name, r->size, HECA_REGION_DEST);
	if (err)
		return hc_report(s->ctl, s->what, err, create_errors);
	rc = hc_check_node(s->what, r->name);
	if (rc)
		return rc;
	err = -heca_region_find(s->ctl, r->name, &s->info);
	if (err)
		return hc_report(s->ctl, s->what, err, NULL);
	hc_say("%s: created the destination region (%s)\n", r->name,
	       heca_format_size(r->size, sz, sizeof(sz)));
	return 0;
}

/* The region is there and fit for receiving: a destination of the right size. */
static int check_region(struct hc_session *s, const struct receive_args *r,
			bool found)
{
	char a[HECA_SIZE_BUF], b[HECA_SIZE_BUF];

	if (!found) {
		if (r->size)
			return create_dest(s, r);
		hc_err("%s: no region named %s: pass --size SIZE to create it, or create it with 'hecactl region create %s --size SIZE --dest'",
		       s->what, r->name, r->name);
		return HC_EXIT_FAIL;
	}
	if (!(s->info.flags & HECA_REGION_DEST)) {
		hc_err("%s: %s is a source region, not a destination: is this the destination host? (there, 'receive --size' creates the region, or 'hecactl region create %s --size SIZE --dest')",
		       s->what, r->name, r->name);
		return HC_EXIT_FAIL;
	}
	if (r->size && r->size != s->info.size) {
		hc_err("%s: %s exists with %s, not the %s of --size", s->what,
		       r->name, heca_format_size(s->info.size, a, sizeof(a)),
		       heca_format_size(r->size, b, sizeof(b)));
		return HC_EXIT_FAIL;
	}
	return 0;
}

/* A destination region that went through a switchover cannot take another. */
static int check_unused(struct hc_session *s)
{
	struct heca_stats st;

	if (hc_session_stats(s, &st))
		return hc_session_report(s, errno, NULL);
	if ((st.state == HECA_STATE_COMPLETE || st.state == HECA_STATE_FAILED) &&
	    st.elapsed_ns) {
		hc_err("%s: %s already received a migration (its session is %s): a destination region takes one; destroy it and create it again",
		       s->what, s->name, hc_state_name(st.state));
		return HC_EXIT_FAIL;
	}
	return 0;
}

/* --transport auto: rdma if the --listen address is on an RDMA device. */
static void choose_transport(struct receive_args *r)
{
	struct heca_transport_choice c;

	if (!r->auto_transport)
		return;
	heca_choose_transport(&r->start.addr, true, &c);
	r->start.transport = c.transport;
	if (c.why == HECA_TRANSPORT_ANY_ADDR)
		hc_say("%s: transport tcp (auto: listening on every address; --transport rdma listens over RDMA)\n",
		       r->name);
	else if (c.why == HECA_TRANSPORT_ON_RDMA_DEV)
		hc_say("%s: transport rdma (auto: the address is on RDMA device %s)\n",
		       r->name, c.dev);
	else
		hc_say("%s: transport tcp (auto: no RDMA device has the address)\n", r->name);
}

static int start(struct hc_session *s, struct receive_args *r)
{
	const char *transport = hc_transport_name(r->start.transport);
	char timeout[96], inuse[96], notmine[96], nodev[96];
	int err;
	const struct hc_errmap start_errors[] = {
		{ ETIMEDOUT, timeout,
		  "start 'hecactl migrate' on the source in time, with the same token; a source with another token or region size is refused and logged in the kernel log (dmesg)" },
		{ EADDRINUSE, inuse,
		  "something else (another 'hecactl receive'?) listens on that port" },
		{ EADDRNOTAVAIL, notmine, "listen on one of this host's addresses, or 0.0.0.0" },
		{ EAFNOSUPPORT, "this host does not support the address family", NULL },
		{ EPROTONOSUPPORT, "transport not available",
		  r->start.transport == HECA_TRANSPORT_RDMA ?
		  "this heca.ko has no RDMA transport (an older heca.ko): use --transport tcp" : NULL },
		{ r->start.transport == HECA_TRANSPORT_RDMA ? ENODEV : -1, nodev,
		  "is an RDMA device (or rdma_rxe) set up for that address? else use --transport tcp" },
		{ EINVAL, "the module refused an argument",
		  "a bad argument is likely (the address family or the port): hecactl checked the rest" },
		{ EINTR, "interrupted before the source connected", "no session was started" },
		{ 0, NULL, NULL },
	};

	snprintf(timeout, sizeof(timeout), "no source connected within %" PRIu32 " s",
		 r->start.timeout_ms / 1000);
	snprintf(inuse, sizeof(inuse), "%s is already in use", r->listen);
	snprintf(notmine, sizeof(notmine), "%s is not an address of this host", r->listen);
	snprintf(nodev, sizeof(nodev), "no RDMA device for %s", r->listen);
	hc_say("%s: waiting for the source on %s (%s, up to %" PRIu32 " s)\n",
	       r->name, r->listen, transport, r->start.timeout_ms / 1000);
	err = -heca_session_start(s->fd, &r->start);
	if (err)
		return hc_session_report(s, err, start_errors);
	hc_say("%s: the source connected; waiting for the switchover\n", r->name);
	return 0;
}

int hc_receive_run(const struct hc_cmd *self, const char *path, int argc,
		   char **argv)
{
	struct hc_qemu qemu = { .qmp.fd = -1 };
	struct receive_args r;
	struct hc_session s;
	struct heca_stats st;
	char state[32];
	bool found;
	int rc;

	rc = parse(self, path, argc, argv, &r);
	if (rc)
		return rc < 0 ? HC_EXIT_OK : rc;
	rc = hc_session_init(&s, path, r.name, &found);
	if (!rc)
		rc = check_region(&s, &r, found);
	if (!rc)
		rc = hc_session_open(&s, O_RDWR);
	if (!rc)
		rc = check_unused(&s);
	if (rc)
		goto out;

	hc_catch_signals();
	if (r.qmp) {
		hc_say("%s: waiting for QEMU at %s\n", r.name, r.qmp);
		qemu.sock = r.qmp;
		if (hc_qemu_dest_prepare(&qemu, r.name, r.start.timeout_ms)) {
			hc_err("%s: QEMU at %s: %s; no session was started", s.what, r.qmp,
			       qemu.err);
			rc = HC_EXIT_FAIL;
			goto out;
		}
		hc_say("%s: QEMU %s waits for the migration; x-ignore-shared set\n",
		       r.name, qemu.qmp.version);
	}
	choose_transport(&r);
	rc = start(&s, &r);
	if (rc)
		goto out;
	if (r.no_wait) {
		hc_say("%s: not waiting: 'hecactl status %s' shows the session\n",
		       r.name, r.name);
		goto out;
	}
	rc = hc_session_wait(&s, HECA_STATE_RUNNING, &st);
	if (rc)
		goto out;
	hc_say("%s: switchover: %" PRIu64 " pages to fetch; the VM may run here now\n",
	       r.name, (uint64_t)(st.pages_remote - st.pages_present));
	if (r.qmp) {
		if (hc_qemu_wait_resumed(&qemu, state, sizeof(state))) {
			hc_err("%s: QEMU at %s: %s; heca's session goes on ('hecactl status %s')",
			       s.what, r.qmp, qemu.err, r.name);
			rc = HC_EXIT_FAIL;
			goto out;
		}
		hc_say("%s: QEMU: the guest is %s here\n", r.name, state);
	}
	rc = hc_session_wait(&s, HECA_STATE_COMPLETE, &st);
	if (rc)
		goto out;
	hc_print_figures(stdout, r.name, &st);
out:
	hc_qemu_close(&qemu);
	hc_session_close(&s);
	return hc_finish_stdout(rc);
}
