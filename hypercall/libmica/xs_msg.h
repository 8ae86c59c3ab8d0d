/*
 * libmica: the store's message format, without I/O (pure; host-tested).
 * A message is a struct xsd_sockmsg and len payload bytes; requests carry
 * NUL-terminated strings, a value written last without its NUL.
 */
#ifndef LIBMICA_XS_MSG_H
#define LIBMICA_XS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <pv/io/xs_wire.h>

/* One piece of a request's payload: len bytes, then a NUL if nul. */
struct xs_part {
	const char *data;
	size_t len;
	int nul;
};

/*
 * Builds a whole request (header and payload) into a malloc'd buffer
 * *out of *out_len bytes. Returns 0, -E2BIG if the payload would exceed
 * XENSTORE_PAYLOAD_MAX, or -ENOMEM.
 */
int xs_msg_build(uint32_t type, uint32_t req_id, uint32_t tx, const struct xs_part *parts,
		 unsigned int nr, char **out, size_t *out_len);

/* The errno an XS_ERROR payload names ("ENOENT" -> -ENOENT); -EIO for a name it does not know. */
int xs_msg_error(const char *payload, size_t len);

/*
 * Splits a payload of NUL-terminated strings (the last NUL may be missing)
 * into a malloc'd array of malloc'd strings. An empty payload is no
 * strings. Returns 0 or -ENOMEM.
 */
int xs_msg_split(const char *payload, size_t len, char ***out, unsigned int *nr);

/*
 * Whether a path is one the store accepts from a client: absolute
 * ("/..."), or a special "@name", no empty component, no trailing '/'
 * (except "/" itself), only the characters [A-Za-z0-9_/@-.] and at most
 * XENSTORE_ABS_PATH_MAX bytes.
 */
int xs_msg_path_ok(const char *path);

#endif
