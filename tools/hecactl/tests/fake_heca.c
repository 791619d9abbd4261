// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for heca.ko's control device, for hecactl's command-line tests
 * on a host that cannot load modules.  LD_PRELOAD it and point HECA_CONTROL
 * at /dev/null: HECA_IOC_* ioctls on that fd are answered here, checking
 * the arguments the way uapi/linux/heca.h says the module does (argsz,
 * flags and reserved fields -> EINVAL).  Each run starts from:
 *
 *   FAKE_HECA_REGIONS  "name:size:resident_pages:users,..." (default none)
 *   FAKE_HECA_ERRNO    fail every heca ioctl but VERSION with this errno
 *   FAKE_HECA_VERSION_ERRNO  fail VERSION with this errno
 *   FAKE_HECA_ABI      abi_version that HECA_IOC_VERSION reports
 *   FAKE_HECA_GROW     regions that appear after the first LIST call
 *   FAKE_HECA_LOG      a file that gets one line per heca ioctl
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/heca.h>

struct region {
	char name[HECA_NAME_MAX];
	uint64_t size, resident;
	uint32_t users;
};

static struct region regions[HECA_MAX_REGIONS + 16];
static unsigned int nregions;
static int loaded, list_calls;

static void load(void)
{
	const char *s = getenv("FAKE_HECA_REGIONS");

	if (loaded++)
		return;
	while (s && *s && nregions < HECA_MAX_REGIONS) {
		struct region *r = &regions[nregions];
		int n = 0;

		if (sscanf(s, "%31[^:]:%" SCNu64 ":%" SCNu64 ":%" SCNu32 "%n",
			   r->name, &r->size, &r->resident, &r->users, &n) != 4)
			break;
		nregions++;
		s += n;
		if (*s == ',')
			s++;
	}
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	const char *path = getenv("FAKE_HECA_LOG");
	FILE *f;
	va_list ap;

	if (!path || !(f = fopen(path, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static int is_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

static struct region *find(const char *name)
{
	for (unsigned int i = 0; i < nregions; i++)
		if (!strncmp(regions[i].name, name, HECA_NAME_MAX))
			return &regions[i];
	return NULL;
}

static int fake(unsigned long req, void *arg)
{
	const char *e = getenv(req == HECA_IOC_VERSION ? "FAKE_HECA_VERSION_ERRNO" :
			       "FAKE_HECA_ERRNO");

	load();
	if (e && *e)
		return atoi(e);

	if (req == HECA_IOC_VERSION) {
		struct heca_version *v = arg;
		const char *abi = getenv("FAKE_HECA_ABI");

		if (v->argsz != sizeof(*v) || v->flags || !is_zero(v->reserved, sizeof(v->reserved)))
			return EINVAL;
		v->abi_version = abi ? (uint32_t)atoi(abi) : HECA_ABI_VERSION;
		v->max_regions = HECA_MAX_REGIONS;
		v->max_region_bytes = HECA_REGION_MAX_BYTES;
		v->page_size = 4096;
		logf_("VERSION\n");
		return 0;
	}
	if (req == HECA_IOC_REGION_CREATE) {
		struct heca_region_create *c = arg;

		if (c->argsz != sizeof(*c) || c->flags || !is_zero(c->reserved, sizeof(c->reserved)))
			return EINVAL;
		if (!memchr(c->name, 0, sizeof(c->name)) || !c->size || c->size % 4096 ||
		    c->size > HECA_REGION_MAX_BYTES)
			return EINVAL;
		logf_("CREATE %s %" PRIu64 "\n", c->name, (uint64_t)c->size);
		if (find(c->name))
			return EEXIST;
		if (nregions >= HECA_MAX_REGIONS)
			return ENOSPC;
		return 0;
	}
	if (req == HECA_IOC_REGION_DESTROY) {
		struct heca_region_destroy *d = arg;
		struct region *r;

		if (d->argsz != sizeof(*d) || d->flags || !is_zero(d->reserved, sizeof(d->reserved)))
			return EINVAL;
		if (!memchr(d->name, 0, sizeof(d->name)))
			return EINVAL;
		logf_("DESTROY %s\n", d->name);
		r = find(d->name);
		if (!r)
			return ENOENT;
		return r->users ? EBUSY : 0;
	}
	if (req == HECA_IOC_REGION_LIST) {
		struct heca_region_list *l = arg;
		struct heca_region_info *out = (void *)(uintptr_t)l->entries;
		const char *grow = getenv("FAKE_HECA_GROW");
		unsigned int n;

		if (l->argsz != sizeof(*l) || l->flags || l->reserved0 ||
		    !is_zero(l->reserved, sizeof(l->reserved)))
			return EINVAL;
		if (l->count && !out)
			return EFAULT;
		logf_("LIST count=%" PRIu32 "\n", (uint32_t)l->count);
		if (list_calls++ == 1 && grow) {
			/* regions created between the first and second call */
			for (int i = atoi(grow); i > 0 && nregions < HECA_MAX_REGIONS; i--) {
				struct region *r = &regions[nregions];

				snprintf(r->name, sizeof(r->name), "new%u", nregions);
				r->size = 4096;
				nregions++;
			}
		}
		n = l->count < nregions ? l->count : nregions;
		for (unsigned int i = 0; i < n; i++) {
			memset(&out[i], 0, sizeof(out[i]));
			memcpy(out[i].name, regions[i].name, sizeof(out[i].name));
			out[i].size = regions[i].size;
			out[i].resident = regions[i].resident;
			out[i].users = regions[i].users;
		}
		l->count = nregions;
		return 0;
	}
	return ENOTTY;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	struct stat st;
	va_list ap;
	void *arg;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (_IOC_TYPE(req) == HECA_IOC_MAGIC && fstat(fd, &st) == 0 &&
	    S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) /* /dev/null */) {
		err = fake(req, arg);
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}
