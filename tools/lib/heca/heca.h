/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libheca: the userspace library of heca, linked by hecactl, the selftests
 * and the benchmark.
 *
 *   - one wrapper per ioctl of uapi/linux/heca.h (argsz filled in);
 *   - regions: create, open, map, destroy, list;
 *   - sessions: start (listen/connect), switchover, rounds, waits,
 *     statistics, abort, the dirty set;
 *   - the values people type: tokens, endpoints, sizes, region names;
 *   - the transport choice (--transport auto) and RDMA device probing.
 *
 * The migration policy (rounds, convergence, switchover) is in
 * heca_migrate.h.
 *
 * Conventions: a function that can fail returns 0 (or a file descriptor)
 * on success and a negative errno on failure, and leaves errno alone as a
 * means of reporting; the parsers, which have no errno to give, return -1
 * and a reason for people in @why.  Nothing here prints.
 */
#ifndef LIBHECA_HECA_H
#define LIBHECA_HECA_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/heca.h>

/* ---- the control device ------------------------------------------------ */

#define HECA_CONTROL_DEFAULT	"/dev/heca/" HECA_CONTROL_NAME

/* $HECA_CONTROL if set and not empty, else HECA_CONTROL_DEFAULT. */
const char *heca_control_path(void);

/* Open heca_control_path() read-write.  Returns the fd or -errno. */
int heca_control_open(void);

/* Does this open() error mean that heca.ko is not loaded? */
bool heca_control_absent(int err);

/* The kernel's page size, as sysconf() says (4096 if it cannot). */
uint64_t heca_page_size(void);

/* ---- ioctls ------------------------------------------------------------ */
/*
 * One function per ioctl.  Each fills in @argsz of the structure it
 * passes (but heca_session_start(), see there) and returns 0 or -errno.  The ioctls that block on the peer
 * (SESSION_START, SWITCHOVER, WAIT, ROUND) are issued once, so that a
 * signal ends them with -EINTR; the others are repeated on EINTR.
 * Their arguments and errors are those of Documentation/uapi.rst.
 */

/* HECA_IOC_VERSION on the control device @ctl into *@v (zeroed first). */
int heca_version(int ctl, struct heca_version *v);

/*
 * HECA_IOC_REGION_CREATE: region @name (copied up to HECA_NAME_MAX - 1
 * characters) of @size bytes, @flags 0 or HECA_REGION_DEST.
 */
int heca_region_create(int ctl, const char *name, uint64_t size,
		       uint32_t flags);

/* HECA_IOC_REGION_DESTROY of region @name. */
int heca_region_destroy(int ctl, const char *name);

/*
 * HECA_IOC_REGION_LIST once: *@count in is how many entries fit at
 * @entries (may be NULL with 0), out how many regions exist.
 */
int heca_region_list_once(int ctl, struct heca_region_info *entries,
			  uint32_t *count);

/*
 * HECA_IOC_SESSION_START on region fd @fd with *@a as it is: its @argsz is
 * the caller's, as heca_start_args() fills it, so that a test can pass a
 * wrong one.
 */
int heca_session_start(int fd, const struct heca_session_start *a);

/* HECA_IOC_SWITCHOVER. */
int heca_switchover(int fd);

/* HECA_IOC_WAIT with *@w (argsz set; the rest is the caller's). */
int heca_wait(int fd, struct heca_wait *w);

/* HECA_IOC_STATS into *@st (zeroed first). */
int heca_stats(int fd, struct heca_stats *st);

/* HECA_IOC_SESSION_ABORT. */
int heca_session_abort(int fd);

/* HECA_IOC_DIRTY with *@d (argsz set; bitmap and bitmap_bytes the caller's). */
int heca_dirty(int fd, struct heca_dirty *d);

/* HECA_IOC_ROUND into *@r (zeroed first). */
int heca_round(int fd, struct heca_round *r);

/* ---- regions ----------------------------------------------------------- */

/* A bound on what we believe of the kernel's region count. */
#define HECA_LIST_MAX		65536

/*
 * Every region, into *@out (malloc'd, NULL for none; the caller frees it)
 * and *@n: asks again with a larger buffer while regions appear between
 * two calls.  Returns 0, -E2BIG for more than HECA_LIST_MAX regions,
 * -EAGAIN if the set kept changing, or the ioctl's -errno.
 */
int heca_region_list(int ctl, struct heca_region_info **out, size_t *n);

/* Region @name into *@info.  Returns 0, -ENOENT or heca_region_list()'s error. */
int heca_region_find(int ctl, const char *name, struct heca_region_info *info);

/* The node of region @name, beside the control device: /dev/heca/<name>. */
void heca_region_path(char *buf, size_t len, const char *name);

/* Open the node of region @name with @flags (O_CLOEXEC added).  fd or -errno. */
int heca_region_open(const char *name, int flags);

/*
 * Is @fd the character device of region @info (st_rdev), not a plain file
 * a VMM left at its path?  Returns 0 or -ENODEV.
 */
int heca_region_check(int fd, const struct heca_region_info *info);

/* mmap(MAP_SHARED, read-write) @size bytes of region fd @fd into *@mem. */
int heca_region_map(int fd, uint64_t size, void **mem);

/*
 * Create region @name (@size bytes, @flags), open it and map it whole:
 * the fd is returned and the mapping put in *@mem.  On failure nothing is
 * left (the region is destroyed again) and -errno is returned.
 */
int heca_region_setup(int ctl, const char *name, uint64_t size,
		      uint32_t flags, void **mem);

/*
 * Destroy region @name, trying again for up to ten seconds while it is
 * busy (a session that just ended lets go of it in the background).
 */
int heca_region_destroy_settled(int ctl, const char *name);

/*
 * Undo heca_region_setup(): unmap @mem (unless NULL or MAP_FAILED), close
 * @fd (unless negative), and destroy @name as heca_region_destroy_settled()
 * does (unless empty).  Returns the destroy's result.
 */
int heca_region_teardown(int ctl, const char *name, int fd, void *mem,
			 uint64_t size);

/* ---- sessions ---------------------------------------------------------- */

/*
 * Fill *@a for a TCP session to or at @ip (IPv4 or IPv6 text) port
 * @port, with @token and the timeouts (0: the module's defaults).
 * Returns 0, or -EINVAL if @ip is not an address.
 */
int heca_start_args(struct heca_session_start *a, const char *ip,
		    unsigned int port, const uint8_t token[HECA_TOKEN_BYTES],
		    unsigned int timeout_ms, unsigned int fault_timeout_ms);

/*
 * A source connects: heca_session_start() again while the destination
 * refuses (-ECONNREFUSED: not listening yet), for up to @seconds.
 */
int heca_session_connect(int fd, const struct heca_session_start *a,
			 unsigned int seconds);

/*
 * HECA_IOC_WAIT for @state within @timeout_ms; *@reached and *@error (each
 * may be NULL) get the state seen and the session's error.
 */
int heca_wait_state(int fd, uint32_t state, uint32_t timeout_ms,
		    uint32_t *reached, uint32_t *error);

/* HECA_IOC_WAIT with HECA_WAIT_SYNCED for pre-copy round @round. */
int heca_wait_synced(int fd, uint32_t round, uint32_t timeout_ms);

/* A destination's HECA_IOC_SESSION_START in a thread of its own. */
struct heca_listener {
	pthread_t thread;
	int fd;
	struct heca_session_start args;
	int err;		/* -EINPROGRESS until it returns */
};

/*
 * Start heca_session_start(@fd, @a) in a thread; heca_listen_finish()
 * joins it and returns its result.  Returns 0 or the pthread error.
 */
int heca_listen_async(struct heca_listener *l, int fd,
		      const struct heca_session_start *a);
int heca_listen_finish(struct heca_listener *l);

/* ---- tokens ------------------------------------------------------------ */
/*
 * A token is HECA_TOKEN_BYTES (16) bytes, written as 32 hex digits, and
 * not all zero.
 */
#define HECA_TOKEN_HEX		(2 * HECA_TOKEN_BYTES)

/*
 * Parse exactly 32 hex digits (either case, nothing else) into @out.
 * Returns 0, or -1 with a reason in @why.  Pure.
 */
int heca_parse_token(const char *s, uint8_t out[HECA_TOKEN_BYTES], char *why,
		     size_t whylen);

/* 32 lowercase hex digits and a NUL into @buf.  Pure. */
void heca_format_token(const uint8_t t[HECA_TOKEN_BYTES],
		       char buf[HECA_TOKEN_HEX + 1]);

/*
 * Read a token from the file @path: the 32 hex digits, with any white
 * space (a newline) around them.  Returns 0; a positive errno if the file
 * cannot be read; or -1 with a reason in @why if it holds no valid token.
 */
int heca_read_token_file(const char *path, uint8_t out[HECA_TOKEN_BYTES],
			 char *why, size_t whylen);

/* A fresh random token from getrandom(2), never all zero.  0 or an errno. */
int heca_random_token(uint8_t out[HECA_TOKEN_BYTES]);

/* ---- endpoints --------------------------------------------------------- */

/* Room for any endpoint heca_parse_addr() accepts, as typed. */
#define HECA_ADDR_MAX		80

/*
 * Parse @s into *@out (a struct heca_addr: family, port in host order,
 * address in network order, IPv6 scope):
 *
 *   192.0.2.2:7000          IPv4, dotted quad
 *   [2001:db8::2]:7000      IPv6, in brackets
 *   [fe80::2%eth0]:7000     IPv6 with a scope: an interface name or index
 *
 * The port is 1-65535, in decimal.  Host names are not looked up.  The
 * unspecified address (0.0.0.0, [::]) is accepted only with @listen: it
 * means every address of the host, and connects nowhere.  Returns 0, or -1
 * with a reason in @why.  Pure, but for the lookup of an interface name.
 */
int heca_parse_addr(const char *s, bool listen, struct heca_addr *out,
		    char *why, size_t whylen);

/* ---- sizes ------------------------------------------------------------- */

/* Room for any heca_format_size() result ("1023.9KiB", "16EiB", ...). */
#define HECA_SIZE_BUF		16

/*
 * Parse @s: decimal digits, then nothing (bytes) or a binary unit K, M, G or
 * T (x 1024^1..4), optionally followed by "iB" or "B"; a bare "B" means
 * bytes.  Units are case-insensitive: 4096, 4096B, 64M, 64MiB, 2g, 1GiB.
 * No sign, space, fraction or hex.  Returns 0 and sets *@out, or -1 and sets
 * *@why to a static reason.  Zero parses: range checks are separate.
 */
int heca_parse_size(const char *s, uint64_t *out, const char **why);

/*
 * Is @size acceptable for a region: non-zero, a multiple of @page_size
 * (a power of two), at most @max?  Returns 0, or -1 with a reason in @why.
 */
int heca_check_region_size(uint64_t size, uint64_t page_size, uint64_t max,
			   char *why, size_t whylen);

/*
 * Format @bytes with binary units: exact multiples print without a
 * fraction ("64MiB", "4KiB", "512B"), others rounded to one decimal
 * ("1.5GiB", "1.0GiB" for a bit more than 1 GiB).  Returns @buf.
 */
char *heca_format_size(uint64_t bytes, char *buf, size_t len);

/* ---- region names ------------------------------------------------------ */

/*
 * The rule of uapi/linux/heca.h: 1..HECA_NAME_MAX-1 characters of
 * [A-Za-z0-9_.-], not starting with '.', and not HECA_CONTROL_NAME.
 * Returns 0, or -1 with a reason in @why.  Pure.
 */
int heca_check_name(const char *name, char *why, size_t whylen);

/* ---- transports and RDMA devices --------------------------------------- */

/* Where the RDMA devices are; $HECA_SYSFS_IB overrides it (for tests). */
#define HECA_SYSFS_IB		"/sys/class/infiniband"

/*
 * Is the address of @a (IPv4 or IPv6, the port ignored) a GID of an
 * ACTIVE port of an RDMA device?  RoCE (and soft-RoCE, rdma_rxe) ports list
 * the IP addresses of their network device in their GID table, and
 * rdma_cm resolves an address to the device whose GID it is.  Returns 1
 * with the device's name in @dev, 0 if none, -1 if the devices cannot be
 * read.
 */
int heca_rdma_dev_with_addr(const struct heca_addr *a, char *dev, size_t len);

/*
 * Is RDMA device @dev's port @port ACTIVE with the address of @a among its
 * GIDs?  (The check heca_rdma_dev_with_addr() makes of every port.)
 */
bool heca_rdma_port_has_addr(const char *dev, unsigned int port,
			     const struct heca_addr *a);

/*
 * The local address the kernel would use to reach @peer (a UDP connect,
 * nothing is sent) into *@local.  Returns 0 or a positive errno.
 */
int heca_local_addr_for(const struct heca_addr *peer, struct heca_addr *local);

/* Why heca_choose_transport() chose what it chose. */
enum heca_transport_why {
	HECA_TRANSPORT_ANY_ADDR,	/* listening on every address: tcp */
	HECA_TRANSPORT_ON_RDMA_DEV,	/* the address is on an RDMA device */
	HECA_TRANSPORT_NOT_RDMA,	/* no RDMA device has the address */
	HECA_TRANSPORT_NO_ROUTE,	/* no local address reaches the peer */
};

struct heca_transport_choice {
	uint32_t transport;		/* HECA_TRANSPORT_TCP or _RDMA */
	enum heca_transport_why why;
	struct heca_addr local;		/* the address looked at */
	char dev[64];			/* the RDMA device, for _ON_RDMA_DEV */
	int err;			/* positive errno, for _NO_ROUTE */
};

/*
 * The transport of --transport auto for endpoint @a: rdma when the
 * address heca will use is a GID of an RDMA device, else tcp.  With
 * @listen (a destination) that is @a itself, and the unspecified address
 * means tcp (rdma_cm binds to one device); without (a source), the local
 * address the kernel routes @a from.  Fills *@c.
 */
void heca_choose_transport(const struct heca_addr *a, bool listen,
			   struct heca_transport_choice *c);

#endif /* LIBHECA_HECA_H */
