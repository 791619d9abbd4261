/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca: the wire protocol between a source and a destination.
 *
 * Every message is a fixed little-endian header followed by @len bytes of
 * payload.  Everything read from the peer is checked before use: magic,
 * version, type, length against the type's bounds, page indexes and counts
 * against the region.  See Documentation/protocol.rst.
 */
#ifndef _HECA_PROTO_H
#define _HECA_PROTO_H

#include <linux/types.h>

#include <linux/heca.h>

#define HECA_PROTO_MAGIC	0x48454341	/* "HECA" */
#define HECA_PROTO_VERSION	3

/* Most pages one read request may ask for. */
#define HECA_PROTO_MAX_READ	32
/* Largest payload of a control message (a bitmap chunk). */
#define HECA_PROTO_MAX_CTRL	(64 * 1024)

enum heca_msg_type {
	HECA_MSG_HELLO = 1,	/* src -> dst: struct heca_msg_hello */
	HECA_MSG_WELCOME = 2,	/* dst -> src: no payload */
	HECA_MSG_REJECT = 3,	/* dst -> src: struct heca_msg_reject */
	HECA_MSG_EXISTS = 4,	/* src -> dst: struct heca_msg_bitmap + bits */
	HECA_MSG_SWITCH = 5,	/* src -> dst: struct heca_msg_switch */
	HECA_MSG_READ_REQ = 6,	/* dst -> src: struct heca_msg_read */
	HECA_MSG_READ_RESP = 7,	/* src -> dst: struct heca_msg_read + pages */
	HECA_MSG_DONE = 8,	/* dst -> src: every page present */
	HECA_MSG_MEMORY = 9,	/* src -> dst, RDMA: struct heca_msg_memory + mrs */
	HECA_MSG_ROUND = 10,	/* src -> dst: struct heca_msg_round */
	HECA_MSG_SYNCED = 11,	/* dst -> src: struct heca_msg_round */
	HECA_MSG_SWITCHED = 12,	/* dst -> src: no payload; SWITCH taken */
	HECA_MSG_CHANNEL = 13,	/* src -> dst, TCP: struct heca_msg_channel */
	HECA_MSG_MAX
};

/**
 * struct heca_msg_hdr - the header of every message
 * @magic:	HECA_PROTO_MAGIC
 * @version:	HECA_PROTO_VERSION
 * @type:	enum heca_msg_type
 * @len:	payload bytes after the header
 * @reserved:	0
 */
struct heca_msg_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 len;
	__le32 reserved;
} __packed;

/**
 * struct heca_msg_hello - the source introduces itself
 * @token:	the session's secret
 * @page_shift:	log2 of the source's page size
 * @flags:	0
 * @npages:	pages of the source region
 */
struct heca_msg_hello {
	u8 token[HECA_TOKEN_BYTES];
	__le32 page_shift;
	__le32 flags;
	__le64 npages;
} __packed;

/**
 * struct heca_msg_reject - why the destination refused the source
 * @error:	positive errno: EACCES (token), EINVAL (page or region
 *		size), EPROTO (a malformed HELLO); another protocol version
 *		gets no REJECT: the destination hangs up
 */
struct heca_msg_reject {
	__le32 error;
} __packed;

/**
 * struct heca_msg_bitmap - a chunk of the source's page-existence bitmap
 * @first:	page index of bit 0; a multiple of 64
 * @nbits:	bits that follow, as (nbits + 63) / 64 little-endian u64
 */
struct heca_msg_bitmap {
	__le64 first;
	__le64 nbits;
} __packed;

/**
 * struct heca_msg_switch - end of the bitmap: the destination may run
 * @remote:	pages the source has (bits set in all EXISTS chunks)
 */
struct heca_msg_switch {
	__le64 remote;
} __packed;

/**
 * struct heca_msg_read - a read request, and the header of its answer
 * @tag:	chosen by the destination, echoed by the source
 * @first:	first page index
 * @count:	pages, 1..HECA_PROTO_MAX_READ
 * @reserved:	0
 */
struct heca_msg_read {
	__le64 tag;
	__le64 first;
	__le32 count;
	__le32 reserved;
} __packed;

/*
 * RDMA: the source's pages are split in chunks of 1 << chunk_shift pages,
 * each exposed read-only by one memory registration.  A chunk with no page
 * the source has may have none (its pages are zero, never read).  Chunks are
 * at least HECA_PROTO_MAX_READ pages, so a read spans at most two of them.
 */
#define HECA_PROTO_MR_MIN_SHIFT	5
#define HECA_PROTO_MR_MAX_SHIFT	20

/**
 * struct heca_msg_memory - where the destination may READ the source's pages
 * @chunk_shift: log2 of the pages of a chunk, HECA_PROTO_MR_MIN_SHIFT to
 *		HECA_PROTO_MR_MAX_SHIFT, the same in every message
 * @count:	struct heca_msg_mr entries that follow, at least 1
 *
 * Sent by the source, over RDMA only, before the EXISTS messages whose
 * pages it makes readable (each pre-copy round, the switchover), never
 * after SWITCH.  Entries are in ascending chunk order; a chunk described
 * again (registered anew: pages appeared in it) replaces its entry for the
 * reads issued from then on.
 */
struct heca_msg_memory {
	__le32 chunk_shift;
	__le32 count;
} __packed;

/**
 * struct heca_msg_mr - one chunk's registration
 * @chunk:	chunk index: pages [chunk << chunk_shift, (chunk + 1) <<
 *		chunk_shift) of the region (the last chunk may be shorter)
 * @rkey:	remote key of the registration, valid for RDMA READ only
 * @iova:	address of the chunk's first byte under @rkey, page aligned;
 *		page i of the chunk is at @iova + i * page size
 */
struct heca_msg_mr {
	__le32 chunk;
	__le32 rkey;
	__le64 iova;
} __packed;

/*
 * RDMA: an rdma_cm connection request carries struct heca_msg_cm as its
 * private data.  A session has two RC connections, both made by the source
 * to the destination's listener: first the main channel (control messages,
 * background READs), then the urgent channel (only the READs a fault waits
 * for, so that they never queue behind background READs on one QP).
 */
#define HECA_PROTO_CM_VERSION	1

enum heca_cm_channel {
	HECA_CM_MAIN = 1,
	HECA_CM_URGENT = 2,
};

/**
 * struct heca_msg_cm - rdma_cm private data of a connection request
 * @magic:	HECA_PROTO_MAGIC
 * @version:	HECA_PROTO_CM_VERSION
 * @channel:	enum heca_cm_channel
 * @reserved:	0
 * @cookie:	chosen by the source at random for each attempt, not 0, the
 *		same in both channels: pairs the urgent channel with its main
 *		one
 * @token:	HECA_CM_URGENT: the session's secret; HECA_CM_MAIN: zero (the
 *		HELLO on the main channel carries it)
 *
 * The transport may pad the private data with zeros (InfiniBand CM does):
 * bytes after the structure must be zero.
 */
struct heca_msg_cm {
	__le32 magic;
	__le16 version;
	__le16 channel;
	__le32 reserved;
	__le64 cookie;
	u8 token[HECA_TOKEN_BYTES];
} __packed;

/**
 * struct heca_msg_cm_reject - rdma_cm private data of a refusal
 * @magic:	HECA_PROTO_MAGIC
 * @version:	HECA_PROTO_CM_VERSION
 * @reserved:	0
 * @error:	positive errno: EPROTO (bad private data), EPROTONOSUPPORT
 *		(another version), EACCES (an urgent channel with the wrong
 *		token)
 *
 * A refusal for another reason (busy, no memory, nobody listening) has no
 * such data: the source sees ECONNREFUSED.
 */
struct heca_msg_cm_reject {
	__le32 magic;
	__le16 version;
	__le16 reserved;
	__le32 error;
} __packed;

/**
 * struct heca_msg_channel - TCP: the first message on each connection
 * @channel:	enum heca_cm_channel: HECA_CM_MAIN (control messages,
 *		prefetch and background reads) or HECA_CM_URGENT (only the
 *		reads a fault waits for, and their answers)
 * @reserved:	0
 * @reserved1:	0
 * @cookie:	chosen by the source at random for each attempt, not 0, the
 *		same on both connections: pairs the urgent one with its main
 *		one
 * @token:	HECA_CM_URGENT: the session's secret; HECA_CM_MAIN: zero (the
 *		HELLO that follows on the main connection carries it)
 *
 * A TCP session has two connections, both made by the source: the main
 * one, then the urgent one, so that a fault's read never waits behind a
 * 128 KiB answer (QEMU's post-copy preempt channel is the model).
 */
struct heca_msg_channel {
	__le16 channel;
	__le16 reserved;
	__le32 reserved1;
	__le64 cookie;
	u8 token[HECA_TOKEN_BYTES];
} __packed;

/**
 * struct heca_msg_round - end of a pre-copy round, or its acknowledgment
 * @round:	the round's number: 1, 2, ... in order
 * @reserved:	0
 * @pages:	ROUND: pages in the round's EXISTS chunks; SYNCED: 0
 *
 * ROUND follows the round's EXISTS chunks.  The destination answers SYNCED
 * once it holds every page of that round (and of the earlier ones).
 */
struct heca_msg_round {
	__le32 round;
	__le32 reserved;
	__le64 pages;
} __packed;

void heca_proto_build_hdr(struct heca_msg_hdr *h, u16 type, size_t len);
long heca_proto_check_hdr(const struct heca_msg_hdr *h);

#endif /* _HECA_PROTO_H */
