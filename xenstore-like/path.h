/*
 * mica-store: path syntax. A store path is absolute ("/local/domain/3/x"),
 * relative to the caller's home ("x" from domain 3 means the same), or
 * special ("@introduceDomain", for watches and their permissions only).
 * Valid characters are ASCII letters, digits and - / _ @; no empty
 * component, no trailing slash except the root "/". Absolute paths are at
 * most XENSTORE_ABS_PATH_MAX bytes, relative ones XENSTORE_REL_PATH_MAX.
 */
#ifndef STORE_PATH_H
#define STORE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include <pv/io/xs_wire.h>

/* Room for any canonical path and its NUL. */
#define PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)

/* Whether the len bytes at p form a valid absolute path. */
bool path_valid(const char *p, size_t len);

/*
 * Turns a request's path into its absolute form in out (PATH_BUF bytes):
 * relative paths are put under /local/domain/<domid>. Sets *relative.
 * Returns the length, or -EINVAL (bad syntax, too long, special path).
 */
int path_resolve(const char *in, unsigned domid, char *out, bool *relative);

/* Whether p names a special watch path (starts with '@'). */
static inline bool path_is_special(const char *p)
{
	return p[0] == '@';
}

/* A special path's syntax: '@' then 1 to XENSTORE_REL_PATH_MAX valid characters. */
bool path_special_valid(const char *p);

/* Length of the parent of the absolute path p[0..len): "/a/b" -> 2, "/a" -> 1, "/" -> 0. */
size_t path_parent_len(const char *p, size_t len);

/* Offset of the last component of the absolute path p[0..len): "/a/b" -> 3, "/a" -> 1. */
static inline size_t path_name_offset(const char *p, size_t len)
{
	size_t plen = path_parent_len(p, len);

	return plen <= 1 ? 1 : plen + 1;
}

/* The home of a domain, "/local/domain/<domid>", into out (at least 32 bytes). */
int path_home(unsigned domid, char *out, size_t size);

/*
 * Whether the absolute path p lies in domid's home (strictly below it); if
 * so, *rel points to its relative form inside p.
 */
bool path_in_home(const char *p, unsigned domid, const char **rel);

/*
 * The length the path-length quota counts: what follows "/local/domain/<N>/"
 * if p starts so, else all of p.
 */
size_t path_quota_len(const char *p);

/* Whether absolute path child equals parent or lies below it. */
bool path_is_below(const char *child, size_t clen, const char *parent, size_t plen);

#endif
