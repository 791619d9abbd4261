// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: session endpoints (see heca.h).
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "heca.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Decimal 1..@max without sign or space; 0 on anything else. */
static unsigned long parse_small(const char *s, unsigned long max)
{
	unsigned long v = 0;

	if (!all_digits(s))
		return 0;
	for (; *s; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return 0;
	}
	return v;
}

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

static int parse_port(const char *p, uint16_t *port, char *why, size_t whylen)
{
	unsigned long v;

	if (!*p)
		return fail(why, whylen, "missing port after ':'");
	v = parse_small(p, 65535);
	if (!v)
		return fail(why, whylen, "the port must be a number from 1 to 65535");
	*port = (uint16_t)v;
	return 0;
}

/* "[v6%scope]:port" */
static int parse_v6(const char *s, bool listen, struct heca_addr *out,
		    char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *close = strchr(s, ']');
	char *pct;
	size_t len;

	if (!close)
		return fail(why, whylen, "missing ']' after the IPv6 address");
	len = (size_t)(close - s - 1);
	if (len == 0)
		return fail(why, whylen, "empty IPv6 address in '[]'");
	if (len >= sizeof(host))
		return fail(why, whylen, "the IPv6 address is too long");
	memcpy(host, s + 1, len);
	host[len] = '\0';
	if (close[1] != ':')
		return fail(why, whylen, close[1] ? "expected ':PORT' after ']'" :
			    "missing ':PORT' (e.g. [::1]:7000)");
	if (parse_port(close + 2, &out->port, why, whylen))
		return -1;

	pct = strchr(host, '%');
	if (pct) {
		*pct++ = '\0';
		if (!*pct)
			return fail(why, whylen, "empty scope after '%'");
		if (all_digits(pct)) {
			out->scope_id = (uint32_t)parse_small(pct, UINT32_MAX);
			if (!out->scope_id)
				return fail(why, whylen, "the scope must be an interface name or a number from 1");
		} else {
			out->scope_id = if_nametoindex(pct);
			if (!out->scope_id) {
				snprintf(why, whylen, "no network interface '%s' for the scope", pct);
				return -1;
			}
		}
	}
	if (inet_pton(AF_INET6, host, out->addr) != 1) {
		snprintf(why, whylen, "'%s' is not an IPv6 address", host);
		return -1;
	}
	out->family = AF_INET6;
	if (!listen && !memcmp(out->addr, &in6addr_any, sizeof(in6addr_any)))
		return fail(why, whylen, "[::] is not an address to connect to: give the destination's address");
	return 0;
}

int heca_parse_addr(const char *s, bool listen, struct heca_addr *out,
		  char *why, size_t whylen)
{
	char host[INET_ADDRSTRLEN];
	const char *colon;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail(why, whylen, "empty (expected ADDR:PORT, e.g. 192.0.2.2:7000 or [::1]:7000)");
	if (s[0] == '[')
		return parse_v6(s, listen, out, why, whylen);

	colon = strchr(s, ':');
	if (!colon)
		return fail(why, whylen, "missing ':PORT' (e.g. 192.0.2.2:7000)");
	if (strchr(colon + 1, ':'))
		return fail(why, whylen, "an IPv6 address goes in brackets: [2001:db8::2]:7000");
	len = (size_t)(colon - s);
	if (len == 0)
		return fail(why, whylen, "missing address before ':' (0.0.0.0 listens on every address)");
	if (len < sizeof(host)) {
		memcpy(host, s, len);
		host[len] = '\0';
	}
	if (len >= sizeof(host) || inet_pton(AF_INET, host, out->addr) != 1) {
		snprintf(why, whylen, "'%.*s' is not an IPv4 address (host names are not looked up)",
			 (int)(len > 40 ? 40 : len), s);
		return -1;
	}
	if (parse_port(colon + 1, &out->port, why, whylen))
		return -1;
	out->family = AF_INET;
	if (!listen && !memcmp(out->addr, "\0\0\0\0", 4))
		return fail(why, whylen, "0.0.0.0 is not an address to connect to: give the destination's address");
	return 0;
}
