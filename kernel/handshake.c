// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the handshake of a session (Documentation/protocol.rst): the
 * source sends HELLO (token, page size, region size), the destination
 * answers WELCOME or REJECT with the reason.
 */

#include <crypto/algapi.h>
#include <linux/errno.h>

#include "heca.h"
#include "session.h"

/**
 * heca_handshake_source() - introduce the source and wait for the verdict
 * @s:       a source session, connected
 * @timeout: how long to wait for the answer, in jiffies
 *
 * Return: 0 (WELCOME), the destination's reason (REJECT: -EACCES,
 * -EPROTONOSUPPORT, -EINVAL), -EPROTO, or the transport's error.
 */
int heca_handshake_source(struct heca_session *s, unsigned long timeout)
{
	struct heca_region *r = s->r;
	struct heca_msg_hello hello = {
		.page_shift = cpu_to_le32(PAGE_SHIFT),
		.npages = cpu_to_le64(r->npages),
	};
	struct heca_msg_reject rej;
	struct heca_msg_hdr hdr;
	int err;

	memcpy(hello.token, s->token, sizeof(hello.token));
	err = s->t->send_msg(s->conn, HECA_MSG_HELLO, &hello, sizeof(hello));
	if (err)
		return err;
	err = s->t->recv_msg(s->conn, &hdr, &rej, sizeof(rej), timeout);
	if (err)
		return err;
	switch (le16_to_cpu(hdr.type)) {
	case HECA_MSG_WELCOME:
		return le32_to_cpu(hdr.len) ? -EPROTO : 0;
	case HECA_MSG_REJECT:
		if (le32_to_cpu(hdr.len) != sizeof(rej))
			return -EPROTO;
		err = le32_to_cpu(rej.error);
		return (err > 0 && err < MAX_ERRNO) ? -err : -EPROTO;
	default:
		return -EPROTO;
	}
}

/**
 * heca_handshake_dest() - check the source's introduction, welcome or
 * reject it
 * @s:       a destination session, a peer connected
 * @timeout: how long to wait for HELLO, in jiffies
 *
 * Return: 0 (welcomed), -EACCES (token), -EINVAL (page or region size),
 * -EPROTO, or the transport's error.
 */
int heca_handshake_dest(struct heca_session *s, unsigned long timeout)
{
	struct heca_region *r = s->r;
	struct heca_msg_hello hello;
	struct heca_msg_reject rej;
	struct heca_msg_hdr hdr;
	int err;

	err = s->t->recv_msg(s->conn, &hdr, &hello, sizeof(hello), timeout);
	if (err)
		return err;
	if (le16_to_cpu(hdr.type) != HECA_MSG_HELLO ||
	    le32_to_cpu(hdr.len) != sizeof(hello))
		err = -EPROTO;
	else if (crypto_memneq(hello.token, s->token, sizeof(s->token)))
		err = -EACCES;
	else if (hello.flags)
		err = -EPROTO;
	else if (le32_to_cpu(hello.page_shift) != PAGE_SHIFT ||
		 le64_to_cpu(hello.npages) != r->npages)
		err = -EINVAL;
	if (err) {
		rej.error = cpu_to_le32(-err);
		s->t->send_msg(s->conn, HECA_MSG_REJECT, &rej, sizeof(rej));
		return err;
	}
	return s->t->send_msg(s->conn, HECA_MSG_WELCOME, NULL, 0);
}

/* What a handshake error means, for the log. */
const char *heca_handshake_why(int err)
{
	switch (err) {
	case -EACCES:
		return "wrong session token";
	case -EPROTONOSUPPORT:
		return "protocol version mismatch";
	case -EINVAL:
		return "page or region size mismatch";
	case -EPROTO:
		return "protocol error";
	case -ETIMEDOUT:
	case -EAGAIN:
		return "timed out";
	default:
		return "connection error";
	}
}
