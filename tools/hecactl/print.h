/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hecactl: one print call for people and for scripts, in the manner of
 * iproute2's print_*(PRINT_ANY, key, fmt, value): a command prints each
 * value once, and the call writes it with @fmt as text, or adds it under
 * @key to the JSON document (json-c) when the output is JSON.  @kind says
 * which of the two a call is for: HC_PRINT_ANY for both, HC_PRINT_FP for
 * the text only (words and layout around the values), HC_PRINT_JSON for
 * the JSON only (raw figures the text shows in a human form).
 *
 * The JSON document is written at hc_print_end(): pretty, two spaces, no
 * escaped slashes.  Inside an array, @key is NULL.  Running out of memory
 * is remembered and reported by hc_print_end().
 */
#ifndef HECACTL_PRINT_H
#define HECACTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum hc_print_kind {
	HC_PRINT_FP = 1,	/* text */
	HC_PRINT_JSON = 2,	/* JSON */
	HC_PRINT_ANY = 3,	/* both */
};

/*
 * Start printing to @f, as text or (@json) as a JSON document whose top is
 * an object, or an array with @array.
 */
void hc_print_start(FILE *f, bool json, bool array);
/* Write the JSON document.  Returns 0, or -1 if memory ran out. */
int hc_print_end(void);
/* Is the output JSON? */
bool hc_print_is_json(void);

/* JSON only: open an object or an array under @key (NULL inside an array). */
void hc_print_open_object(const char *key);
void hc_print_close_object(void);
void hc_print_open_array(const char *key);
void hc_print_close_array(void);

/*
 * A value under @key, printed with @fmt (one conversion of the value's
 * type) as text.  A NULL string is JSON's null.
 */
void hc_print_string(int kind, const char *key, const char *fmt, const char *v);
void hc_print_u64(int kind, const char *key, const char *fmt, uint64_t v);
void hc_print_s64(int kind, const char *key, const char *fmt, int64_t v);
void hc_print_bool(int kind, const char *key, const char *fmt, bool v);
/*
 * A double: in JSON with the digits @fmt gives it (as "%.1f" says "1.5"),
 * so that the two say the same; @fmt has that one conversion alone.
 */
void hc_print_float(int kind, const char *key, const char *fmt, double v);
/* JSON's null under @key; @text as text (may be NULL: nothing). */
void hc_print_null(int kind, const char *key, const char *text);
/* Text only, printf-like. */
void hc_print_fp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HECACTL_PRINT_H */
