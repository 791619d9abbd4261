// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: what the session commands share (see session.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "hecactl.h"
#include "session.h"
#include "stats.h"
#include "heca.h"

int hc_token_arg(const char *path, const char *hex, const char *file,
		 uint8_t out[HECA_TOKEN_BYTES])
{
	char why[128];
	int err;

	if (hex && file)
		return hc_usage_err(path, "give either --token or --token-file, not both");
	if (!hex && !file)
		return hc_usage_err(path, "missing --token HEX or --token-file PATH ('hecactl token' makes one)");
	if (hex) {
		if (heca_parse_token(hex, out, why, sizeof(why)))
			return hc_usage_err(path, "invalid token: %s", why);
		return 0;
	}
	err = heca_read_token_file(file, out, why, sizeof(why));
	if (err > 0) {
		hc_err("%s: cannot read the token file %s: %s", path, file,
		       strerror(err));
		return HC_EXIT_FAIL;
	}
	if (err)
		return hc_usage_err(path, "invalid token file %s: %s", file, why);
	return 0;
}

static const struct hc_errmap list_errors[] = {
	{ E2BIG, "the module reports more regions than hecactl accepts", NULL },
	{ EAGAIN, "the set of regions kept changing while it was read", "try again" },
	{ 0, NULL, NULL },
};

int hc_session_init(struct hc_session *s, const char *path, const char *name,
		    bool *found)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->name = name;
	s->ctl = -1;
	s->fd = -1;
	snprintf(s->what, sizeof(s->what), "%s %s", path, name);
	if (found)
		*found = false;

	s->ctl = hc_control_open(false);
	if (s->ctl < 0)
		return HC_EXIT_FAIL;
	err = -heca_region_find(s->ctl, name, &s->info);
	if (!err) {
		if (found)
			*found = true;
		return 0;
	}
	if (err == ENOENT && found)
		return 0;
	if (err == ENOENT) {
		hc_err("%s: no region named %s: see 'hecactl region list'",
		       s->what, name);
		return HC_EXIT_FAIL;
	}
	return hc_report(s->ctl, s->what, err, list_errors);
}

int hc_session_open(struct hc_session *s, int flags)
{
	s->fd = hc_region_open(s->what, &s->info, flags);
	return s->fd < 0 ? HC_EXIT_FAIL : 0;
}

void hc_session_close(struct hc_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->ctl >= 0)
		close(s->ctl);
	s->fd = -1;
	s->ctl = -1;
}

int hc_session_stats(const struct hc_session *s, struct heca_stats *st)
{
	int err = heca_stats(s->fd, st);

	if (err)
		errno = -err;
	return err ? -1 : 0;
}

#define HC_SESSION_MAP_MAX	32

int hc_session_report(const struct hc_session *s, int err,
		      const struct hc_errmap *map)
{
	char busy[96], none[96], busy_hint[160], none_hint[96];
	const struct hc_errmap session_errors[] = {
		{ EBUSY, busy, busy_hint },
		{ ENOTCONN, none, none_hint },
		{ ENODEV, "the region was destroyed meanwhile", NULL },
		{ ECONNRESET, "the peer closed the connection", NULL },
		{ EPIPE, "the connection to the peer broke", NULL },
		{ EPROTO, "the peer does not speak heca's protocol, or sent something unexpected",
		  "is it heca at the other end, of the same version?" },
		{ ECANCELED, "the session was aborted", NULL },
		{ 0, NULL, NULL },
	};
	struct hc_errmap all[HC_SESSION_MAP_MAX];
	size_t n = 0;

	snprintf(busy, sizeof(busy), "a session is already running on %s", s->name);
	snprintf(busy_hint, sizeof(busy_hint),
		 "see 'hecactl status %s'; 'hecactl abort %s' ends it", s->name,
		 s->name);
	snprintf(none, sizeof(none), "no session on %s", s->name);
	snprintf(none_hint, sizeof(none_hint), "see 'hecactl status %s'", s->name);
	for (; map && map->err && n < HC_SESSION_MAP_MAX - 1; map++)
		all[n++] = *map;
	for (const struct hc_errmap *m = session_errors;
	     m->err && n < HC_SESSION_MAP_MAX - 1; m++)
		all[n++] = *m;
	all[n] = (struct hc_errmap){ 0, NULL, NULL };
	return hc_report(s->ctl, s->what, err, all);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

void hc_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* no SA_RESTART: ioctls return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

bool hc_interrupted(void)
{
	return interrupted != 0;
}

void hc_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* The progress line, cut to the terminal's width. */
static void show_progress(const struct hc_session *s, const struct heca_stats *st,
			  double mbps)
{
	char line[256];
	struct winsize ws;
	size_t cols = sizeof(line) - 1;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 1 &&
	    (size_t)ws.ws_col - 1 < cols)
		cols = (size_t)ws.ws_col - 1;
	hc_format_progress(line, sizeof(line), s->name, st, mbps);
	line[cols] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

static void clear_progress(bool *shown)
{
	if (*shown)
		fputs("\r\033[K", stderr);
	fflush(stderr);
	*shown = false;
}

/* Why a session failed, as far as hecactl can tell, or NULL. */
static const char *failure_hint(uint32_t err, bool dest)
{
	switch (err) {
	case ECANCELED:
		return "it was aborted ('hecactl abort' here or on the peer)";
	case ETIMEDOUT:
		return dest ? "a page did not come within the fault timeout, or the source stopped answering; see the kernel log (dmesg)" :
			      "the destination stopped answering in time; see the kernel log (dmesg)";
	case ECONNRESET:
	case EPIPE:
		return "the connection to the peer was lost; see the kernel log (dmesg)";
	case EPROTO:
		return "the peer sent something heca does not expect; see the kernel log (dmesg)";
	default:
		return "see the kernel log (dmesg)";
	}
}

int hc_session_report_failed(const struct hc_session *s, uint32_t error)
{
	char nb[24];

	hc_err("%s: the session failed: %s (%s): %s", s->what,
	       error ? strerror((int)error) : "no error recorded",
	       hc_errno_name((int)error, nb, sizeof(nb)),
	       failure_hint(error, s->info.flags & HECA_REGION_DEST));
	return HC_EXIT_FAIL;
}

int hc_session_report_interrupted(const struct hc_session *s)
{
	hc_err("%s: interrupted; the session goes on in the kernel: 'hecactl status %s' shows it, 'hecactl abort %s' ends it",
	       s->what, s->name, s->name);
	return HC_EXIT_FAIL;
}

int hc_session_wait(const struct hc_session *s, uint32_t want,
		    struct heca_stats *st)
{
	bool tty = isatty(STDERR_FILENO), shown = false;
	uint64_t t0, t1, b0, b1;
	int err;

	if (hc_session_stats(s, st))
		return hc_session_report(s, errno, NULL);
	t0 = now_ns();
	b0 = st->role ? st->bytes_rx : st->bytes_tx;
	for (;;) {
		struct heca_wait w;
		double mbps;

		if (hc_interrupted()) {
			clear_progress(&shown);
			return hc_session_report_interrupted(s);
		}
		memset(&w, 0, sizeof(w));
		w.state = want;
		w.timeout_ms = 1000;
		err = -heca_wait(s->fd, &w);
		if (err == EIO) {
			clear_progress(&shown);
			hc_session_stats(s, st);
			return hc_session_report_failed(s, w.error);
		}
		if (err && err != ETIMEDOUT && err != EINTR) {
			clear_progress(&shown);
			return hc_session_report(s, err, NULL);
		}
		if (hc_session_stats(s, st)) {
			err = errno;
			clear_progress(&shown);
			return hc_session_report(s, err, NULL);
		}
		if (!err) {
			clear_progress(&shown);
			return 0;
		}
		if (!tty)
			continue;
		t1 = now_ns();
		b1 = st->role ? st->bytes_rx : st->bytes_tx;
		mbps = b1 >= b0 ? hc_rate_mbps(b1 - b0, t1 - t0) : 0;
		t0 = t1;
		b0 = b1;
		show_progress(s, st, mbps);
		shown = true;
	}
}
