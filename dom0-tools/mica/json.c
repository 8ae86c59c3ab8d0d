/* A small JSON writer (see json.h). */
#include "json.h"

#include <inttypes.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->has_items[0] = false;
}

void json_quote(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void indent(struct json *j)
{
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Starts an item: the comma and line break before it, and its key. */
static void item(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->has_items[j->depth])
			fputc(',', j->out);
		fputc('\n', j->out);
		indent(j);
	}
	j->has_items[j->depth] = true;
	if (key) {
		json_quote(j->out, key);
		fputs(": ", j->out);
	}
}

static void begin(struct json *j, const char *key, char open)
{
	item(j, key);
	fputc(open, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void end(struct json *j, char close)
{
	bool had = j->has_items[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had) {
		fputc('\n', j->out);
		indent(j);
	}
	fputc(close, j->out);
}

void json_begin_object(struct json *j, const char *key)
{
	begin(j, key, '{');
}

void json_end_object(struct json *j)
{
	end(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
	begin(j, key, '[');
}

void json_end_array(struct json *j)
{
	end(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	item(j, key);
	if (value)
		json_quote(j->out, value);
	else
		fputs("null", j->out);
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	item(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void json_s64(struct json *j, const char *key, int64_t value)
{
	item(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	item(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_fixed(struct json *j, const char *key, uint64_t value, unsigned int scale_digits,
		unsigned int decimals)
{
	uint64_t scale = 1, cut = 1;

	for (unsigned int i = 0; i < scale_digits; i++)
		scale *= 10;
	if (decimals > scale_digits)
		decimals = scale_digits;
	for (unsigned int i = decimals; i < scale_digits; i++)
		cut *= 10;
	item(j, key);
	fprintf(j->out, "%" PRIu64, value / scale);
	if (decimals)
		fprintf(j->out, ".%0*" PRIu64, (int)decimals, (value % scale) / cut);
}

void json_finish(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
