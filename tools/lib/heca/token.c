// SPDX-License-Identifier: GPL-2.0
/*
 * libheca: session tokens (see heca.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "heca.h"

/* A token file holds 32 digits and a newline; anything much longer is not one. */
#define HECA_TOKEN_FILE_MAX	256

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_zero(const uint8_t *t)
{
	for (int i = 0; i < HECA_TOKEN_BYTES; i++)
		if (t[i])
			return false;
	return true;
}

int heca_parse_token(const char *s, uint8_t out[HECA_TOKEN_BYTES], char *why,
		   size_t whylen)
{
	size_t len = s ? strlen(s) : 0;
	uint8_t t[HECA_TOKEN_BYTES];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (hex_value(s[i]) >= 0)
			continue;
		if (c > ' ' && c < 0x7f)
			snprintf(why, whylen, "'%c' is not a hex digit (a token is %d hex digits)",
				 c, HECA_TOKEN_HEX);
		else
			snprintf(why, whylen, "byte 0x%02x is not a hex digit (a token is %d hex digits)",
				 c, HECA_TOKEN_HEX);
		return -1;
	}
	if (len != HECA_TOKEN_HEX) {
		snprintf(why, whylen, "%zu hex digits, not %d ('hecactl token' makes one)",
			 len, HECA_TOKEN_HEX);
		return -1;
	}
	for (int i = 0; i < HECA_TOKEN_BYTES; i++)
		t[i] = (uint8_t)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
	if (is_zero(t)) {
		snprintf(why, whylen, "all zero, which is no secret ('hecactl token' makes one)");
		return -1;
	}
	memcpy(out, t, sizeof(t));
	return 0;
}

void heca_format_token(const uint8_t t[HECA_TOKEN_BYTES],
		     char buf[HECA_TOKEN_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < HECA_TOKEN_BYTES; i++) {
		buf[2 * i] = digits[t[i] >> 4];
		buf[2 * i + 1] = digits[t[i] & 0xf];
	}
	buf[HECA_TOKEN_HEX] = '\0';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int heca_read_token_file(const char *path, uint8_t out[HECA_TOKEN_BYTES],
		       char *why, size_t whylen)
{
	char buf[HECA_TOKEN_FILE_MAX + 1];
	size_t len = 0;
	char *p;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > HECA_TOKEN_FILE_MAX) {
		snprintf(why, whylen, "the file is longer than a token");
		return -1;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		snprintf(why, whylen, "the file holds a NUL byte, not a token");
		return -1;
	}
	while (len && is_space(buf[len - 1]))
		buf[--len] = '\0';
	for (p = buf; is_space(*p); p++)
		;
	if (!*p) {
		snprintf(why, whylen, "the file is empty ('hecactl token > FILE' makes one)");
		return -1;
	}
	return heca_parse_token(p, out, why, whylen);
}

int heca_random_token(uint8_t out[HECA_TOKEN_BYTES])
{
	size_t got = 0;

	do {
		while (got < HECA_TOKEN_BYTES) {
			ssize_t n = getrandom(out + got, HECA_TOKEN_BYTES - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno;
			got += (size_t)n;
		}
		got = is_zero(out) ? 0 : got;	/* 2^-128: but never all zero */
	} while (!got);
	return 0;
}
