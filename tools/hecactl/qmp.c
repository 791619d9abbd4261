// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: the QMP client (see qmp.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_RETRY_MS	100

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *hc_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The next whole JSON value from QEMU into *@out, by @deadline (ms,
 * CLOCK_MONOTONIC).  Returns 0 or -1 with @err set.
 */
static int read_msg(struct hc_qmp *q, uint64_t deadline, struct json_object **out,
		    char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		enum json_tokener_error jerr;
		uint64_t now;
		ssize_t n;

		while (q->off < q->len) {
			struct json_object *o;
			size_t used;

			o = json_tokener_parse_ex(q->tok, q->buf + q->off,
						  (int)(q->len - q->off));
			jerr = json_tokener_get_error(q->tok);
			used = json_tokener_get_parse_end(q->tok);
			q->off += used ? used : q->len - q->off;
			if (o) {
				json_tokener_reset(q->tok);
				*out = o;
				return 0;
			}
			if (jerr != json_tokener_continue) {
				fail(err, errlen, "QEMU sent what is not JSON: %s",
				     json_tokener_error_desc(jerr));
				return -1;
			}
		}
		q->off = q->len = 0;
		now = mono_ms();
		if (now >= deadline) {
			fail(err, errlen, "QEMU did not answer within %u s",
			     HC_QMP_CMD_TIMEOUT_MS / 1000);
			return -1;
		}
		n = poll(&p, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR) {
			fail(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		n = read(q->fd, q->buf, sizeof(q->buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			fail(err, errlen, "QEMU closed its QMP connection%s%s",
			     n ? ": " : "", n ? strerror(errno) : "");
			return -1;
		}
		q->len = (size_t)n;
	}
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* QEMU's error object as "<class>: <desc>". */
static void qemu_error(struct json_object *e, char *err, size_t errlen)
{
	const char *cls = hc_json_str(e, "class"), *desc = hc_json_str(e, "desc");

	fail(err, errlen, "QEMU: %s%s%s", cls ? cls : "", cls ? ": " : "",
	     desc ? desc : json_object_to_json_string(e));
}

int hc_qmp_cmd(struct hc_qmp *q, const char *cmd, struct json_object *args,
	       struct json_object **ret, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *msg = NULL, *v;
	uint64_t deadline = mono_ms() + HC_QMP_CMD_TIMEOUT_MS;
	const char *text;
	int rc = -1;

	if (ret)
		*ret = NULL;
	if (!req) {
		json_object_put(args);
		fail(err, errlen, "out of memory");
		return -1;
	}
	/* These fail only without memory: the write below then fails too. */
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (!text || write_all(q->fd, text, strlen(text)) || write_all(q->fd, "\n", 1)) {
		fail(err, errlen, "sending %s to QEMU: %s", cmd,
		     text ? strerror(errno) : "out of memory");
		goto out;
	}
	/* Skip events; the first answer is ours (QMP answers in order). */
	for (;;) {
		if (read_msg(q, deadline, &msg, err, errlen))
			goto out;
		if (json_object_object_get_ex(msg, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
			rc = 0;
			goto out;
		}
		if (json_object_object_get_ex(msg, "error", &v)) {
			qemu_error(v, err, errlen);
			goto out;
		}
		json_object_put(msg);
		msg = NULL;
	}
out:
	json_object_put(msg);
	json_object_put(req);
	return rc;
}

/* Connect to @path, again while it is missing or refused, until @deadline. */
static int connect_unix(const char *path, uint64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec pause = { .tv_nsec = QMP_RETRY_MS * 1000000L };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fail(err, errlen, "%s: path too long for a UNIX socket", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fail(err, errlen, "socket: %s", strerror(errno));
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		fail(err, errlen, "cannot connect to QEMU's QMP socket %s: %s", path,
		     strerror(errno));
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    mono_ms() + QMP_RETRY_MS >= deadline)
			return -1;
		if (nanosleep(&pause, NULL) && errno == EINTR)
			return -1;
	}
}

int hc_qmp_open(struct hc_qmp *q, const char *path, unsigned int wait_ms,
		char *err, size_t errlen)
{
	struct json_object *greet = NULL, *v, *ver;
	int64_t major, minor, micro;

	memset(q, 0, sizeof(*q));
	q->fd = connect_unix(path, mono_ms() + wait_ms, err, errlen);
	if (q->fd < 0)
		return -1;
	q->tok = json_tokener_new();
	if (!q->tok) {
		fail(err, errlen, "out of memory");
		goto close_fd;
	}
	if (read_msg(q, mono_ms() + HC_QMP_CMD_TIMEOUT_MS, &greet, err, errlen))
		goto close_fd;
	if (!json_object_object_get_ex(greet, "QMP", &v)) {
		fail(err, errlen, "%s is not a QMP socket (no greeting)", path);
		goto put_greeting;
	}
	if (json_object_object_get_ex(v, "version", &ver) &&
	    json_object_object_get_ex(ver, "qemu", &ver)) {
		struct json_object *m, *n, *u;

		json_object_object_get_ex(ver, "major", &m);
		json_object_object_get_ex(ver, "minor", &n);
		json_object_object_get_ex(ver, "micro", &u);
		major = json_object_get_int64(m);
		minor = json_object_get_int64(n);
		micro = json_object_get_int64(u);
		snprintf(q->version, sizeof(q->version), "%lld.%lld.%lld",
			 (long long)major, (long long)minor, (long long)micro);
	}
	json_object_put(greet);
	if (hc_qmp_cmd(q, "qmp_capabilities", NULL, NULL, err, errlen))
		goto close_fd;
	return 0;

put_greeting:
	json_object_put(greet);
close_fd:
	hc_qmp_close(q);
	return -1;
}

void hc_qmp_close(struct hc_qmp *q)
{
	if (q->tok)
		json_tokener_free(q->tok);
	q->tok = NULL;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}
