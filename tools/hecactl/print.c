// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: text and JSON from the same calls (see print.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include <json.h>

#include "print.h"

/* Objects and arrays open at once, the top included. */
#define HC_PRINT_DEPTH	8

static struct {
	FILE *f;
	bool json;
	bool oom;
	int depth;		/* entries of stack[] in use */
	struct json_object *stack[HC_PRINT_DEPTH];
} out = { .f = NULL };

void hc_print_start(FILE *f, bool json, bool array)
{
	out.f = f;
	out.json = json;
	out.oom = false;
	out.depth = 0;
	if (!json)
		return;
	out.stack[0] = array ? json_object_new_array() : json_object_new_object();
	if (!out.stack[0])
		out.oom = true;
	else
		out.depth = 1;
}

bool hc_print_is_json(void)
{
	return out.json;
}

int hc_print_end(void)
{
	const char *text;
	int rc = 0;

	if (!out.json)
		return 0;
	if (out.oom || out.depth != 1) {
		rc = -1;
	} else {
		text = json_object_to_json_string_ext(out.stack[0],
						      JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text)
			fprintf(out.f, "%s\n", text);
		else
			rc = -1;
	}
	if (out.depth)
		json_object_put(out.stack[0]);
	out.depth = 0;
	return rc;
}

/* Add @j (which may be NULL for null) under @key to the innermost container. */
static void add(const char *key, struct json_object *j)
{
	struct json_object *top;

	if (out.oom || !out.depth) {
		json_object_put(j);
		return;
	}
	top = out.stack[out.depth - 1];
	if (json_object_is_type(top, json_type_array) ?
	    json_object_array_add(top, j) : json_object_object_add(top, key, j)) {
		json_object_put(j);
		out.oom = true;
	}
}

/* Add a new value, which NULL means could not be made. */
static void add_new(const char *key, struct json_object *j)
{
	if (!j)
		out.oom = true;
	else
		add(key, j);
}

static void open_container(const char *key, struct json_object *c)
{
	if (!out.json)
		return;
	if (!c || out.depth == HC_PRINT_DEPTH) {
		json_object_put(c);
		out.oom = true;
		return;
	}
	json_object_get(c);	/* one reference for the parent, one for the stack */
	add(key, c);
	if (out.oom) {
		json_object_put(c);
		return;
	}
	out.stack[out.depth++] = c;
}

static void close_container(void)
{
	if (!out.json || out.oom || out.depth <= 1)
		return;
	json_object_put(out.stack[--out.depth]);
}

void hc_print_open_object(const char *key)
{
	if (out.json)
		open_container(key, json_object_new_object());
}

void hc_print_close_object(void)
{
	close_container();
}

void hc_print_open_array(const char *key)
{
	if (out.json)
		open_container(key, json_object_new_array());
}

void hc_print_close_array(void)
{
	close_container();
}

/* The callers' formats are literals; they reach fprintf() through here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void hc_print_string(int kind, const char *key, const char *fmt, const char *v)
{
	if (out.json && (kind & HC_PRINT_JSON))
		add(key, v ? json_object_new_string(v) : NULL);
	else if (!out.json && (kind & HC_PRINT_FP))
		fprintf(out.f, fmt, v ? v : "");
}

void hc_print_u64(int kind, const char *key, const char *fmt, uint64_t v)
{
	if (out.json && (kind & HC_PRINT_JSON))
		add_new(key, json_object_new_uint64(v));
	else if (!out.json && (kind & HC_PRINT_FP))
		fprintf(out.f, fmt, v);
}

void hc_print_s64(int kind, const char *key, const char *fmt, int64_t v)
{
	if (out.json && (kind & HC_PRINT_JSON))
		add_new(key, json_object_new_int64(v));
	else if (!out.json && (kind & HC_PRINT_FP))
		fprintf(out.f, fmt, v);
}

void hc_print_bool(int kind, const char *key, const char *fmt, bool v)
{
	if (out.json && (kind & HC_PRINT_JSON))
		add_new(key, json_object_new_boolean(v));
	else if (!out.json && (kind & HC_PRINT_FP))
		fprintf(out.f, fmt, v ? "true" : "false");
}

void hc_print_float(int kind, const char *key, const char *fmt, double v)
{
	char s[64];

	if (out.json && (kind & HC_PRINT_JSON)) {
		snprintf(s, sizeof(s), fmt, v);
		add_new(key, json_object_new_double_s(v, s));
	} else if (!out.json && (kind & HC_PRINT_FP)) {
		fprintf(out.f, fmt, v);
	}
}

#pragma GCC diagnostic pop

void hc_print_null(int kind, const char *key, const char *text)
{
	if (out.json && (kind & HC_PRINT_JSON))
		add(key, NULL);
	else if (!out.json && (kind & HC_PRINT_FP) && text)
		fputs(text, out.f);
}

void hc_print_fp(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vfprintf(out.f, fmt, ap);
	va_end(ap);
}
