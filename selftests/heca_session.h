/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selftest helpers for sessions: starting one over loopback TCP, waiting,
 * statistics.
 */
#ifndef HECA_SESSION_TEST_H
#define HECA_SESSION_TEST_H

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#include "heca_test.h"

static inline void heca_random_token(__u8 token[HECA_TOKEN_BYTES])
{
	while (getrandom(token, HECA_TOKEN_BYTES, 0) != HECA_TOKEN_BYTES)
		;
	token[0] |= 1;	/* never all zero */
}

static inline void heca_start_args(struct heca_session_start *a,
				   const char *ip, unsigned int port,
				   const __u8 token[HECA_TOKEN_BYTES],
				   unsigned int timeout_ms,
				   unsigned int fault_timeout_ms)
{
	memset(a, 0, sizeof(*a));
	a->argsz = sizeof(*a);
	a->transport = HECA_TRANSPORT_TCP;
	a->timeout_ms = timeout_ms;
	a->fault_timeout_ms = fault_timeout_ms;
	a->addr.family = AF_INET;
	a->addr.port = port;
	inet_pton(AF_INET, ip, a->addr.addr);
	memcpy(a->token, token, HECA_TOKEN_BYTES);
}

/* Returns 0 or -errno. */
static inline int heca_session_start(int fd, const struct heca_session_start *a)
{
	return ioctl(fd, HECA_IOC_SESSION_START, a) ? -errno : 0;
}

/* A source connects: retry while the destination is not listening yet. */
static inline int heca_session_connect(int fd,
				       const struct heca_session_start *a,
				       unsigned int seconds)
{
	time_t deadline = time(NULL) + seconds;
	int err;

	for (;;) {
		err = heca_session_start(fd, a);
		if (err != -ECONNREFUSED || time(NULL) >= deadline)
			return err;
		usleep(50 * 1000);
	}
}

struct heca_listener {
	pthread_t thread;
	int fd;
	struct heca_session_start args;
	int err;
};

static inline void *heca_listener_main(void *arg)
{
	struct heca_listener *l = arg;

	l->err = heca_session_start(l->fd, &l->args);
	return NULL;
}

/* Start a destination's SESSION_START in a thread; join with _finish. */
static inline int heca_listen_async(struct heca_listener *l, int fd,
				    const struct heca_session_start *a)
{
	l->fd = fd;
	l->args = *a;
	l->err = -EINPROGRESS;
	return pthread_create(&l->thread, NULL, heca_listener_main, l);
}

static inline int heca_listen_finish(struct heca_listener *l)
{
	pthread_join(l->thread, NULL);
	return l->err;
}

static inline int heca_switchover(int fd)
{
	struct heca_switchover s = { .argsz = sizeof(s) };

	return ioctl(fd, HECA_IOC_SWITCHOVER, &s) ? -errno : 0;
}

/* Wait for @state; returns 0 or -errno, *@reached the state it saw. */
static inline int heca_wait(int fd, __u32 state, __u32 timeout_ms,
			    __u32 *reached, __u32 *error)
{
	struct heca_wait w = {
		.argsz = sizeof(w), .state = state, .timeout_ms = timeout_ms,
	};
	int err = ioctl(fd, HECA_IOC_WAIT, &w) ? -errno : 0;

	if (reached)
		*reached = w.state;
	if (error)
		*error = w.error;
	return err;
}

static inline int heca_stats(int fd, struct heca_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	return ioctl(fd, HECA_IOC_STATS, st) ? -errno : 0;
}

/* Destroy, waiting (bounded) for a finished session to let go of it. */
static inline int heca_destroy_settled(int ctl, const char *name)
{
	int i, err = 0;

	for (i = 0; i < 200; i++) {
		err = heca_destroy(ctl, name);
		if (err != -EBUSY)
			break;
		usleep(50 * 1000);
	}
	return err;
}

#endif /* HECA_SESSION_TEST_H */
