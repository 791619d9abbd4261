/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: session tokens, the secret both ends of a session are given.
 * A token is HECA_TOKEN_BYTES (16) bytes, written as 32 hex digits, and not
 * all zero.
 */
#ifndef HECACTL_TOKEN_H
#define HECACTL_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/heca.h>

#define HC_TOKEN_HEX	(2 * HECA_TOKEN_BYTES)

/*
 * Parse exactly 32 hex digits (either case, nothing else) into @out.
 * Returns 0, or -1 with a reason in @why.  Pure.
 */
int hc_parse_token(const char *s, uint8_t out[HECA_TOKEN_BYTES], char *why,
		   size_t whylen);

/* 32 lowercase hex digits and a NUL into @buf.  Pure. */
void hc_format_token(const uint8_t t[HECA_TOKEN_BYTES],
		     char buf[HC_TOKEN_HEX + 1]);

/*
 * Read a token from the file @path: the 32 hex digits, with any white
 * space (a newline) around them.  Returns 0; a positive errno if the file
 * cannot be read; or -1 with a reason in @why if it holds no valid token.
 */
int hc_read_token_file(const char *path, uint8_t out[HECA_TOKEN_BYTES],
		       char *why, size_t whylen);

/* A fresh random token from getrandom(2).  Returns 0 or an errno. */
int hc_random_token(uint8_t out[HECA_TOKEN_BYTES]);

#endif /* HECACTL_TOKEN_H */
