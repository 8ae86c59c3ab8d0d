/* libmica: building and reading store messages (pure). */
#include "xs_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libmica.h"

int xs_msg_build(uint32_t type, uint32_t req_id, uint32_t tx, const struct xs_part *parts,
		 unsigned int nr, char **out, size_t *out_len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx, .len = 0 };
	size_t len = 0;
	char *buf, *p;

	for (unsigned int i = 0; i < nr; i++) {
		if (parts[i].len > XENSTORE_PAYLOAD_MAX)
			return -E2BIG;
		len += parts[i].len + (parts[i].nul ? 1 : 0);
		if (len > XENSTORE_PAYLOAD_MAX)
			return -E2BIG;
	}
	buf = malloc(sizeof(h) + len);
	if (!buf)
		return -ENOMEM;
	h.len = (uint32_t)len;
	memcpy(buf, &h, sizeof(h));
	p = buf + sizeof(h);
	for (unsigned int i = 0; i < nr; i++) {
		if (parts[i].len)
			memcpy(p, parts[i].data, parts[i].len);
		p += parts[i].len;
		if (parts[i].nul)
			*p++ = '\0';
	}
	*out = buf;
	*out_len = sizeof(h) + len;
	return 0;
}

static const struct {
	const char *name;
	int err;
} error_names[] = {
#define X(name) { #name, name },
	XS_ERROR_NAMES(X)
#undef X
};

int xs_msg_error(const char *payload, size_t len)
{
	size_t n = strnlen(payload, len);

	for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
		if (strlen(error_names[i].name) == n && !memcmp(error_names[i].name, payload, n))
			return -error_names[i].err;
	return -EIO;
}

void mica_xs_free_list(char **names, unsigned int nr)
{
	if (!names)
		return;
	for (unsigned int i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int xs_msg_split(const char *payload, size_t len, char ***out, unsigned int *nr)
{
	unsigned int count = 0, i = 0;
	char **v;

	for (size_t at = 0; at < len; count++)
		at += strnlen(payload + at, len - at) + 1;
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t at = 0; at < len; i++) {
		size_t n = strnlen(payload + at, len - at);

		v[i] = strndup(payload + at, n);
		if (!v[i]) {
			mica_xs_free_list(v, i);
			return -ENOMEM;
		}
		at += n + 1;
	}
	*out = v;
	*nr = count;
	return 0;
}

int xs_msg_path_ok(const char *path)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_@";
	size_t len = strlen(path);

	if (!len || len > XENSTORE_ABS_PATH_MAX || strspn(path, ok) != len)
		return 0;
	if (path[0] == '@')
		return strchr(path, '/') == NULL && len > 1;
	if (path[0] != '/' || strstr(path, "//"))
		return 0;
	return len == 1 || path[len - 1] != '/';
}
