// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: sessions: their arguments, connecting, waiting, a listener
 * thread (see heca.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "heca.h"

int heca_start_args(struct heca_session_start *a, const char *ip,
		    unsigned int port, const uint8_t token[HECA_TOKEN_BYTES],
		    unsigned int timeout_ms, unsigned int fault_timeout_ms)
{
	memset(a, 0, sizeof(*a));
	a->argsz = sizeof(*a);
	a->transport = HECA_TRANSPORT_TCP;
	a->timeout_ms = timeout_ms;
	a->fault_timeout_ms = fault_timeout_ms;
	a->addr.port = port;
	memcpy(a->token, token, HECA_TOKEN_BYTES);
	if (inet_pton(AF_INET, ip, a->addr.addr) == 1) {
		a->addr.family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a->addr.addr) == 1) {
		a->addr.family = AF_INET6;
		return 0;
	}
	a->addr.family = AF_INET;
	return -EINVAL;
}

/* How often a source tries again while the destination is not listening. */
#define HECA_CONNECT_RETRY_US	(50 * 1000)

int heca_session_connect(int fd, const struct heca_session_start *a,
			 unsigned int seconds)
{
	time_t deadline = time(NULL) + seconds;
	int err;

	for (;;) {
		err = heca_session_start(fd, a);
		if (err != -ECONNREFUSED || time(NULL) >= deadline)
			return err;
		usleep(HECA_CONNECT_RETRY_US);
	}
}

int heca_wait_state(int fd, uint32_t state, uint32_t timeout_ms,
		    uint32_t *reached, uint32_t *error)
{
	struct heca_wait w = { .state = state, .timeout_ms = timeout_ms };
	int err = heca_wait(fd, &w);

	if (reached)
		*reached = w.state;
	if (error)
		*error = w.error;
	return err;
}

int heca_wait_synced(int fd, uint32_t round, uint32_t timeout_ms)
{
	struct heca_wait w = {
		.flags = HECA_WAIT_SYNCED, .round = round,
		.timeout_ms = timeout_ms,
	};

	return heca_wait(fd, &w);
}

static void *listener_main(void *arg)
{
	struct heca_listener *l = arg;

	l->err = heca_session_start(l->fd, &l->args);
	return NULL;
}

int heca_listen_async(struct heca_listener *l, int fd,
		      const struct heca_session_start *a)
{
	l->fd = fd;
	l->args = *a;
	l->err = -EINPROGRESS;
	return pthread_create(&l->thread, NULL, listener_main, l);
}

int heca_listen_finish(struct heca_listener *l)
{
	pthread_join(l->thread, NULL);
	return l->err;
}
