/* Command-line parsing against declared options. Pure logic: host-testable. */
#include <mica/cmdline.h>
#include <mica/errno.h>
#include <mica/lib.h>

#define MAX_WORD 256

bool parse_size(const char *s, u64 *out)
{
	const char *end;
	bool ovf;
	unsigned int shift = 0;
	u64 v;

	if (*s < '0' || *s > '9')
		return false;
	v = parse_u64(s, &end, &ovf);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case 'b': case 'B': end++; break;
	default: break;
	}
	if (*end || ovf || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const words[] = { "0", "1", "no", "yes", "off", "on", "false", "true" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(s, words[i])) {
			*out = i & 1; /* each "no" word is followed by its "yes" */
			return true;
		}
	return false;
}

static bool store_uint(void *var, size_t size, u64 v)
{
	switch (size) {
	case 1: if (v > UINT8_MAX) return false; *(u8 *)var = (u8)v; return true;
	case 2: if (v > UINT16_MAX) return false; *(u16 *)var = (u16)v; return true;
	case 4: if (v > UINT32_MAX) return false; *(u32 *)var = (u32)v; return true;
	case 8: *(u64 *)var = v; return true;
	default: return false;
	}
}

static void warnf(cmdline_warn_fn warn, const char *fmt, const char *a, const char *b)
{
	char msg[MAX_WORD * 2 + 96];

	snprintf(msg, sizeof(msg), fmt, a, b);
	if (warn)
		warn(msg);
}

/*
 * Applies one "name[=value]" word. Returns NULL, or why it was rejected: a
 * format for the option's name and its value ("" when there is none).
 */
static const char *apply(const char *value, const struct param *p)
{
	const char *end;
	bool ovf, b = true;
	u64 v;

	switch (p->type) {
	case PARAM_BOOL:
		if (value && !parse_bool(value, &b))
			return "option '%s': '%s' is not a boolean (use 1/0, yes/no, on/off)";
		*(bool *)p->var = b;
		return NULL;
	case PARAM_UINT:
		if (!value || !*value)
			return "option '%s' needs a number%s";
		v = parse_u64(value, &end, &ovf);
		if (*end || ovf || !store_uint(p->var, p->var_size, v))
			return "option '%s': '%s' is not a number in range";
		return NULL;
	case PARAM_SIZE:
		if (!value || !parse_size(value, &v) || !store_uint(p->var, p->var_size, v))
			return "option '%s': '%s' is not a size (e.g. 512M, 2G)";
		return NULL;
	case PARAM_STRING:
		if (!value)
			return "option '%s' needs a value%s";
		if (strlen(value) >= p->var_size)
			return "option '%s': value '%s' is too long";
		strlcpy(p->var, value, p->var_size);
		return NULL;
	}
	return "option '%s' has a parameter type this parser does not know%s";
}

int cmdline_parse(const char *line, const struct param *params, size_t n,
		  cmdline_warn_fn warn)
{
	int problems = 0;

	if (!line)
		return 0;
	while (*line) {
		char word[MAX_WORD];
		size_t len = 0;
		char *value;
		const struct param *p = NULL;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			break;
		while (line[len] && line[len] != ' ' && line[len] != '\t')
			len++;
		if (len >= sizeof(word)) {
			memcpy(word, line, 32);
			strlcpy(word + 32, "...", 4);
			warnf(warn, "option '%s' is too long; ignored%s", word, "");
			line += len;
			problems++;
			continue;
		}
		memcpy(word, line, len);
		word[len] = '\0';
		line += len;
		value = strchr(word, '=');
		if (value)
			*value++ = '\0';
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(params[i].name, word)) {
				p = &params[i];
				break;
			}
		}
		if (!p) {
			warnf(warn, "unknown option '%s' ignored%s", word, "");
			problems++;
		} else {
			const char *why = apply(value, p);

			if (why) {
				warnf(warn, why, word, value ? value : "");
				problems++;
			}
		}
	}
	return problems;
}

const char *cmdline_skip_image_name(const char *line, const struct param *params, size_t n)
{
	const char *p = line;
	size_t len = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (p[len] && p[len] != ' ' && p[len] != '\t') {
		if (p[len] == '=')
			return line;
		len++;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(params[i].name) == len && !strncmp(params[i].name, p, len))
			return line;
	return p + len;
}
