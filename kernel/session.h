/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: sessions: a region bound to its peer over a transport.
 */
#ifndef _HECA_SESSION_H
#define _HECA_SESSION_H

#include <linux/kfifo.h>
#include <linux/ktime.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "heca.h"
#include "proto.h"
#include "transport.h"

/**
 * struct heca_session - a region bound to its peer
 * @r:		the region; the session holds a reference and counts as one of
 *		its users, so the region cannot be destroyed under it
 * @t:		the transport; the session holds a reference on its module
 * @conn:	the connection, set once before the session is published
 * @params:	what the transport knows of the session (its callbacks)
 * @token:	the session secret
 * @timeout:	fault/stall timeout in jiffies
 * @sent:	source: pages sent in any set of this session (NULL until the
 *		first); used under the region's session_lock
 * @puller:	destination: the thread that issues fetches
 * @teardown:	closes the connection once the session is over
 */
struct heca_session {
	struct heca_region *r;
	const struct heca_transport *t;
	struct heca_conn *conn;
	struct heca_conn_params params;
	u8 token[HECA_TOKEN_BYTES];
	unsigned long timeout;
	unsigned long *sent;
	struct task_struct *puller;
	struct work_struct teardown;
};

/* session.c: the ioctls that start, drive and end sessions */
int heca_session_start(struct heca_region *r,
		       const struct heca_session_start *a);
int heca_session_switchover(struct heca_region *r);
int heca_session_round(struct heca_region *r, struct heca_round *a);
int heca_session_wait(struct heca_region *r, struct heca_wait *w);
int heca_session_abort(struct heca_region *r);

/* handshake.c */
int heca_handshake_source(struct heca_session *s, unsigned long timeout);
int heca_handshake_dest(struct heca_session *s, unsigned long timeout);
const char *heca_handshake_why(int err);

#endif /* _HECA_SESSION_H */
