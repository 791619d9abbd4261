// SPDX-License-Identifier: GPL-2.0
/*
 * hecactl: tables and JSON (see output.h).
 */
#include <inttypes.h>
#include <string.h>

#include <json.h>

#include "output.h"
#include "size.h"

/* The kernel NUL-terminates names; do not trust it to. */
static int name_len(const struct heca_region_info *r)
{
	return (int)strnlen(r->name, sizeof(r->name));
}

static uint64_t resident_bytes(const struct heca_region_info *r, uint64_t page_size)
{
	if (page_size && r->resident > UINT64_MAX / page_size)
		return UINT64_MAX;
	return r->resident * page_size;
}

int hc_print_regions_table(FILE *f, const struct heca_region_info *r, size_t n,
			   uint64_t page_size)
{
	int wname = (int)strlen("NAME"), wsize = (int)strlen("SIZE");
	int wres = (int)strlen("RESIDENT");
	char a[HC_SIZE_BUF], b[HC_SIZE_BUF];

	for (size_t i = 0; i < n; i++) {
		int l;

		if (name_len(&r[i]) > wname)
			wname = name_len(&r[i]);
		l = (int)strlen(hc_format_size(r[i].size, a, sizeof(a)));
		if (l > wsize)
			wsize = l;
		l = (int)strlen(hc_format_size(resident_bytes(&r[i], page_size), a, sizeof(a)));
		if (l > wres)
			wres = l;
	}
	fprintf(f, "%-*s  %*s  %*s  %s\n", wname, "NAME", wsize, "SIZE", wres,
		"RESIDENT", "USERS");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-*.*s  %*s  %*s  %5" PRIu32 "\n", wname, name_len(&r[i]),
			r[i].name, wsize, hc_format_size(r[i].size, a, sizeof(a)),
			wres, hc_format_size(resident_bytes(&r[i], page_size), b, sizeof(b)),
			(uint32_t)r[i].users);
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = json_object_new_uint64(v);

	if (!j || json_object_object_add(o, key, j)) {
		json_object_put(j);
		return -1;
	}
	return 0;
}

static struct json_object *region_json(const struct heca_region_info *r,
				       uint64_t page_size)
{
	struct json_object *o = json_object_new_object();
	struct json_object *name;

	if (!o)
		return NULL;
	name = json_object_new_string_len(r->name, name_len(r));
	if (!name || json_object_object_add(o, "name", name)) {
		json_object_put(name);
		goto fail;
	}
	if (add_u64(o, "size_bytes", r->size) ||
	    add_u64(o, "resident_pages", r->resident) ||
	    add_u64(o, "resident_bytes", resident_bytes(r, page_size)) ||
	    add_u64(o, "users", r->users))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int hc_print_regions_json(FILE *f, const struct heca_region_info *r, size_t n,
			  uint64_t page_size)
{
	struct json_object *arr = json_object_new_array();
	const char *text;

	if (!arr)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = region_json(&r[i], page_size);

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			json_object_put(arr);
			return -1;
		}
	}
	text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		json_object_put(arr);
		return -1;
	}
	fprintf(f, "%s\n", text);
	json_object_put(arr);
	return 0;
}
