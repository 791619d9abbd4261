// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's network for the selftests (see heca_lab.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "heca.h"
#include "heca_lab.h"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

const char *lab_self_ip(void)
{
	return env_or("LAB_SELF_IP", "192.0.2.1");
}

const char *lab_peer_ip(void)
{
	return env_or("LAB_PEER_IP", "192.0.2.2");
}

const char *lab_loopback_ip(void)
{
	return LAB_LOOPBACK_IP;
}

#define LAB_RXE_MAX	2
#define LAB_DEV_LEN	64

const char *lab_rxe(unsigned int i)
{
	static char dev[LAB_RXE_MAX][LAB_DEV_LEN];
	const char *p = getenv("LAB_RXE");
	unsigned int n = 0;
	size_t len;

	if (i >= LAB_RXE_MAX)
		return NULL;
	while (p && *p) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (!len)
			break;
		if (n++ == i && len < LAB_DEV_LEN) {
			snprintf(dev[i], sizeof(dev[i]), "%.*s", (int)len, p);
			return dev[i];
		}
		p += len;
	}
	snprintf(dev[i], sizeof(dev[i]), "rxe%u", i);
	return dev[i];
}

static bool rdma_dev_exists(const char *dev)
{
	char path[128];

	snprintf(path, sizeof(path), HECA_SYSFS_IB "/%s", dev);
	return !access(path, F_OK);
}

bool lab_have_rxe_pair(void)
{
	return rdma_dev_exists(lab_rxe(0)) && rdma_dev_exists(lab_rxe(1));
}

const char *lab_rxe_missing(void)
{
	static char why[128];
	struct ifaddrs *ifa, *i;
	struct in_addr want;
	bool found = false;

	if (inet_pton(AF_INET, lab_self_ip(), &want) == 1 && !getifaddrs(&ifa)) {
		for (i = ifa; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
			    want.s_addr)
				found = true;
		freeifaddrs(ifa);
	}
	if (found && !access(HECA_SYSFS_IB, F_OK))
		return NULL;
	snprintf(why, sizeof(why), "no soft-RoCE pair (%s on %s): run in the lab",
		 lab_self_ip(), lab_rxe(0));
	return why;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

int lab_rxe_of(const char *netdev, char *name, size_t len)
{
	char path[300], parent[64];
	struct dirent *e;
	DIR *d;
	int err = -ENOENT;

	d = opendir(HECA_SYSFS_IB);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), HECA_SYSFS_IB "/%s/parent", e->d_name);
		if (!read_line(path, parent, sizeof(parent)) &&
		    !strcmp(parent, netdev)) {
			if (strlen(e->d_name) >= len)
				break;
			strcpy(name, e->d_name);
			err = 0;
			break;
		}
	}
	closedir(d);
	return err;
}

bool lab_rxe_ready(const char *dev, const char *ip)
{
	struct heca_addr a = { .family = AF_INET };

	if (inet_pton(AF_INET, ip, a.addr) != 1)
		return false;
	return heca_rdma_port_has_addr(dev, 1, &a);
}
