// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: the transport choice, and RDMA devices by IP address (see heca.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "heca.h"

/* "@a/@b" into @buf; -1 if it does not fit. */
static int pjoin(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* @a's address as a 16-byte GID: IPv4 as ::ffff:a.b.c.d. */
static void addr_to_gid(const struct heca_addr *a, unsigned char gid[16])
{
	if (a->family == AF_INET) {
		memset(gid, 0, 10);
		gid[10] = gid[11] = 0xff;
		memcpy(gid + 12, a->addr, 4);
	} else {
		memcpy(gid, a->addr, 16);
	}
}

/* Does the first line of @path start with @prefix? */
static int file_starts(const char *path, const char *prefix)
{
	char line[128];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return 0;
	ok = fgets(line, sizeof(line), f) && !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return ok;
}

/* Is @gid one of the GIDs of port @port_dir? */
static int port_has_gid(const char *port_dir, const unsigned char gid[16])
{
	char gids[PATH_MAX], path[PATH_MAX], text[64];
	unsigned char g[16];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (pjoin(gids, sizeof(gids), port_dir, "gids"))
		return 0;
	d = opendir(gids);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.' || pjoin(path, sizeof(path), gids, e->d_name))
			continue;
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(text, sizeof(text), f)) {
			text[strcspn(text, "\n")] = 0;
			found = inet_pton(AF_INET6, text, g) == 1 && !memcmp(g, gid, 16);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

int heca_rdma_dev_with_addr(const struct heca_addr *a, char *dev, size_t len)
{
	const char *root = getenv("HECA_SYSFS_IB") ?: HECA_SYSFS_IB;
	unsigned char gid[16];
	struct dirent *e, *p;
	char dir[PATH_MAX], path[PATH_MAX];
	DIR *d, *ports;
	int found = 0;

	addr_to_gid(a, gid);
	d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.' || pjoin(dir, sizeof(dir), root, e->d_name) ||
		    pjoin(path, sizeof(path), dir, "ports"))
			continue;
		ports = opendir(path);
		if (!ports)
			continue;
		while (!found && (p = readdir(ports))) {
			char port_dir[PATH_MAX], state[PATH_MAX];

			if (p->d_name[0] == '.' ||
			    pjoin(port_dir, sizeof(port_dir), path, p->d_name) ||
			    pjoin(state, sizeof(state), port_dir, "state") ||
			    !file_starts(state, "4: ACTIVE"))
				continue;
			found = port_has_gid(port_dir, gid);
		}
		closedir(ports);
		if (found)
			snprintf(dev, len, "%s", e->d_name);
	}
	closedir(d);
	return found;
}

int heca_local_addr_for(const struct heca_addr *peer, struct heca_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0;

	memset(&ss, 0, sizeof(ss));
	if (peer->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(peer->port);
		memcpy(&s4->sin_addr, peer->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(peer->port);
		s6->sin6_scope_id = peer->scope_id;
		memcpy(&s6->sin6_addr, peer->addr, 16);
		sl = sizeof(*s6);
	}
	fd = socket(peer->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl))
		err = errno;
	close(fd);
	if (err)
		return err;
	memset(local, 0, sizeof(*local));
	local->family = peer->family;
	if (peer->family == AF_INET)
		memcpy(local->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(local->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return 0;
}

bool heca_rdma_port_has_addr(const char *dev, unsigned int port,
			     const struct heca_addr *a)
{
	const char *root = getenv("HECA_SYSFS_IB") ?: HECA_SYSFS_IB;
	char port_dir[PATH_MAX], state[PATH_MAX];
	unsigned char gid[16];
	int n;

	n = snprintf(port_dir, sizeof(port_dir), "%s/%s/ports/%u", root, dev, port);
	if (n < 0 || (size_t)n >= sizeof(port_dir) ||
	    pjoin(state, sizeof(state), port_dir, "state") ||
	    !file_starts(state, "4: ACTIVE"))
		return false;
	addr_to_gid(a, gid);
	return port_has_gid(port_dir, gid);
}

void heca_choose_transport(const struct heca_addr *a, bool listen,
			   struct heca_transport_choice *c)
{
	static const unsigned char any[16];
	size_t alen = a->family == AF_INET ? 4 : 16;

	memset(c, 0, sizeof(*c));
	c->transport = HECA_TRANSPORT_TCP;
	if (listen) {
		c->local = *a;
		if (!memcmp(a->addr, any, alen)) {
			c->why = HECA_TRANSPORT_ANY_ADDR;
			return;
		}
	} else {
		c->err = heca_local_addr_for(a, &c->local);
		if (c->err) {
			c->why = HECA_TRANSPORT_NO_ROUTE;
			return;
		}
	}
	if (heca_rdma_dev_with_addr(&c->local, c->dev, sizeof(c->dev)) == 1) {
		c->transport = HECA_TRANSPORT_RDMA;
		c->why = HECA_TRANSPORT_ON_RDMA_DEV;
	} else {
		c->why = HECA_TRANSPORT_NOT_RDMA;
	}
}
