// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for heca.ko's devices, for hecactl's command-line tests on a
 * host that cannot load modules.  LD_PRELOAD it and point HECA_CONTROL at
 * /dev/null (or at a symlink to it, with symlinks to /dev/null as region
 * nodes beside it): HECA_IOC_* ioctls on such an fd are answered here,
 * checking the arguments the way uapi/linux/heca.h says the module does
 * (argsz, flags and reserved fields -> EINVAL).  open() is wrapped to learn
 * which region node an fd is.  Each run starts from:
 *
 *   FAKE_HECA_REGIONS  "name:size:resident_pages:users[:dest],..." (default
 *                      none); for a destination, resident_pages is what the
 *                      source has (0: half the region)
 *   FAKE_HECA_ERRNO    fail every heca ioctl but VERSION with this errno
 *   FAKE_HECA_VERSION_ERRNO  fail VERSION with this errno
 *   FAKE_HECA_ABI      abi_version that HECA_IOC_VERSION reports
 *   FAKE_HECA_GROW     regions that appear after the first LIST call
 *   FAKE_HECA_LOG      a file that gets one line per heca ioctl (not WAIT
 *                      and STATS)
 *
 * and, for sessions (one simulated session per region):
 *
 *   FAKE_HECA_STATE    every region's session at the start: none (default),
 *                      connected, running, complete, or failed:ERRNO
 *   FAKE_HECA_REFUSE   the first N SESSION_STARTs of a source find nobody
 *                      listening (ECONNREFUSED)
 *   FAKE_HECA_START_ERRNO  SESSION_START fails with this errno
 *   FAKE_HECA_STEPS    steps from the switchover to completion (default 2):
 *                      a WAIT takes one per second of its timeout (at least
 *                      one, and returns once the state is reached); a
 *                      destination sees the switchover at its first step
 *   FAKE_HECA_RDMA     1: HECA_TRANSPORT_RDMA is accepted (else
 *                      EPROTONOSUPPORT, as before the RDMA transport)
 *   FAKE_HECA_SWITCH_ERRNO  SWITCHOVER fails the session with this errno
 *   FAKE_HECA_FAIL     the session fails with this errno at the first WAIT
 *                      step after the switchover
 *   FAKE_HECA_SLEEP    SESSION_START and each step of a WAIT first sleep
 *                      this many ms (at most their timeout); a signal ends
 *                      the sleep and the ioctl with EINTR, as in the module
 *
 * and for pre-copy rounds (HECA_IOC_ROUND, HECA_IOC_WAIT with
 * HECA_WAIT_SYNCED), logged as "ROUND name number pages":
 *
 *   FAKE_HECA_DIRTY    "N1,N2,...": the pages of round 1, 2, ... (the last
 *                      one repeats); default: round 1 the source's resident
 *                      pages, each later one a quarter of the one before;
 *                      after the switchover, the next value moves
 *   FAKE_HECA_RATE     pages per ms the destination takes a round at
 *                      (default 100, ~400 MB/s): a SYNCED WAIT returns once
 *                      the round's time is over, else sleeps its timeout
 *                      and fails with ETIMEDOUT; 0: rounds never sync
 *   FAKE_HECA_ROUND_ERRNO  ROUND fails the session with this errno
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <linux/heca.h>

struct region {
	char name[HECA_NAME_MAX];
	uint64_t size, resident;
	uint32_t users, flags;
	/* its session */
	uint32_t state, error, transport;
	unsigned int step;	/* WAIT steps since the switchover */
	/* pre-copy */
	uint32_t round, synced;
	uint64_t round_pages;	/* in every round */
	uint64_t last_pages;	/* in the last round */
	uint64_t due_ns;	/* when the last round is at the destination */
};

static struct region regions[HECA_MAX_REGIONS + 16];
static unsigned int nregions;
static int loaded, list_calls, refused;

/* Which region node each fd is (by the name it was opened with). */
#define FAKE_FDS	1024
static char fd_names[FAKE_FDS][HECA_NAME_MAX];

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : dflt;
}

static void initial_state(struct region *r)
{
	const char *s = getenv("FAKE_HECA_STATE");

	r->state = HECA_STATE_NONE;
	if (!s || !*s)
		return;
	if (!strcmp(s, "connected"))
		r->state = HECA_STATE_CONNECTED;
	else if (!strcmp(s, "running"))
		r->state = HECA_STATE_RUNNING;
	else if (!strcmp(s, "complete"))
		r->state = HECA_STATE_COMPLETE;
	else if (!strncmp(s, "failed:", 7)) {
		r->state = HECA_STATE_FAILED;
		r->error = (uint32_t)atoi(s + 7);
	}
	if (r->state != HECA_STATE_NONE)
		r->transport = HECA_TRANSPORT_TCP;
	if (r->state == HECA_STATE_RUNNING)
		r->step = 1;
	if (r->state == HECA_STATE_COMPLETE)
		r->step = (unsigned int)env_int("FAKE_HECA_STEPS", 2);
	if (r->state == HECA_STATE_FAILED)
		r->step = 1;
}

static void load(void)
{
	const char *s = getenv("FAKE_HECA_REGIONS");

	if (loaded++)
		return;
	while (s && *s && nregions < HECA_MAX_REGIONS) {
		struct region *r = &regions[nregions];
		int n = 0;

		if (sscanf(s, "%31[^:]:%" SCNu64 ":%" SCNu64 ":%" SCNu32 "%n",
			   r->name, &r->size, &r->resident, &r->users, &n) != 4)
			break;
		s += n;
		if (!strncmp(s, ":dest", 5)) {
			r->flags = HECA_REGION_DEST;
			s += 5;
		}
		initial_state(r);
		nregions++;
		if (*s == ',')
			s++;
	}
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	const char *path = getenv("FAKE_HECA_LOG");
	FILE *f;
	va_list ap;

	if (!path || !(f = fopen(path, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static int is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

static struct region *find(const char *name)
{
	for (unsigned int i = 0; i < nregions; i++)
		if (!strncmp(regions[i].name, name, HECA_NAME_MAX))
			return &regions[i];
	return NULL;
}

/* Sleep FAKE_HECA_SLEEP ms, at most @timeout_ms; -1 if a signal came. */
static int fake_sleep(uint32_t timeout_ms)
{
	int ms = env_int("FAKE_HECA_SLEEP", 0);
	struct timespec t;

	if (ms <= 0)
		return 0;
	if (timeout_ms && (uint32_t)ms > timeout_ms)
		ms = (int)timeout_ms;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (long)(ms % 1000) * 1000000;
	return nanosleep(&t, NULL) ? -1 : 0;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Round @n's pages (see FAKE_HECA_DIRTY); @prev is round n-1's. */
static uint64_t dirty_pages(const struct region *r, uint32_t n, uint64_t prev)
{
	const char *s = getenv("FAKE_HECA_DIRTY");
	uint64_t v = 0;

	if (!s || !*s)
		return n == 1 ? r->resident : prev / 4;
	for (uint32_t i = 1; i <= n; i++) {
		char *end;

		v = strtoull(s, &end, 10);
		if (*end != ',')
			break;
		s = end + 1;
	}
	return v;
}

/* What moves after the switchover: all of it, or what the rounds left. */
static uint64_t final_pages(const struct region *r)
{
	return r->round ? dirty_pages(r, r->round + 1, r->last_pages) : r->resident;
}

static unsigned int steps(void)
{
	int n = env_int("FAKE_HECA_STEPS", 2);

	return n > 0 ? (unsigned int)n : 1;
}

/*
 * Plausible figures for @r's session: the source has resident pages (a
 * destination: its resident field, or half the region); they move evenly
 * over the steps; an eighth comes on demand, with fault service times of
 * which a quarter is in [64, 128) us, a half in [128, 256) and a quarter in
 * [1024, 2048).
 */
static void fill_stats(const struct region *r, struct heca_stats *st)
{
	bool dest = r->flags & HECA_REGION_DEST;
	uint64_t total = r->size / 4096, remote, moved, d, fin;
	unsigned int n = steps(), step = r->step < n ? r->step : n;

	remote = dest ? (r->resident ? r->resident : total / 2) : r->resident;
	moved = r->state == HECA_STATE_COMPLETE ? remote : remote * step / n;
	st->round = r->round;
	st->synced_round = r->synced;
	st->state = r->state;
	st->error = r->error;
	st->transport = r->transport;
	st->role = dest;
	st->pages_total = total;
	st->pages_present = dest ? moved : r->resident;
	st->pages_remote = remote;
	if (dest && (r->state == HECA_STATE_NONE || r->state == HECA_STATE_CONNECTED))
		st->pages_remote = 0;	/* known at the switchover */
	if (r->state == HECA_STATE_NONE)
		return;
	st->requests = (moved + 7) / 8;
	st->elapsed_ns = (uint64_t)step * 250000000ULL;
	if (!dest) {
		fin = r->state == HECA_STATE_CONNECTED ? 0 : final_pages(r);
		moved = r->state == HECA_STATE_COMPLETE ? fin : fin * step / n;
		st->requests = (moved + 7) / 8;
		moved += r->round_pages;
		st->pages_sent = moved;
		st->bytes_tx = moved * 4096 + st->requests * 40 + 64;
		st->bytes_rx = st->requests * 40 + 56;
		return;
	}
	d = moved / 8;
	st->pages_zero = step ? 3 : 0;
	st->pages_on_demand = d;
	st->pages_prefetched = moved - d;
	st->prefetch_pages = (moved - d) / 4;
	st->prefetch_used = st->prefetch_pages / 4 * 3;
	st->bytes_rx = moved * 4096 + st->requests * 40 + 64;
	st->bytes_tx = st->requests * 40 + 56;
	st->faults = d + 1;
	st->faults_nowait = d;
	st->faults_async = 1;
	st->fault_count = d;
	if (!d)
		return;
	st->fault_hist[6] = d / 4;
	st->fault_hist[7] = d / 2;
	st->fault_hist[10] = d - d / 4 - d / 2;
	st->fault_ns_min = 80000;
	st->fault_ns_max = 1500000;
	st->fault_ns_sum = (d / 4) * 100000 + (d / 2) * 190000 +
			   (d - d / 4 - d / 2) * 1400000ULL;
}

static struct region *region_of(int fd)
{
	if (fd < 0 || fd >= FAKE_FDS || !fd_names[fd][0])
		return NULL;
	return find(fd_names[fd]);
}

static bool live(const struct region *r)
{
	return r->state == HECA_STATE_CONNECTED || r->state == HECA_STATE_RUNNING;
}

static int session_start(struct region *r, struct heca_session_start *a)
{
	char addr[INET6_ADDRSTRLEN] = "?", tok[2 * HECA_TOKEN_BYTES + 1];
	bool dest = r->flags & HECA_REGION_DEST;
	const char *e;

	if (a->argsz != sizeof(*a) || a->flags || a->reserved0 ||
	    !is_zero(a->reserved, sizeof(a->reserved)))
		return EINVAL;
	if (a->transport != HECA_TRANSPORT_TCP && a->transport != HECA_TRANSPORT_RDMA)
		return EINVAL;
	if (a->timeout_ms > 3600000 || a->fault_timeout_ms > 3600000)
		return EINVAL;
	if ((a->addr.family != AF_INET && a->addr.family != AF_INET6) || !a->addr.port)
		return EINVAL;
	if (is_zero(a->token, sizeof(a->token)))
		return EINVAL;
	if (a->transport == HECA_TRANSPORT_RDMA && !env_int("FAKE_HECA_RDMA", 0))
		return EPROTONOSUPPORT;
	inet_ntop(a->addr.family, a->addr.addr, addr, sizeof(addr));
	for (int i = 0; i < HECA_TOKEN_BYTES; i++)
		snprintf(tok + 2 * i, 3, "%02x", a->token[i]);
	logf_("START %s %s %s %s port %u scope %u timeout %u fault %u token %s\n",
	      r->name, dest ? "dest" : "source",
	      a->transport == HECA_TRANSPORT_RDMA ? "rdma" : "tcp", addr, a->addr.port,
	      a->addr.scope_id, a->timeout_ms, a->fault_timeout_ms, tok);
	if (live(r))
		return EBUSY;
	if (fake_sleep(a->timeout_ms))
		return EINTR;
	if (!dest && refused < env_int("FAKE_HECA_REFUSE", 0)) {
		refused++;
		return ECONNREFUSED;
	}
	e = getenv("FAKE_HECA_START_ERRNO");
	if (e && *e)
		return atoi(e);
	r->state = HECA_STATE_CONNECTED;
	r->error = 0;
	r->transport = a->transport;
	r->step = 0;
	r->round = r->synced = 0;
	r->round_pages = r->last_pages = 0;
	return 0;
}

static int session_round(struct region *r, struct heca_round *a)
{
	int rate = env_int("FAKE_HECA_RATE", 100), err;
	uint64_t now = now_ns();

	if (a->argsz != sizeof(*a) || a->flags || a->reserved0 ||
	    !is_zero(a->reserved, sizeof(a->reserved)))
		return EINVAL;
	if (r->flags & HECA_REGION_DEST)
		return EINVAL;
	if (!live(r))
		return ENOTCONN;
	if (r->state != HECA_STATE_CONNECTED)
		return EINVAL;
	err = env_int("FAKE_HECA_ROUND_ERRNO", 0);
	if (err) {
		logf_("ROUND %s failed %d\n", r->name, err);
		if (err != EOPNOTSUPP) {
			r->state = HECA_STATE_FAILED;
			r->error = (uint32_t)err;
		}
		return err;
	}
	a->round = ++r->round;
	a->pages = dirty_pages(r, r->round, r->last_pages);
	r->last_pages = a->pages;
	r->round_pages += a->pages;
	/* The destination takes the rounds one after the other. */
	if (r->due_ns < now)
		r->due_ns = now;
	r->due_ns = rate > 0 ? r->due_ns + a->pages * 1000000ULL / (uint64_t)rate : UINT64_MAX;
	logf_("ROUND %s %u %" PRIu64 "\n", r->name, a->round, (uint64_t)a->pages);
	return 0;
}

/* HECA_WAIT_SYNCED: until the round's time is over, at most the timeout. */
static int wait_synced(struct region *r, struct heca_wait *w)
{
	uint64_t now = now_ns(), until = now + (uint64_t)w->timeout_ms * 1000000ULL;
	struct timespec t;

	if ((r->flags & HECA_REGION_DEST) || !w->round)
		return EINVAL;
	if (w->round <= r->round && r->due_ns < until)
		until = r->due_ns;
	if (until > now && r->state != HECA_STATE_FAILED) {
		t.tv_sec = (time_t)((until - now) / 1000000000ULL);
		t.tv_nsec = (long)((until - now) % 1000000000ULL);
		if (nanosleep(&t, NULL))
			return EINTR;
	}
	if (w->round <= r->round && now_ns() >= r->due_ns)
		r->synced = r->round;
	w->state = r->state;
	w->error = r->error;
	w->round = r->synced;
	if (r->state == HECA_STATE_FAILED)
		return EIO;
	return r->synced >= w->round && w->round ? 0 : ETIMEDOUT;
}

/* One step of a session towards completion. */
static void step(struct region *r)
{
	int fail = env_int("FAKE_HECA_FAIL", 0);

	if ((r->flags & HECA_REGION_DEST) && r->state == HECA_STATE_CONNECTED) {
		r->state = HECA_STATE_RUNNING;	/* the source switched over */
	} else if (r->state == HECA_STATE_RUNNING) {
		r->step++;
		if (fail) {
			r->state = HECA_STATE_FAILED;
			r->error = (uint32_t)fail;
		} else if (r->step >= steps()) {
			r->state = HECA_STATE_COMPLETE;
		}
	}
}

static int session_wait(struct region *r, struct heca_wait *w)
{
	uint32_t want = w->state, n = w->timeout_ms / 1000;

	if (w->argsz != sizeof(*w) || (w->flags & ~HECA_WAIT_SYNCED) ||
	    !is_zero(w->reserved, sizeof(w->reserved)) || w->timeout_ms > 3600000)
		return EINVAL;
	if (w->flags & HECA_WAIT_SYNCED)
		return wait_synced(r, w);
	if (w->state < HECA_STATE_CONNECTED || w->state > HECA_STATE_COMPLETE)
		return EINVAL;
	/* A step per second of the timeout, until the state is reached. */
	for (uint32_t i = 0; i < (n ? n : 1); i++) {
		bool moving = r->state == HECA_STATE_RUNNING ||
			      ((r->flags & HECA_REGION_DEST) &&
			       r->state == HECA_STATE_CONNECTED);

		if (w->timeout_ms && fake_sleep(w->timeout_ms))
			return EINTR;
		step(r);
		if (!moving || r->state == HECA_STATE_FAILED ||
		    (r->state != HECA_STATE_NONE && r->state >= want))
			break;
	}
	w->state = r->state;
	w->error = r->error;
	if (r->state == HECA_STATE_FAILED)
		return EIO;
	return r->state != HECA_STATE_NONE && r->state >= want ? 0 : ETIMEDOUT;
}

static int region_ioctl(int fd, unsigned long req, void *arg)
{
	struct region *r = region_of(fd);

	if (!r)
		return ENOTTY;	/* the control device */
	if (req == HECA_IOC_SESSION_START)
		return session_start(r, arg);
	if (req == HECA_IOC_ROUND)
		return session_round(r, arg);
	if (req == HECA_IOC_SWITCHOVER) {
		struct heca_switchover *sw = arg;

		if (sw->argsz != sizeof(*sw) || sw->flags ||
		    !is_zero(sw->reserved, sizeof(sw->reserved)))
			return EINVAL;
		if (r->flags & HECA_REGION_DEST)
			return EINVAL;
		logf_("SWITCHOVER %s\n", r->name);
		if (!live(r))
			return ENOTCONN;
		if (r->state != HECA_STATE_CONNECTED)
			return EINVAL;
		if (env_int("FAKE_HECA_SWITCH_ERRNO", 0)) {
			r->state = HECA_STATE_FAILED;
			r->error = (uint32_t)env_int("FAKE_HECA_SWITCH_ERRNO", 0);
			return (int)r->error;
		}
		r->state = HECA_STATE_RUNNING;
		r->step = 0;
		return 0;
	}
	if (req == HECA_IOC_WAIT) {
		struct heca_wait *w = arg;
		uint32_t want = w->state;
		int err = session_wait(r, w);

		if (err == EINVAL || err == EINTR)
			w->state = want;	/* the module copies nothing back */
		return err;
	}
	if (req == HECA_IOC_STATS) {
		struct heca_stats *st = arg;

		if (st->argsz != sizeof(*st) || st->flags)
			return EINVAL;
		memset(st, 0, sizeof(*st));
		st->argsz = sizeof(*st);
		fill_stats(r, st);
		return 0;
	}
	if (req == HECA_IOC_SESSION_ABORT) {
		logf_("ABORT %s\n", r->name);
		if (!live(r))
			return ENOTCONN;
		r->state = HECA_STATE_FAILED;
		r->error = ECANCELED;
		return 0;
	}
	return ENOTTY;
}

static int fake(int fd, unsigned long req, void *arg)
{
	const char *e = getenv(req == HECA_IOC_VERSION ? "FAKE_HECA_VERSION_ERRNO" :
			       "FAKE_HECA_ERRNO");

	load();
	if (e && *e)
		return atoi(e);

	if (req == HECA_IOC_VERSION) {
		struct heca_version *v = arg;
		const char *abi = getenv("FAKE_HECA_ABI");

		if (v->argsz != sizeof(*v) || v->flags || !is_zero(v->reserved, sizeof(v->reserved)))
			return EINVAL;
		v->abi_version = abi ? (uint32_t)atoi(abi) : HECA_ABI_VERSION;
		v->max_regions = HECA_MAX_REGIONS;
		v->max_region_bytes = HECA_REGION_MAX_BYTES;
		v->page_size = 4096;
		logf_("VERSION\n");
		return 0;
	}
	if (_IOC_NR(req) >= 0x10)
		return region_ioctl(fd, req, arg);
	if (req == HECA_IOC_REGION_CREATE) {
		struct heca_region_create *c = arg;
		struct region *r;

		if (c->argsz != sizeof(*c) || (c->flags & ~HECA_REGION_DEST) ||
		    !is_zero(c->reserved, sizeof(c->reserved)))
			return EINVAL;
		if (!memchr(c->name, 0, sizeof(c->name)) || !c->size || c->size % 4096 ||
		    c->size > HECA_REGION_MAX_BYTES)
			return EINVAL;
		logf_("CREATE %s %" PRIu64 "%s\n", c->name, (uint64_t)c->size,
		      c->flags ? " dest" : "");
		if (find(c->name))
			return EEXIST;
		if (nregions >= HECA_MAX_REGIONS)
			return ENOSPC;
		r = &regions[nregions++];	/* for the rest of this run */
		memset(r, 0, sizeof(*r));
		memcpy(r->name, c->name, sizeof(r->name));
		r->size = c->size;
		r->flags = c->flags;
		return 0;
	}
	if (req == HECA_IOC_REGION_DESTROY) {
		struct heca_region_destroy *d = arg;
		struct region *r;

		if (d->argsz != sizeof(*d) || d->flags || !is_zero(d->reserved, sizeof(d->reserved)))
			return EINVAL;
		if (!memchr(d->name, 0, sizeof(d->name)))
			return EINVAL;
		logf_("DESTROY %s\n", d->name);
		r = find(d->name);
		if (!r)
			return ENOENT;
		return r->users ? EBUSY : 0;
	}
	if (req == HECA_IOC_REGION_LIST) {
		struct heca_region_list *l = arg;
		struct heca_region_info *out = (void *)(uintptr_t)l->entries;
		const char *grow = getenv("FAKE_HECA_GROW");
		unsigned int n;

		if (l->argsz != sizeof(*l) || l->flags || l->reserved0 ||
		    !is_zero(l->reserved, sizeof(l->reserved)))
			return EINVAL;
		if (l->count && !out)
			return EFAULT;
		logf_("LIST count=%" PRIu32 "\n", (uint32_t)l->count);
		if (list_calls++ == 1 && grow) {
			/* regions created between the first and second call */
			for (int i = atoi(grow); i > 0 && nregions < HECA_MAX_REGIONS; i--) {
				struct region *r = &regions[nregions];

				snprintf(r->name, sizeof(r->name), "new%u", nregions);
				r->size = 4096;
				nregions++;
			}
		}
		n = l->count < nregions ? l->count : nregions;
		for (unsigned int i = 0; i < n; i++) {
			memset(&out[i], 0, sizeof(out[i]));
			memcpy(out[i].name, regions[i].name, sizeof(out[i].name));
			out[i].size = regions[i].size;
			out[i].resident = regions[i].resident;
			out[i].users = regions[i].users;
			out[i].flags = regions[i].flags;
			out[i].dev_major = 1;	/* /dev/null, what the nodes are */
			out[i].dev_minor = 3;
		}
		l->count = nregions;
		return 0;
	}
	return ENOTTY;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	struct stat st;
	va_list ap;
	void *arg;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (_IOC_TYPE(req) == HECA_IOC_MAGIC && fstat(fd, &st) == 0 &&
	    S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) /* /dev/null */) {
		err = fake(fd, req, arg);
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}

/* Remember which region node each fd is: the last part of its path. */
static int wrap_open(const char *sym, const char *path, int flags, mode_t mode)
{
	int (*real_open)(const char *, int, ...);
	const char *base;
	int fd;

	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);
	fd = real_open(path, flags, mode);
	if (fd >= 0 && fd < FAKE_FDS) {
		base = strrchr(path, '/');
		snprintf(fd_names[fd], sizeof(fd_names[fd]), "%s", base ? base + 1 : path);
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return wrap_open("open", path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return wrap_open("open64", path, flags, mode);
}
