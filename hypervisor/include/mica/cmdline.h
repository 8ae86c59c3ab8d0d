/*
 * The hypervisor command line: "name=value" and bare "name" words separated
 * by spaces. Each subsystem declares its own options with the PARAM_*
 * macros; they are collected in the .params section and parsed once
 * at boot. Unknown or malformed options produce a warning and are ignored.
 */
#ifndef MICA_CMDLINE_H
#define MICA_CMDLINE_H

#include <mica/types.h>

enum param_type {
	PARAM_BOOL,   /* bare name, or =1/0, yes/no, on/off, true/false */
	PARAM_UINT,   /* decimal, 0x hex or 0 octal; u64 */
	PARAM_SIZE,   /* a byte count with an optional K, M, G or T suffix; u64 */
	PARAM_STRING, /* copied into a char array of var_size bytes */
};

struct param {
	const char *name;
	enum param_type type;
	void *var;
	size_t var_size;
};

#define PARAM_DEFINE(n, t, v)                                             \
	static const struct param __param_##v                              \
		__attribute__((used, section(".params"), aligned(8))) = { \
			.name = n, .type = t, .var = &v, .var_size = sizeof(v) }

#define PARAM_BOOL(name, var) PARAM_DEFINE(name, PARAM_BOOL, var)
#define PARAM_UINT(name, var) PARAM_DEFINE(name, PARAM_UINT, var)
#define PARAM_SIZE(name, var) PARAM_DEFINE(name, PARAM_SIZE, var)
#define PARAM_STRING(name, var) PARAM_DEFINE(name, PARAM_STRING, var)

/* Called with a complete one-line message for each problem found. */
typedef void (*cmdline_warn_fn)(const char *msg);

/*
 * Parses line against params[0..n). Applies each recognised option in
 * order (a later one wins) and reports every unknown name, missing or
 * malformed value and overlong string through warn. Returns the number of
 * problems reported. Never writes outside the declared variables.
 */
int cmdline_parse(const char *line, const struct param *params, size_t n,
		  cmdline_warn_fn warn);

/*
 * Multiboot loaders put the image's path before the options. Returns line
 * past its first word if that word is neither "name=value" nor a known
 * option name, else line itself.
 */
const char *cmdline_skip_image_name(const char *line, const struct param *params, size_t n);

/* Parses a size such as "512M", "4G" or "65536"; returns false if malformed. */
bool parse_size(const char *s, u64 *out);

#endif
