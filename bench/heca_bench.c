// SPDX-License-Identifier: GPL-2.0
/*
 * heca_bench: the measurements behind "make bench" (see bench/README.md).
 * The measuring commands run as root in a lab VM with heca.ko loaded;
 * "report" runs anywhere.
 *
 *   heca_bench migrate [OPTIONS]	one migration, in any mode, of the
 *	running verifying KVM guest (selftests/guests/kvm/verify.c) between
 *	two regions of this kernel, driven by the policy library
 *	(tools/lib/heca/migrate.c), the guest dirtying its memory at a set
 *	rate: downtime, total time, bytes on the wire, the destination's
 *	fault service histogram and transfer rate.
 *   heca_bench probe [OPTIONS]	post-copy of a region without a guest:
 *	one host thread reads absent pages one at a time while the
 *	background pull runs, timing each fault itself (exact percentiles,
 *	beside the kernel's log2 histogram); with --samples 0 only the
 *	background pull runs.
 *   heca_bench report RESULTS DIR	the tables (DIR/link.txt,
 *	DIR/sweep.txt) and the plot data (DIR/sweep.dat) from the records.
 *
 * Every measurement appends one JSON object, one line, to --json FILE
 * (records of perftest's runs are written there by bench/lab-job.sh), and
 * exits non-zero if the migration failed or a page arrived wrong: the
 * guest's own verification and a comparison of every page with the source.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "heca_test.h"
#include "heca_verify_guest.h"
#include "guests/kvm/kvm_guest.h"
#include "guests/multiboot/heca_guest.h"
#include "heca_migrate.h"

#define PAGE		4096u
#define GUEST_DATA_START (1 * MiB)
#define GUEST_TOP_GAP	(8 * MiB)	/* [top - gap, top): never written */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "heca_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* --- regions and sessions */

struct side {
	char name[HECA_NAME_MAX];
	int fd;
	uint8_t *mem;
	size_t size;
};

static int side_open(struct side *s, int ctl, const char *what, bool dest,
		     size_t size)
{
	void *mem;
	int fd;

	s->fd = -1;
	s->mem = MAP_FAILED;
	s->size = size;
	snprintf(s->name, sizeof(s->name), "bench-%s-%d", what, (int)getpid());
	fd = heca_region_setup(ctl, s->name, size, dest ? HECA_REGION_DEST : 0,
			       &mem);
	if (fd < 0) {
		s->name[0] = 0;
		return fd;
	}
	s->fd = fd;
	s->mem = mem;
	return 0;
}

static void side_close(struct side *s, int ctl)
{
	if (s->fd >= 0)
		heca_session_abort(s->fd);
	if (s->mem != MAP_FAILED)
		munmap(s->mem, s->size);
	if (s->fd >= 0)
		close(s->fd);
	if (s->name[0] && heca_region_destroy_settled(ctl, s->name))
		fprintf(stderr, "heca_bench: could not destroy region %s\n",
			s->name);
	s->fd = -1;
	s->mem = MAP_FAILED;
	s->name[0] = 0;
}

/* Connect source @src to destination @dst; 0 or -errno. */
static int sides_connect(int src, int dst, const char *ip, __u32 transport,
			 unsigned int fault_ms)
{
	struct heca_session_start a;
	struct heca_listener l;
	__u8 token[HECA_TOKEN_BYTES];
	uint16_t port = 20000 + (getpid() * 7 + rand()) % 12000;
	int err, lerr;

	heca_random_token(token);
	heca_start_args(&a, ip, port, token, 30000, fault_ms);
	a.transport = transport;
	if (heca_listen_async(&l, dst, &a))
		return -EAGAIN;
	err = heca_session_connect(src, &a, 30);
	lerr = heca_listen_finish(&l);
	return err ? err : lerr;
}

static uint64_t hist_total(const struct heca_stats *st)
{
	uint64_t n = 0;
	int b;

	for (b = 0; b < HECA_HIST_BUCKETS; b++)
		n += st->fault_hist[b];
	return n;
}

/*
 * The bucket of the log2 histogram that holds the @pct-th percentile fault
 * (nearest rank), or -1 without faults.  Bucket b counts service times in
 * [2^b, 2^(b+1)) us, bucket 0 also those under 1 us.
 */
static int hist_bucket(const struct heca_stats *st, double pct)
{
	uint64_t n = 0, total = hist_total(st), want;
	int b;

	if (!total)
		return -1;
	want = (uint64_t)ceil(total * pct / 100.0);
	if (!want)
		want = 1;
	for (b = 0; b < HECA_HIST_BUCKETS; b++) {
		n += st->fault_hist[b];
		if (n >= want)
			return b;
	}
	return HECA_HIST_BUCKETS - 1;
}

static void add_num(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The destination's (and the source's) statistics into @o. */
static void add_stats(json_object *o, const struct heca_stats *d,
		      const struct heca_stats *s)
{
	json_object *h = json_object_new_array();
	int b, p50 = hist_bucket(d, 50), p99 = hist_bucket(d, 99);

	add_int(o, "pages_remote", d->pages_remote);
	add_int(o, "pages_zero", d->pages_zero);
	add_int(o, "pages_on_demand", d->pages_on_demand);
	add_int(o, "pages_prefetched", d->pages_prefetched);
	add_int(o, "pages_fetched", d->pages_on_demand + d->pages_prefetched);
	add_int(o, "requests", d->requests);
	add_int(o, "dst_bytes_rx", d->bytes_rx);
	add_int(o, "dst_bytes_tx", d->bytes_tx);
	add_int(o, "src_bytes_rx", s->bytes_rx);
	add_int(o, "src_bytes_tx", s->bytes_tx);
	add_int(o, "src_pages_sent", s->pages_sent);
	/* Both directions, counted where every transport counts them. */
	add_int(o, "wire_bytes", d->bytes_rx + d->bytes_tx);
	add_num(o, "postcopy_ms", d->elapsed_ns / 1e6);
	add_num(o, "pull_pages_per_s",
		d->elapsed_ns ? d->pages_remote * 1e9 / d->elapsed_ns : 0);
	add_int(o, "faults", d->faults);
	add_int(o, "faults_async", d->faults_async);
	add_int(o, "fault_count", d->fault_count);
	add_num(o, "kfault_avg_us", d->fault_count ?
		d->fault_ns_sum / 1e3 / d->fault_count : 0);
	add_num(o, "kfault_max_us", d->fault_ns_max / 1e3);
	add_int(o, "kfault_p50_bucket", p50);
	add_int(o, "kfault_p99_bucket", p99);
	for (b = 0; b < HECA_HIST_BUCKETS; b++)
		json_object_array_add(h, json_object_new_int64(d->fault_hist[b]));
	json_object_object_add(o, "kfault_hist", h);
}

/* heca's module parameter @name, or -1. */
static double param_value(const char *name)
{
	char path[128], buf[32];
	FILE *f;
	double v = -1;

	snprintf(path, sizeof(path), "/sys/module/heca/parameters/%s", name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtod(buf, NULL);
	if (f)
		fclose(f);
	return v;
}

static void add_params(json_object *o)
{
	static const char *const names[] = {
		"prefetch_max", "max_inflight", "max_urgent",
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		add_num(o, names[i], param_value(names[i]));
}

/* After a failure: where each side's session stood. */
static void report_sides(int src, int dst)
{
	struct heca_stats ss = { 0 }, ds = { 0 };

	if (src >= 0 && !heca_stats(src, &ss))
		fprintf(stderr, "heca_bench:   source: state %u error %u, %llu pages sent\n",
			ss.state, ss.error, ss.pages_sent);
	if (dst >= 0 && !heca_stats(dst, &ds))
		fprintf(stderr, "heca_bench:   destination: state %u error %u, %llu of %llu pages present, %llu ms since the switchover\n",
			ds.state, ds.error, ds.pages_present, ds.pages_remote,
			ds.elapsed_ns / 1000000);
	if (ss.state == HECA_STATE_COMPLETE && ds.state == HECA_STATE_FAILED &&
	    ds.pages_remote && ds.pages_present == ds.pages_remote)
		fprintf(stderr, "heca_bench:   every page had arrived and the source had completed, yet the destination failed: its DONE and the source's teardown raced (bench/README.md, \"Seen here\")\n");
}

static void emit(json_object *o, const char *path)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	FILE *f;

	printf("%s\n", s);
	if (path) {
		f = fopen(path, "a");
		if (!f || fprintf(f, "%s\n", s) < 0 || fclose(f))
			die("cannot append to %s: %s", path, strerror(errno));
	}
}

static __u32 parse_transport(const char *s)
{
	if (!strcmp(s, "tcp"))
		return HECA_TRANSPORT_TCP;
	if (!strcmp(s, "rdma"))
		return HECA_TRANSPORT_RDMA;
	die("--transport tcp|rdma, not '%s'", s);
	return 0;
}

static const char *transport_name(__u32 t)
{
	return t == HECA_TRANSPORT_RDMA ? "rdma" : "tcp";
}

/* --- migrate: the verifying guest, in any mode */

struct mig {
	struct heca_guest_thread a, b;	/* source, destination vCPUs */
	struct side src, dst;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t t_pause;	/* when the pause began */
	uint64_t pause_ns, handover_ns, resume_ns;
	unsigned long written_at_pause;
	json_object *rounds;
};

/*
 * The source's vCPU: heca_guest_sweep() paced by deadlines (throttle_us
 * apart) rather than a sleep after every page, so that the rate is the one
 * asked for, and woken at once by a pause, so that a slow rate adds no
 * sleep to the downtime.
 */
static pthread_mutex_t pace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pace_cond;

static void pace(struct heca_guest_thread *t, struct timespec *next)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	next->tv_nsec += t->throttle_us * 1000L;
	while (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	/*
	 * Behind by more than 10 ms (the first page after the fill, or the
	 * host stalled us): start again from now rather than catch up in a
	 * burst at full speed.
	 */
	if ((now.tv_sec - next->tv_sec) * 1000000000L +
	    (now.tv_nsec - next->tv_nsec) > 10000000L)
		*next = now;
	pthread_mutex_lock(&pace_lock);
	while (!atomic_load(&t->pause) &&
	       pthread_cond_timedwait(&pace_cond, &pace_lock, next) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&pace_lock);
}

static void *bench_sweep(void *arg)
{
	struct heca_guest_thread *t = arg;
	struct heca_vm *v = &t->v;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (heca_guest_run(t)) {
		if (v->run->io.port != KVM_GUEST_PORT_CMD)
			continue;
		if (!atomic_load(&t->pause)) {
			*heca_vm_io_data(v) = KVM_GUEST_CMD_GO;
			atomic_fetch_add(&t->written, 1);
			if (t->throttle_us)
				pace(t, &next);
			continue;
		}
		/* As heca_guest_sweep(): verify at the destination. */
		*heca_vm_io_data(v) = KVM_GUEST_CMD_VERIFY;
		v->run->immediate_exit = 1;
		ioctl(v->vcpu, KVM_RUN, 0);	/* completes the IN: -EINTR */
		break;
	}
	return NULL;
}

static void bench_pause_signal(struct heca_guest_thread *t)
{
	pthread_mutex_lock(&pace_lock);
	atomic_store(&t->pause, true);
	pthread_cond_broadcast(&pace_cond);
	pthread_mutex_unlock(&pace_lock);
}

static int vmm_pause(void *ctx)
{
	struct mig *m = ctx;
	int err;

	m->t_pause = now_ns();
	bench_pause_signal(&m->a);
	err = heca_guest_pause(&m->a, &m->regs, &m->sregs);
	m->pause_ns = now_ns() - m->t_pause;
	m->written_at_pause = atomic_load(&m->a.written);
	return err;
}

static int vmm_handover(void *ctx)
{
	struct mig *m = ctx;
	uint64_t t = now_ns();

	/* The destination VM exists already (see cmd_migrate()). */
	if (ioctl(m->b.v.vcpu, KVM_SET_SREGS, &m->sregs) ||
	    ioctl(m->b.v.vcpu, KVM_SET_REGS, &m->regs))
		return -errno;
	m->handover_ns = now_ns() - t;
	return 0;
}

static int vmm_resume(void *ctx)
{
	struct mig *m = ctx;
	uint64_t t = now_ns();
	int err;

	err = heca_guest_start(&m->b, heca_guest_verify);
	m->resume_ns = now_ns() - t;
	return err;
}

static void vmm_round(void *ctx, const struct heca_mig_round *r)
{
	struct mig *m = ctx;
	json_object *o = json_object_new_object();

	add_int(o, "round", r->round);
	add_int(o, "pages", r->pages);
	add_num(o, "ms", r->ns / 1e6);
	add_num(o, "mb_per_s", r->bytes_per_s / 1e6);
	json_object_array_add(m->rounds, o);
	fprintf(stderr, "heca_bench:   round %u: %llu pages in %.0f ms, %.1f MB/s\n",
		r->round, (unsigned long long)r->pages, r->ns / 1e6,
		r->bytes_per_s / 1e6);
}

static const struct heca_mig_ops mig_ops = {
	.pause = vmm_pause,
	.handover = vmm_handover,
	.resume = vmm_resume,
	.round_done = vmm_round,
};

static uint32_t page_sum(const uint8_t *p)
{
	const uint32_t *w = (const uint32_t *)p;
	uint32_t h = HG_FNV_INIT, i;

	for (i = 0; i < HG_PAGE_WORDS; i++)
		h = hg_fnv(h, w[i]);
	return h;
}

static enum heca_mig_mode parse_mode(const char *s)
{
	if (!strcmp(s, "precopy"))
		return HECA_MIG_PRECOPY;
	if (!strcmp(s, "postcopy"))
		return HECA_MIG_POSTCOPY;
	if (!strcmp(s, "hybrid"))
		return HECA_MIG_HYBRID;
	die("--mode precopy|postcopy|hybrid, not '%s'", s);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
"usage: heca_bench migrate [--mode precopy|postcopy|hybrid] [--transport tcp|rdma]\n"
"                  [--addr IP] [--mem-mib N] [--throttle-us N] [--timeout-ms N]\n"
"                  [--downtime-ms N] [--warmup-ms N] [--label S] [--json FILE]\n"
"       heca_bench probe [--transport tcp|rdma] [--addr IP] [--mem-mib N]\n"
"                  [--samples N] [--no-prefetch] [--max-inflight N] [--label S]\n"
"                  [--json FILE]\n"
"       heca_bench report RESULTS.jsonl DIR\n");
	exit(2);
}

struct opts {
	enum heca_mig_mode mode;
	__u32 transport;
	const char *addr;
	size_t mem;
	unsigned int throttle_us;
	unsigned int timeout_ms;
	unsigned int downtime_ms;
	unsigned int warmup_ms;
	unsigned int samples;
	const char *max_inflight;
	bool no_prefetch;
	const char *label;
	const char *json;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "transport", required_argument, NULL, 't' },
		{ "addr", required_argument, NULL, 'a' },
		{ "mem-mib", required_argument, NULL, 'M' },
		{ "throttle-us", required_argument, NULL, 'r' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "downtime-ms", required_argument, NULL, 'd' },
		{ "warmup-ms", required_argument, NULL, 'w' },
		{ "samples", required_argument, NULL, 's' },
		{ "no-prefetch", no_argument, NULL, 'P' },
		{ "max-inflight", required_argument, NULL, 'I' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", required_argument, NULL, 'j' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->mode = parse_mode(optarg); break;
		case 't': o->transport = parse_transport(optarg); break;
		case 'a': o->addr = optarg; break;
		case 'M': o->mem = strtoull(optarg, NULL, 0) * MiB; break;
		case 'r': o->throttle_us = strtoul(optarg, NULL, 0); break;
		case 'T': o->timeout_ms = strtoul(optarg, NULL, 0); break;
		case 'd': o->downtime_ms = strtoul(optarg, NULL, 0); break;
		case 'w': o->warmup_ms = strtoul(optarg, NULL, 0); break;
		case 's': o->samples = strtoul(optarg, NULL, 0); break;
		case 'P': o->no_prefetch = true; break;
		case 'I': o->max_inflight = optarg; break;
		case 'l': o->label = optarg; break;
		case 'j': o->json = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

static int cmd_migrate(int argc, char **argv)
{
	struct opts o = {
		.mode = HECA_MIG_POSTCOPY, .transport = HECA_TRANSPORT_TCP,
		.addr = "127.0.0.1", .mem = 32 * MiB, .timeout_ms = 8000,
		.downtime_ms = 300, .warmup_ms = 500, .label = "",
	};
	struct heca_mig_params mp = { 0 };
	struct heca_mig_result res;
	struct heca_stats ds, ss;
	struct mig m;
	struct kvm_guest_params p = { .magic = KVM_GUEST_MAGIC };
	json_object *out;
	unsigned long w0, w1, w_mig, first, last, i, differ = 0;
	uint64_t t0, t1, t_mig, ph[8] = { now_ns() };
	double rate_alone;
	uint32_t reached = 0, error = 0;
	const char *failed = NULL;
	int ctl, err = 0;

	parse_opts(argc, argv, &o);
	if (o.mem < 16 * MiB || o.mem > 2048 * MiB || o.mem % (2 * MiB))
		die("--mem-mib: 16..2048, a multiple of 2");
	memset(&m, 0, sizeof(m));
	heca_vm_init(&m.a.v);
	heca_vm_init(&m.b.v);
	m.src.fd = m.dst.fd = -1;
	m.src.mem = m.dst.mem = MAP_FAILED;
	m.rounds = json_object_new_array();
	mp.mode = o.mode;
	mp.timeout_ms = o.mode == HECA_MIG_POSTCOPY ? 0 : o.timeout_ms;
	mp.downtime_ms = o.downtime_ms;
	mp.complete_timeout_ms = 300000;

	ctl = heca_control_open();
	if (ctl < 0)
		die("%s: %s (is heca.ko loaded?)", HECA_CONTROL_DEFAULT,
		    strerror(errno));
	err = side_open(&m.src, ctl, "src", false, o.mem);
	if (!err)
		err = side_open(&m.dst, ctl, "dst", true, o.mem);
	if (err) {
		failed = "creating the regions";
		goto out;
	}

	/* The guest runs at the source in its own thread, dirtying pages. */
	p.start = GUEST_DATA_START;
	p.end = o.mem - GUEST_TOP_GAP;
	p.top = o.mem;
	p.seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	err = heca_vm_create(&m.a.v, m.src.mem, o.mem, true);
	if (err) {
		failed = "creating the source VM";
		goto out;
	}
	memcpy(m.src.mem + KVM_GUEST_LOAD, verify_bin,
	       verify_bin_end - verify_bin);
	memcpy(m.src.mem + KVM_GUEST_PARAMS, &p, sizeof(p));
	err = heca_vm_flat32(&m.a.v, KVM_GUEST_LOAD, KVM_GUEST_STACK, true);
	if (err) {
		failed = "setting up the source vCPU";
		goto out;
	}
	m.a.throttle_us = o.throttle_us;
	err = heca_guest_start(&m.a, bench_sweep);
	if (err) {
		failed = "starting the source vCPU";
		goto out;
	}
	/* Until it filled its memory once and dirties pages. */
	t0 = ph[1] = now_ns();
	while (atomic_load(&m.a.written) < 20 && !m.a.err &&
	       now_ns() - t0 < 300 * 1000000000ull)
		usleep(10000);
	if (m.a.err || atomic_load(&m.a.written) < 20) {
		err = m.a.err ? m.a.err : -ETIMEDOUT;
		failed = "the guest filling its memory";
		goto out;
	}
	/* Its dirty rate alone, before any migration. */
	w0 = atomic_load(&m.a.written);
	t0 = ph[2] = now_ns();
	usleep(o.warmup_ms * 1000);
	w1 = atomic_load(&m.a.written);
	t1 = now_ns();
	rate_alone = (w1 - w0) * 1e9 / (t1 - t0);

	err = sides_connect(m.src.fd, m.dst.fd, o.addr, o.transport, 60000);
	if (err) {
		failed = "connecting the session";
		goto out;
	}
	/*
	 * The destination VM on the destination region, made before the
	 * migration as a VMM started to receive one (QEMU -incoming) has it:
	 * the downtime then holds what a migration has to do, not the
	 * creation of a VM (tens of ms in the lab's nested KVM).
	 */
	err = heca_vm_create(&m.b.v, m.dst.mem, o.mem, true);
	if (err) {
		failed = "creating the destination VM";
		goto out;
	}
	fprintf(stderr, "heca_bench: %s %s %s, guest writing %.0f pages/s\n",
		o.label, heca_mig_mode_name(o.mode),
		transport_name(o.transport), rate_alone);
	t_mig = ph[3] = now_ns();
	w_mig = atomic_load(&m.a.written);
	err = heca_migrate(m.src.fd, &mp, &mig_ops, &m, &res);
	if (err) {
		failed = res.failed;
		goto out;
	}
	ph[4] = now_ns();
	heca_guest_join(&m.b);
	if (m.b.err) {
		err = m.b.err;
		failed = "the destination vCPU";
		goto out;
	}
	ph[5] = now_ns();
	err = heca_wait_state(m.dst.fd, HECA_STATE_COMPLETE, 120000, &reached,
			      &error);
	if (err) {
		failed = "waiting for the destination to complete";
		goto out;
	}
	/* Every data page as the source had it at pause. */
	first = p.start / PAGE;
	last = p.end / PAGE;
	for (i = first; i < last; i++)
		differ += page_sum(m.dst.mem + i * PAGE) !=
			  page_sum(m.src.mem + i * PAGE);
	ph[6] = now_ns();
	if (heca_stats(m.dst.fd, &ds) || heca_stats(m.src.fd, &ss)) {
		err = -errno;
		failed = "reading statistics";
		goto out;
	}

	out = json_object_new_object();
	add_str(out, "kind", "migrate");
	add_str(out, "label", o.label);
	add_str(out, "mode", heca_mig_mode_name(o.mode));
	add_str(out, "transport", transport_name(o.transport));
	add_str(out, "addr", o.addr);
	add_int(out, "mem_mib", o.mem / MiB);
	add_int(out, "throttle_us", o.throttle_us);
	add_int(out, "timeout_ms", mp.timeout_ms);
	add_int(out, "downtime_budget_ms", o.downtime_ms);
	add_params(out);
	/* Pages the guest rewrote per second, alone and while migrating. */
	add_num(out, "dirty_pages_per_s", rate_alone);
	add_num(out, "dirty_mb_per_s", rate_alone * PAGE / 1e6);
	add_num(out, "dirty_pages_per_s_migrating",
		m.t_pause > t_mig ? (m.written_at_pause - w_mig) * 1e9 /
		(m.t_pause - t_mig) : 0);
	add_str(out, "end", heca_mig_end_name(res.end));
	add_int(out, "rounds", res.rounds);
	add_int(out, "round_pages", res.round_pages);
	json_object_object_add(out, "round_list", json_object_get(m.rounds));
	add_num(out, "downtime_ms", res.downtime_ns / 1e6);
	/* Downtime: pause + switchover [+ pre-copy's last pages] + handover + resume. */
	add_num(out, "switchover_ms", res.switch_ns / 1e6);
	add_num(out, "pause_ms", m.pause_ns / 1e6);
	add_num(out, "handover_ms", m.handover_ns / 1e6);
	add_num(out, "resume_ms", m.resume_ns / 1e6);
	add_num(out, "total_ms", res.total_ns / 1e6);
	add_num(out, "migrating_ms", (m.t_pause - t_mig) / 1e6);
	/* Where this run's wall time went (the VMM's part included). */
	ph[7] = now_ns();
	{
		static const char *const names[] = {
			"setup", "fill", "warmup_connect", "migrate",
			"guest_verify", "complete_check", "stats",
		};
		json_object *phases = json_object_new_object();
		unsigned int k;

		fprintf(stderr, "heca_bench:   phases (ms):");
		for (k = 0; k < 7; k++) {
			add_num(phases, names[k], (ph[k + 1] - ph[k]) / 1e6);
			fprintf(stderr, " %s %.0f", names[k],
				(ph[k + 1] - ph[k]) / 1e6);
		}
		fputc('\n', stderr);
		json_object_object_add(out, "phases_ms", phases);
	}
	add_stats(out, &ds, &ss);
	add_int(out, "guest_bad_pages", m.b.bad);
	add_int(out, "pages_differ", differ);
	add_int(out, "ok", !m.b.bad && !differ);
	emit(out, o.json);
	json_object_put(out);
	if (m.b.bad || differ) {
		fprintf(stderr, "heca_bench: FAIL: the guest found %u bad pages, %lu pages differ from the source\n",
			m.b.bad, differ);
		err = -EIO;
		failed = "verification";
	}
out:
	if (err && failed) {
		fprintf(stderr, "heca_bench: FAIL: %s: %s (state %u error %u)\n",
			failed, strerror(-err), reached, error);
		report_sides(m.src.fd, m.dst.fd);
	}
	if (!ph[7])
		ph[7] = now_ns();
	bench_pause_signal(&m.a);
	if (m.src.fd >= 0)
		heca_session_abort(m.src.fd);
	if (m.dst.fd >= 0 && err)
		heca_session_abort(m.dst.fd);
	heca_guest_join(&m.a);
	heca_guest_join(&m.b);
	heca_vm_release(&m.a.v);
	heca_vm_release(&m.b.v);
	side_close(&m.src, ctl);
	side_close(&m.dst, ctl);
	json_object_put(m.rounds);
	close(ctl);
	fprintf(stderr, "heca_bench:   teardown %.0f ms\n",
		(now_ns() - ph[7]) / 1e6);
	return err ? 1 : 0;
}

/* --- probe: timed faults of a host thread, and the background pull */

/* Page @i of the probe's source: a header word, its complement, a fill. */
static void probe_page(uint8_t *pg, uint64_t seed, uint64_t i)
{
	uint64_t h = seed ^ (i * 0x9e3779b97f4a7c15ull);

	memset(pg, (int)(i * 131 + 1) | 1, PAGE);
	memcpy(pg, &h, sizeof(h));
	h = ~h;
	memcpy(pg + PAGE - sizeof(h), &h, sizeof(h));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v[@n]. */
static uint64_t pctl(const uint64_t *v, size_t n, double pct)
{
	size_t k = (size_t)ceil(n * pct / 100.0);

	return n ? v[k ? k - 1 : 0] : 0;
}

static int cmd_probe(int argc, char **argv)
{
	struct opts o = {
		.transport = HECA_TRANSPORT_TCP, .addr = "127.0.0.1",
		.mem = 64 * MiB, .samples = 200, .label = "",
	};
	const unsigned int stride = 64;	/* pages between two probes */
	char old_prefetch[16] = "", old_inflight[16] = "";
	struct side src = { .fd = -1, .mem = MAP_FAILED };
	struct side dst = { .fd = -1, .mem = MAP_FAILED };
	struct heca_stats before, after, ds, ss;
	uint64_t seed = ((uint64_t)getpid() << 32) ^ time(NULL);
	uint64_t *lat = NULL, sum = 0, t0, t1, want, got, ph[6] = { now_ns() };
	size_t n = 0, missed = 0, wrong = 0, differ = 0, j;
	unsigned long npages, i;
	uint32_t reached = 0, error = 0;
	const char *failed = NULL;
	uint8_t page[PAGE];
	json_object *out;
	int ctl, err = 0;

	parse_opts(argc, argv, &o);
	if (o.mem < 16 * MiB || o.mem % (2 * MiB))
		die("--mem-mib: at least 16, a multiple of 2");
	npages = o.mem / PAGE;
	lat = calloc(o.samples + 1, sizeof(*lat));
	if (!lat)
		die("out of memory");
	ctl = heca_control_open();
	if (ctl < 0)
		die("%s: %s (is heca.ko loaded?)", HECA_CONTROL_DEFAULT,
		    strerror(errno));
	err = side_open(&src, ctl, "psrc", false, o.mem);
	if (!err)
		err = side_open(&dst, ctl, "pdst", true, o.mem);
	if (err) {
		failed = "creating the regions";
		goto out;
	}
	for (i = 0; i < npages; i++)
		probe_page(src.mem + i * PAGE, seed, i);
	ph[1] = now_ns();
	if (o.no_prefetch) {
		/* One page per fault: the READ of ib_read_lat -s 4096. */
		err = heca_module_param("prefetch_max", "0", old_prefetch,
					sizeof(old_prefetch));
		if (err) {
			failed = "setting heca's prefetch_max";
			goto out;
		}
	}
	if (o.max_inflight) {
		/* Background READs in flight, ahead of a fault's on the wire. */
		err = heca_module_param("max_inflight", o.max_inflight, old_inflight,
					sizeof(old_inflight));
		if (err) {
			failed = "setting heca's max_inflight";
			goto out;
		}
	}
	err = sides_connect(src.fd, dst.fd, o.addr, o.transport, 60000);
	if (err) {
		failed = "connecting the session";
		goto out;
	}
	err = heca_switchover(src.fd);
	if (!err)
		err = heca_wait_state(dst.fd, HECA_STATE_RUNNING, 30000, &reached,
				      &error);
	if (err) {
		failed = "switchover";
		goto out;
	}
	/*
	 * From the top down, while the pull goes up from page 0: each read
	 * waits for an absent page.  Only the reads that made an urgent fetch
	 * count (the kernel timed one more fault); a page the pull had
	 * already or had in flight is left out of the figures.
	 */
	ph[2] = now_ns();
	for (j = 0; n < o.samples && (j + 1) * stride <= npages; j++) {
		i = npages - 1 - j * stride - (unsigned long)rand() % (stride / 2);
		if (heca_stats(dst.fd, &before)) {
			err = -errno;
			failed = "reading statistics";
			goto out;
		}
		if (before.state != HECA_STATE_RUNNING)
			break;
		t0 = now_ns();
		got = *(volatile uint64_t *)(dst.mem + i * PAGE);
		t1 = now_ns();
		if (heca_stats(dst.fd, &after)) {
			err = -errno;
			failed = "reading statistics";
			goto out;
		}
		want = seed ^ (i * 0x9e3779b97f4a7c15ull);
		wrong += got != want;
		if (after.fault_count == before.fault_count + 1) {
			lat[n++] = t1 - t0;
			sum += t1 - t0;
		} else {
			missed++;
		}
	}
	ph[3] = now_ns();
	err = heca_wait_state(dst.fd, HECA_STATE_COMPLETE, 300000, &reached, &error);
	if (err) {
		failed = "waiting for the destination to complete";
		goto out;
	}
	if (heca_stats(dst.fd, &ds) || heca_stats(src.fd, &ss)) {
		err = -errno;
		failed = "reading statistics";
		goto out;
	}
	ph[4] = now_ns();
	for (i = 0; i < npages; i++) {
		probe_page(page, seed, i);
		differ += memcmp(page, dst.mem + i * PAGE, PAGE) != 0;
	}
	ph[5] = now_ns();
	fprintf(stderr, "heca_bench:   phases (ms): fill %.0f connect %.0f faults %.0f complete %.0f check %.0f\n",
		(ph[1] - ph[0]) / 1e6, (ph[2] - ph[1]) / 1e6,
		(ph[3] - ph[2]) / 1e6, (ph[4] - ph[3]) / 1e6,
		(ph[5] - ph[4]) / 1e6);
	qsort(lat, n, sizeof(*lat), cmp_u64);

	out = json_object_new_object();
	add_str(out, "kind", "probe");
	add_str(out, "label", o.label);
	add_str(out, "transport", transport_name(o.transport));
	add_str(out, "addr", o.addr);
	add_int(out, "mem_mib", o.mem / MiB);
	add_params(out);
	add_int(out, "samples_asked", o.samples);
	add_int(out, "samples", n);
	add_int(out, "samples_not_urgent", missed);
	add_num(out, "fault_p50_us", pctl(lat, n, 50) / 1e3);
	add_num(out, "fault_p90_us", pctl(lat, n, 90) / 1e3);
	add_num(out, "fault_p99_us", pctl(lat, n, 99) / 1e3);
	add_num(out, "fault_min_us", n ? lat[0] / 1e3 : 0);
	add_num(out, "fault_max_us", n ? lat[n - 1] / 1e3 : 0);
	add_num(out, "fault_avg_us", n ? sum / 1e3 / n : 0);
	add_stats(out, &ds, &ss);
	add_int(out, "pages_wrong_at_fault", wrong);
	add_int(out, "pages_differ", differ);
	add_int(out, "ok", !wrong && !differ);
	emit(out, o.json);
	json_object_put(out);
	if (wrong || differ) {
		fprintf(stderr, "heca_bench: FAIL: %zu pages read wrong at the fault, %zu differ from the source\n",
			wrong, differ);
		err = -EIO;
		failed = "verification";
	}
out:
	if (err && failed) {
		fprintf(stderr, "heca_bench: FAIL: %s: %s (state %u error %u)\n",
			failed, strerror(-err), reached, error);
		report_sides(src.fd, dst.fd);
	}
	side_close(&src, ctl);
	side_close(&dst, ctl);
	if (old_prefetch[0])
		heca_module_param("prefetch_max", old_prefetch, NULL, 0);
	if (old_inflight[0])
		heca_module_param("max_inflight", old_inflight, NULL, 0);
	close(ctl);
	free(lat);
	return err ? 1 : 0;
}

/* --- report: tables and plot data from the records */

#define MAX_RECORDS	256

static json_object *recs[MAX_RECORDS];
static int nrecs;

static double getd(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NAN;
	return json_object_get_double(v);
}

static const char *gets_(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return "";
	return json_object_get_string(v);
}

/* The last record of @kind whose string fields match (NULL: any). */
static json_object *find(const char *kind, const char *label,
			 const char *transport, double bytes)
{
	int i;

	for (i = nrecs - 1; i >= 0; i--) {
		if (strcmp(gets_(recs[i], "kind"), kind))
			continue;
		if (label && strcmp(gets_(recs[i], "label"), label))
			continue;
		if (transport && strcmp(gets_(recs[i], "transport"), transport))
			continue;
		if (!isnan(bytes) && getd(recs[i], "bytes") != bytes)
			continue;
		return recs[i];
	}
	return NULL;
}

static void fmt_num(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (v >= 100)
		snprintf(b, n, "%.0f", v);
	else
		snprintf(b, n, "%.1f", v);
}

static void fmt_ratio(char *b, size_t n, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(b, n, "n/a");
	else if (v >= 10)
		snprintf(b, n, "%.0fx", v);
	else
		snprintf(b, n, "%.2fx", v);
}

/* Bucket @b as "[lo, hi)" us, and the ratios of its bounds to @ref. */
static void fmt_bucket(char *b, size_t n, char *r, size_t rn, double bucket,
		       double ref)
{
	double lo, hi;
	char x[16], y[16];

	if (isnan(bucket) || bucket < 0) {
		snprintf(b, n, "n/a");
		snprintf(r, rn, "n/a");
		return;
	}
	lo = bucket ? ldexp(1, (int)bucket) : 0;
	hi = ldexp(1, (int)bucket + 1);
	snprintf(b, n, "%.0f-%.0f", lo, hi);
	fmt_ratio(x, sizeof(x), lo / ref);
	fmt_ratio(y, sizeof(y), hi / ref);
	snprintf(r, rn, "%s-%s", x, y);
}

/* Whether a value in [lo, hi] is at most @target: yes, no or maybe. */
static const char *verdict(double lo, double hi, double target, bool most)
{
	if (isnan(lo) || isnan(hi))
		return "n/a";
	if (most)
		return hi <= target ? "yes" : lo > target ? "no" : "maybe";
	return lo >= target ? "yes" : hi < target ? "no" : "maybe";
}

static void put(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

#define LAT_HDR "%-48s %12s %14s %9s %9s %5s %13s %13s %s\n"
#define LAT_ROW "%-48s %12s %14s %9s %9s %5.0f %13s %13s %s\n"

static void lat_row_exact(FILE *f, const char *what, double p50, double p99,
			  double avg, double kavg, double n, double ref50,
			  double ref99, double t50, bool target)
{
	char a[40], b[40], c[40], k[40], d[40], e[40], t[40];

	fmt_num(a, sizeof(a), p50);
	fmt_num(b, sizeof(b), p99);
	fmt_num(c, sizeof(c), avg);
	fmt_num(k, sizeof(k), kavg);
	fmt_ratio(d, sizeof(d), p50 / ref50);
	fmt_ratio(e, sizeof(e), p99 / ref99);
	snprintf(t, sizeof(t), "%s/%s",
		 verdict(p50 / ref50, p50 / ref50, t50, true),
		 verdict(p99 / ref99, p99 / ref99, 3, true));
	if (!target)
		t[0] = 0;
	put(f, LAT_ROW, what, a, b, c, k, isnan(n) ? 0 : n, d, e, t);
}

static void lat_row_hist(FILE *f, const char *what, json_object *o,
			 double ref50, double ref99, double t50)
{
	double b50 = getd(o, "kfault_p50_bucket"), b99 = getd(o, "kfault_p99_bucket");
	double lo50 = b50 > 0 ? ldexp(1, (int)b50) : 0, hi50 = ldexp(1, (int)b50 + 1);
	double lo99 = b99 > 0 ? ldexp(1, (int)b99) : 0, hi99 = ldexp(1, (int)b99 + 1);
	char a[40], b[40], k[40], d[40], e[40], t[40];

	fmt_bucket(a, sizeof(a), d, sizeof(d), b50, ref50);
	fmt_bucket(b, sizeof(b), e, sizeof(e), b99, ref99);
	fmt_num(k, sizeof(k), getd(o, "kfault_avg_us"));
	snprintf(t, sizeof(t), "%s/%s",
		 o ? verdict(lo50 / ref50, hi50 / ref50, t50, true) : "n/a",
		 o ? verdict(lo99 / ref99, hi99 / ref99, 3, true) : "n/a");
	put(f, LAT_ROW, what, a, b, "-", k, o ? getd(o, "fault_count") : 0,
	    d, e, t);
}

static void bw_row(FILE *f, const char *what, double pps, double ref,
		   bool target)
{
	char a[32], b[32], c[32];

	fmt_num(a, sizeof(a), pps);
	fmt_num(b, sizeof(b), pps * PAGE / 1e6);
	fmt_ratio(c, sizeof(c), pps / ref);
	put(f, "%-48s %10s %8s %8s %s\n", what, a, b, c,
	    target ? verdict(pps / ref, pps / ref, 0.9, false) : "");
}

/* rxe's counters other than plain traffic that moved during a step. */
static void rxe_notes(FILE *f)
{
	static const char *const plain[] = {
		"sent_pkts", "rcvd_pkts", "rdma_sends", "rdma_recvs",
	};
	bool any = false;
	int i;

	for (i = 0; i < nrecs; i++) {
		json_object *d;
		char line[1024] = "";
		size_t len = 0;

		if (strcmp(gets_(recs[i], "kind"), "rxe") ||
		    !strncmp(gets_(recs[i], "step"), "sweep_", 6) ||
		    !json_object_object_get_ex(recs[i], "delta", &d))
			continue;
		json_object_object_foreach(d, k, v) {
			const char *c = strchr(k, '.');
			unsigned int j;
			bool skip = false;

			for (j = 0; j < 4; j++)
				skip |= c && !strcmp(c + 1, plain[j]);
			if (skip || len >= sizeof(line) - 1)
				continue;
			len += snprintf(line + len, sizeof(line) - len, " %s=%lld",
					k, (long long)json_object_get_int64(v));
		}
		if (!any)
			put(f, "\nrxe counters besides traffic that moved (retransmissions, sequence/RNR errors):\n");
		any = true;
		put(f, "  %-34s%s\n", gets_(recs[i], "step"), len ? line : " none");
	}
}

/* Where an urgent fault's time goes: the medians of the trace step. */
static void trace_table(FILE *f)
{
	static const char *const ts[] = { "rdma", "tcp" };
	json_object *o;
	unsigned int i;
	bool any = false;
	int k;

	for (i = 0; i < 2; i++) {
		o = NULL;
		for (k = nrecs - 1; k >= 0 && !o; k--)
			if (!strcmp(gets_(recs[k], "kind"), "trace") &&
			    !strcmp(gets_(recs[k], "transport"), ts[i]))
				o = recs[k];
		if (!o)
			continue;
		if (!any) {
			put(f, "\nWhere a fault's time goes (one page per fault, heca's tracepoints; medians, us)\n");
			put(f, "%-10s %6s %14s %14s %14s %14s %10s\n", "", "n",
			    "fault->issue", "issue->post", "post->done",
			    "done->return", "total");
		}
		any = true;
		put(f, "%-10s %6.0f %14.1f %14.1f %14.1f %14.1f %10.1f\n", ts[i],
		    getd(o, "n"), getd(o, "fault_issue_us"),
		    getd(o, "issue_post_us"), getd(o, "post_done_us"),
		    getd(o, "done_return_us"), getd(o, "fault_return_us"));
	}
	if (any)
		put(f, "fault->issue: queued until the puller took it; issue->post: fetch and page allocated,\n"
		       "request posted; post->done: the wire and the completion; done->return: the fault woken\n");
}

/* The qperf record of @test ("tcp_lat", "tcp_bw"), or NULL. */
static json_object *qperf_rec(const char *test)
{
	int i;

	for (i = nrecs - 1; i >= 0; i--)
		if (!strcmp(gets_(recs[i], "kind"), "qperf") &&
		    !strcmp(gets_(recs[i], "test"), test))
			return recs[i];
	return NULL;
}

static void link_table(FILE *f)
{
	static const char *const ts[] = { "rdma", "tcp" };
	static const char *const probes[] = {
		"faults", "faults-1page", "faults-1page-inflight1",
	};
	json_object *lat = NULL, *bw = NULL, *o;
	double r50, r99, rbw, qlat, qbw;
	char what[96];
	unsigned int i, j;
	int k;

	/*
	 * The link's figures: of perftest's runs at 4 KiB (busy-polling, CQ
	 * events), the better one, so that ratios are never flattered.
	 */
	for (k = 0; k < nrecs; k++) {
		o = recs[k];
		if (getd(o, "bytes") != 4096)
			continue;
		if (!strcmp(gets_(o, "kind"), "perftest_lat") &&
		    (!lat || getd(o, "t_typical") < getd(lat, "t_typical")))
			lat = o;
		if (!strcmp(gets_(o, "kind"), "perftest_bw") &&
		    (!bw || getd(o, "bw_avg") > getd(bw, "bw_avg")))
			bw = o;
	}
	r50 = getd(lat, "t_typical");
	r99 = getd(lat, "p99");
	/* perftest's MB are MiB; its message rate has too few digits. */
	rbw = getd(bw, "bw_avg") * 1048576 / PAGE;

	o = find("link", NULL, NULL, NAN);
	put(f, "heca against the link: rxe0 <-> rxe1 over the lab's veth pair (soft-RoCE, MTU %.0f, RoCE MTU %.0f), one lab VM\n",
	    o ? getd(o, "mtu") : NAN, o ? getd(o, "rxe_mtu") : NAN);
	put(f, "(nested QEMU TCG on a shared 2-core host: absolute figures are the lab's, not hardware's)\n\n");
	put(f, "Fault service time, 4 KiB pages (us)\n");
	put(f, LAT_HDR, "", "p50", "p99", "avg", "kern avg", "n", "p50/link",
	    "p99/link", "target");
	for (k = 0; k < nrecs; k++) {
		o = recs[k];
		if (strcmp(gets_(o, "kind"), "perftest_lat"))
			continue;
		snprintf(what, sizeof(what), "ib_read_lat -s %.0f, %s%s",
			 getd(o, "bytes"), getd(o, "events") > 0 ?
			 "CQ events" : "busy-polling", o == lat ? " (link)" : "");
		lat_row_exact(f, what, getd(o, "t_typical"), getd(o, "p99"),
			      getd(o, "t_avg"), NAN, getd(o, "iterations"), r50,
			      r99, 1.3, false);
	}
	/* TCP's link: a 4 KiB message's round trip, twice qperf's one way. */
	qlat = 2 * getd(qperf_rec("tcp_lat"), "lat_us");
	lat_row_exact(f, "qperf tcp_lat -m 4096, round trip (TCP link)", qlat,
		      NAN, NAN, NAN, NAN, qlat, NAN, 1.5, false);
	for (i = 0; i < 2; i++) {
		/* RDMA against ib_read_lat; TCP against qperf, p50 only. */
		double ref50 = i ? qlat : r50, ref99 = i ? NAN : r99;
		double t50 = i ? 1.5 : 1.3;

		o = find("migrate", "link", ts[i], NAN);
		snprintf(what, sizeof(what), "heca %s: KVM guest post-copy (kernel, log2)",
			 ts[i]);
		lat_row_hist(f, what, o, ref50, ref99, t50);
		for (j = 0; j < 3; j++) {
			o = find("probe", probes[j], ts[i], NAN);
			if (!o)
				continue;
			if (getd(o, "prefetch_max") > 0)
				snprintf(what, sizeof(what),
					 "heca %s: host faults, prefetch <=%.0f, pull %.0f deep",
					 ts[i], getd(o, "prefetch_max"),
					 getd(o, "max_inflight"));
			else
				snprintf(what, sizeof(what),
					 "heca %s: host faults, 1 page, pull %.0f deep",
					 ts[i], getd(o, "max_inflight"));
			lat_row_exact(f, what, getd(o, "fault_p50_us"),
				      getd(o, "fault_p99_us"),
				      getd(o, "fault_avg_us"),
				      getd(o, "kfault_avg_us"), getd(o, "samples"),
				      ref50, ref99, t50, true);
		}
	}
	put(f, "targets (issue #13): RDMA fault p50 <= 1.3x and p99 <= 3x the link's, TCP p50 <= 1.5x\n");
	put(f, "(yes/no; maybe: the log2 bucket straddles the target); the RDMA link: the ib_read_lat\n");
	put(f, "run with the lower p50 (t_typical; p99: perftest's 99%% percentile); the TCP link: twice\n");
	put(f, "qperf's tcp_lat (one way) with 4 KiB messages, on the same veth (no p99 from qperf)\n\n");

	put(f, "Throughput, 4 KiB pages\n");
	put(f, "%-48s %10s %8s %8s %s\n", "", "pages/s", "MB/s", "/link",
	    "target");
	for (k = 0; k < nrecs; k++) {
		o = recs[k];
		if (strcmp(gets_(o, "kind"), "perftest_bw"))
			continue;
		snprintf(what, sizeof(what), "ib_read_bw -s %.0f, %s%s",
			 getd(o, "bytes"), getd(o, "events") > 0 ?
			 "CQ events" : "busy-polling", o == bw ? " (link)" : "");
		bw_row(f, what, getd(o, "bw_avg") * 1048576 / PAGE, rbw, false);
	}
	qbw = getd(qperf_rec("tcp_bw"), "bw_MBps") * 1e6 / PAGE;
	bw_row(f, "qperf tcp_bw -m 4096 (TCP link)", qbw, qbw, false);
	for (i = 0; i < 2; i++) {
		double ref = i ? qbw : rbw;

		snprintf(what, sizeof(what), "heca %s: background pull alone", ts[i]);
		bw_row(f, what, getd(find("probe", "pull", ts[i], NAN),
				     "pull_pages_per_s"), ref, true);
		snprintf(what, sizeof(what), "heca %s: pull with host faults", ts[i]);
		bw_row(f, what, getd(find("probe", "faults", ts[i], NAN),
				     "pull_pages_per_s"), ref, false);
		snprintf(what, sizeof(what), "heca %s: KVM guest post-copy", ts[i]);
		bw_row(f, what, getd(find("migrate", "link", ts[i], NAN),
				     "pull_pages_per_s"), ref, false);
	}
	put(f, "target (issue #13): background pull >= 0.90x the link's: RDMA the faster ib_read_bw at\n");
	put(f, "4 KiB, TCP qperf's tcp_bw with 4 KiB messages;\n");
	put(f, "pull = pages the source has / (switchover -> every page present); MB = 10^6 bytes\n");
	rxe_notes(f);
	trace_table(f);
}

static const char *const modes[] = { "precopy", "postcopy", "hybrid" };

static int cmp_rate(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int c = strcmp(gets_(y, "transport"), gets_(x, "transport"));
	double tx = getd(x, "throttle_us"), ty = getd(y, "throttle_us");
	unsigned int mx = 0, my = 0, i;

	if (c)
		return c;	/* tcp before rdma */
	/* The slowest writer (the longest pause per page) first, 0 last. */
	if (tx != ty)
		return tx < ty ? 1 : -1;
	for (i = 0; i < 3; i++) {
		mx = strcmp(gets_(x, "mode"), modes[i]) ? mx : i;
		my = strcmp(gets_(y, "mode"), modes[i]) ? my : i;
	}
	return (int)mx - (int)my;
}

static void sweep_table(FILE *f, FILE *dat, FILE *names)
{
	json_object *s[MAX_RECORDS];
	int n = 0, i, m, blocks = 0;
	const char *tr[] = { "tcp", "rdma" };
	unsigned int t;

	for (i = 0; i < nrecs; i++)
		if (!strcmp(gets_(recs[i], "kind"), "migrate") &&
		    !strcmp(gets_(recs[i], "label"), "sweep"))
			s[n++] = recs[i];
	qsort(s, n, sizeof(*s), cmp_rate);
	put(f, "Migration modes over a sweep of guest dirty rates (verifying KVM guest, %.0f MiB region,\n",
	    n ? getd(s[0], "mem_mib") : 0);
	put(f, "policy: --timeout %.0f ms, --downtime-ms %.0f; one run each)\n\n",
	    n ? getd(s[0], "timeout_ms") : 0,
	    n ? getd(s[0], "downtime_budget_ms") : 0);
	put(f, "%-4s %-8s %8s %11s %-9s %6s %6s %9s %7s %6s %8s %8s %10s %9s\n",
	    "tr", "mode", "pacing", "dirty MB/s", "end", "rounds", "paused",
	    "downtime", "switch", "vmm", "total", "wire MB", "pages sent",
	    "on demand");
	put(f, "%-4s %-8s %8s %11s %-9s %6s %6s %9s %7s %6s %8s\n", "", "",
	    "us/page", "alone/migr", "", "", "at s", "ms", "ms", "ms", "s");
	for (i = 0; i < n; i++) {
		double vmm = getd(s[i], "pause_ms") + getd(s[i], "handover_ms") +
			     getd(s[i], "resume_ms");

		char migr[16] = "-";

		if (getd(s[i], "rounds") > 0)
			snprintf(migr, sizeof(migr), "%.2f",
				 getd(s[i], "dirty_pages_per_s_migrating") *
				 PAGE / 1e6);
		put(f, "%-4s %-8s %8.0f %5.2f/%-5s %-9.9s %6.0f %6.1f %9.1f %7.1f %6.1f %8.1f %8.1f %10.0f %9.0f\n",
		    gets_(s[i], "transport"), gets_(s[i], "mode"),
		    getd(s[i], "throttle_us"), getd(s[i], "dirty_mb_per_s"),
		    migr, gets_(s[i], "end"), getd(s[i], "rounds"),
		    getd(s[i], "migrating_ms") / 1e3,
		    getd(s[i], "downtime_ms"), getd(s[i], "switchover_ms"), vmm,
		    getd(s[i], "total_ms") / 1e3,
		    getd(s[i], "wire_bytes") / 1e6, getd(s[i], "pages_fetched"),
		    getd(s[i], "pages_on_demand"));
	}
	put(f, "pacing: the guest's pause per page (0: as fast as it goes); dirty MB/s: its write rate\n");
	put(f, "alone / while the rounds ran (pages rewritten per s x 4096; post-copy has no rounds);\n");
	put(f, "paused at: when the policy paused the guest, from the start of the migration (the\n");
	put(f, "timeout is when pre-copy is forced and hybrid switches);\n");
	put(f, "downtime: pause -> resumed at the destination, of which switch = heca's switchover\n");
	put(f, "ioctl and vmm = the test VMM stopping the source vCPU, loading the registers into\n");
	put(f, "the destination VM (made beforehand, as QEMU -incoming does) and starting it; the\n");
	put(f, "rest is pre-copy's last pages; total: start of the first round (or of the\n");
	put(f, "switchover) -> every page at the destination; wire: session bytes both ways (the\n");
	put(f, "destination's count); pages sent: pages fetched, re-sent dirty pages included\n");

	/* Plot data: one block per (transport, mode), by rate. */
	for (t = 0; t < 2; t++) {
		for (m = 0; m < 3; m++) {
			int rows = 0;

			for (i = 0; i < n; i++) {
				if (strcmp(gets_(s[i], "transport"), tr[t]) ||
				    strcmp(gets_(s[i], "mode"), modes[m]))
					continue;
				if (!rows++) {
					fprintf(names, "%s%s-%s", blocks ? " " : "",
						tr[t], modes[m]);
					fprintf(dat, "%s%s-%s nominal_MBps measured_MBps downtime_ms total_s wire_MB\n",
						blocks++ ? "\n\n" : "", tr[t],
						modes[m]);
				}
				double th = getd(s[i], "throttle_us");

				if (th > 0)
					fprintf(dat, "%.2g %.4f ", PAGE / th,
						PAGE / th);
				else
					fprintf(dat, "unpaced NaN ");
				fprintf(dat, "%.4f %.2f %.3f %.2f\n",
					getd(s[i], "dirty_mb_per_s"),
					getd(s[i], "downtime_ms"),
					getd(s[i], "total_ms") / 1e3,
					getd(s[i], "wire_bytes") / 1e6);
			}
		}
	}
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

static int cmd_report(const char *results, const char *dir)
{
	FILE *in = fopen(results, "r"), *f, *dat, *names;
	char *line = NULL;
	size_t cap = 0;
	bool any_sweep = false, bad = false;
	int i;

	if (!in)
		die("%s: %s", results, strerror(errno));
	while (getline(&line, &cap, in) > 0 && nrecs < MAX_RECORDS) {
		json_object *o = json_tokener_parse(line);

		if (!o || !json_object_is_type(o, json_type_object)) {
			fprintf(stderr, "heca_bench: %s: skipped, not a JSON object: %s",
				results, line);
			json_object_put(o);
			bad = true;
			continue;
		}
		recs[nrecs++] = o;
	}
	free(line);
	fclose(in);

	f = open_out(dir, "link.txt");
	link_table(f);
	fclose(f);
	for (i = 0; i < nrecs; i++)
		any_sweep |= !strcmp(gets_(recs[i], "label"), "sweep");
	if (any_sweep) {
		putchar('\n');
		f = open_out(dir, "sweep.txt");
		dat = open_out(dir, "sweep.dat");
		names = open_out(dir, "sweep.names");
		sweep_table(f, dat, names);
		fputc('\n', names);
		fclose(f);
		fclose(dat);
		fclose(names);
	}
	for (i = 0; i < nrecs; i++)
		json_object_put(recs[i]);
	return bad;
}

int main(int argc, char **argv)
{
	pthread_condattr_t ca;

	if (argc < 2)
		usage();
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pace_cond, &ca);
	srand(time(NULL) ^ getpid());
	if (!strcmp(argv[1], "migrate"))
		return cmd_migrate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report") && argc == 4)
		return cmd_report(argv[2], argv[3]);
	usage();
	return 2;
}
