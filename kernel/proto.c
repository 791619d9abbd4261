// SPDX-License-Identifier: GPL-2.0
/*
 * heca: building and checking message headers (proto.h), for every
 * transport.  Each message type has one entry in heca_msg_len[]: the bounds
 * of its payload.  A header is checked once, where it is received, before
 * anything of it is used; the message's handler checks its contents.
 */

#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/mm.h>

#include "proto.h"

/* Every wire structure's size, as Documentation/protocol.rst gives it. */
static_assert(sizeof(struct heca_msg_hdr) == 16);
static_assert(sizeof(struct heca_msg_hello) == HECA_TOKEN_BYTES + 16);
static_assert(sizeof(struct heca_msg_reject) == 4);
static_assert(sizeof(struct heca_msg_bitmap) == 16);
static_assert(sizeof(struct heca_msg_switch) == 8);
static_assert(sizeof(struct heca_msg_read) == 24);
static_assert(sizeof(struct heca_msg_memory) == 8);
static_assert(sizeof(struct heca_msg_mr) == 16);
static_assert(sizeof(struct heca_msg_cm) == 20 + HECA_TOKEN_BYTES);
static_assert(sizeof(struct heca_msg_cm_reject) == 12);
static_assert(sizeof(struct heca_msg_round) == 16);
static_assert(sizeof(struct heca_msg_channel) == 16 + HECA_TOKEN_BYTES);

/* Payload bounds of each message type, in bytes. */
static const struct {
	u32 min;
	u32 max;
} heca_msg_len[HECA_MSG_MAX] = {
	[HECA_MSG_HELLO] = { sizeof(struct heca_msg_hello),
			     sizeof(struct heca_msg_hello) },
	[HECA_MSG_WELCOME] = { 0, 0 },
	[HECA_MSG_REJECT] = { sizeof(struct heca_msg_reject),
			      sizeof(struct heca_msg_reject) },
	[HECA_MSG_EXISTS] = { sizeof(struct heca_msg_bitmap) + sizeof(u64),
			      HECA_PROTO_MAX_CTRL },
	[HECA_MSG_SWITCH] = { sizeof(struct heca_msg_switch),
			      sizeof(struct heca_msg_switch) },
	[HECA_MSG_READ_REQ] = { sizeof(struct heca_msg_read),
				sizeof(struct heca_msg_read) },
	[HECA_MSG_READ_RESP] = { sizeof(struct heca_msg_read) + PAGE_SIZE,
				 sizeof(struct heca_msg_read) +
				 HECA_PROTO_MAX_READ * PAGE_SIZE },
	[HECA_MSG_DONE] = { 0, 0 },
	[HECA_MSG_MEMORY] = { sizeof(struct heca_msg_memory) +
			      sizeof(struct heca_msg_mr),
			      HECA_PROTO_MAX_CTRL },
	[HECA_MSG_ROUND] = { sizeof(struct heca_msg_round),
			     sizeof(struct heca_msg_round) },
	[HECA_MSG_SYNCED] = { sizeof(struct heca_msg_round),
			      sizeof(struct heca_msg_round) },
	[HECA_MSG_SWITCHED] = { 0, 0 },
	[HECA_MSG_CHANNEL] = { sizeof(struct heca_msg_channel),
			       sizeof(struct heca_msg_channel) },
};

/**
 * heca_proto_build_hdr() - fill in the header of a message to send
 * @h:    the header
 * @type: enum heca_msg_type
 * @len:  payload bytes that follow
 */
void heca_proto_build_hdr(struct heca_msg_hdr *h, u16 type, size_t len)
{
	h->magic = cpu_to_le32(HECA_PROTO_MAGIC);
	h->version = cpu_to_le16(HECA_PROTO_VERSION);
	h->type = cpu_to_le16(type);
	h->len = cpu_to_le32(len);
	h->reserved = 0;
}
EXPORT_SYMBOL_GPL(heca_proto_build_hdr);

/**
 * heca_proto_check_hdr() - check a header from the peer
 * @h: the header, as received
 *
 * Return: the payload length, within the bounds of the message's type;
 * -EPROTONOSUPPORT for another protocol version; -EPROTO for a wrong magic,
 * nonzero reserved bits, an unknown type or a length out of bounds.
 */
long heca_proto_check_hdr(const struct heca_msg_hdr *h)
{
	u32 len = le32_to_cpu(h->len);
	u16 type = le16_to_cpu(h->type);

	if (le32_to_cpu(h->magic) != HECA_PROTO_MAGIC || h->reserved)
		return -EPROTO;
	if (le16_to_cpu(h->version) != HECA_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (!type || type >= HECA_MSG_MAX)
		return -EPROTO;
	if (len < heca_msg_len[type].min || len > heca_msg_len[type].max)
		return -EPROTO;
	return len;
}
EXPORT_SYMBOL_GPL(heca_proto_check_hdr);
