/* mica-store: path validation and canonical forms. */
#include "path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '/' || c == '_' || c == '@';
}

bool path_valid(const char *p, size_t len)
{
	if (len == 0 || len > XENSTORE_ABS_PATH_MAX || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (p[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!path_char(p[i]))
			return false;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return false;
	}
	return true;
}

int path_resolve(const char *in, unsigned domid, char *out, bool *relative)
{
	size_t len = strlen(in);
	int n;

	if (len == 0 || path_is_special(in))
		return -EINVAL;
	if (in[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
		*relative = false;
		n = (int)len;
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, PATH_BUF, "/local/domain/%u/%s", domid, in);
		if (n < 0 || n >= PATH_BUF)
			return -EINVAL;
		*relative = true;
	}
	return path_valid(out, (size_t)n) ? n : -EINVAL;
}

bool path_special_valid(const char *p)
{
	size_t len = strlen(p);

	if (len < 2 || len > XENSTORE_REL_PATH_MAX + 1 || p[0] != '@')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!path_char(p[i]))
			return false;
	return true;
}

size_t path_parent_len(const char *p, size_t len)
{
	if (len <= 1)
		return 0;
	while (len > 0 && p[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}

int path_home(unsigned domid, char *out, size_t size)
{
	return snprintf(out, size, "/local/domain/%u", domid);
}

bool path_in_home(const char *p, unsigned domid, const char **rel)
{
	char home[32];
	int n = path_home(domid, home, sizeof(home));

	if (strncmp(p, home, (size_t)n) || p[n] != '/' || !p[n + 1])
		return false;
	*rel = p + n + 1;
	return true;
}

size_t path_quota_len(const char *p)
{
	static const char pre[] = "/local/domain/";
	size_t len = strlen(p), i = sizeof(pre) - 1;

	if (strncmp(p, pre, i) || p[i] < '0' || p[i] > '9')
		return len;
	while (p[i] >= '0' && p[i] <= '9')
		i++;
	if (p[i] != '/')
		return len;
	return len - i - 1;
}

bool path_is_below(const char *child, size_t clen, const char *parent, size_t plen)
{
	if (plen == 1)
		return true; /* everything is below "/" */
	if (clen < plen || memcmp(child, parent, plen))
		return false;
	return clen == plen || child[plen] == '/';
}
