// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: region name rules (see heca.h).
 */
#include <stdio.h>
#include <string.h>

#include <linux/heca.h>

#include "heca.h"

static int name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int heca_check_name(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);

	if (len == 0) {
		snprintf(why, whylen, "a name must not be empty");
		return -1;
	}
	if (len > HECA_NAME_MAX - 1) {
		snprintf(why, whylen, "longer than %d characters", HECA_NAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (name_char_ok(c))
			continue;
		if (c > ' ' && c < 0x7f)
			snprintf(why, whylen, "'%c' is not allowed (only A-Z a-z 0-9 _ . -)", c);
		else
			snprintf(why, whylen, "byte 0x%02x is not allowed (only A-Z a-z 0-9 _ . -)", c);
		return -1;
	}
	if (name[0] == '.' || name[0] == '-') {
		snprintf(why, whylen, "a name must not start with '%c'", name[0]);
		return -1;
	}
	if (!strcmp(name, HECA_CONTROL_NAME)) {
		snprintf(why, whylen, "'%s' is reserved for the control device",
			 HECA_CONTROL_NAME);
		return -1;
	}
	return 0;
}
