/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: session endpoints "ADDR:PORT".  Pure, but for the lookup of an
 * interface name in an IPv6 scope.
 */
#ifndef HECACTL_ADDR_H
#define HECACTL_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/heca.h>

/* Room for any endpoint hecactl accepts, as typed. */
#define HC_ADDR_MAX	80

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
 * with a reason in @why.
 */
int hc_parse_addr(const char *s, bool listen, struct heca_addr *out,
		  char *why, size_t whylen);

#endif /* HECACTL_ADDR_H */
