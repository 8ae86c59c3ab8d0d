/*
 * A small JSON writer for `--json` output (pure apart from the FILE it
 * writes to): nested objects and arrays, two-space indentation, strings
 * escaped per RFC 8259. The caller pairs every begin with its end; a key
 * is given inside objects and NULL inside arrays.
 */
#ifndef MICA_JSON_H
#define MICA_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool has_items[JSON_MAX_DEPTH]; /* a comma is due before the next item at that depth */
};

void json_init(struct json *j, FILE *out);
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t value);
void json_s64(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
/* A number with `decimals` digits after the point (seconds of CPU time). */
void json_fixed(struct json *j, const char *key, uint64_t value, unsigned int scale_digits,
		unsigned int decimals);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/* Writes s as a JSON string literal (quotes included). */
void json_quote(FILE *out, const char *s);

#endif
