/*
 * mica-store: helpers shared by the request handlers (ops.c: tree,
 * watches and transactions; ops_domain.c: domains and CONTROL).
 */
#ifndef STORE_OPS_H
#define STORE_OPS_H

#include <stddef.h>

#include "store.h"

#define OPS_MAX_ARGS 8

/* A request's payload split at its NULs. */
struct args {
	const char *v[OPS_MAX_ARGS];
	size_t len[OPS_MAX_ARGS];
	unsigned n;             /* NUL-terminated strings found (at most OPS_MAX_ARGS) */
};

void ops_split(const char *payload, size_t len, struct args *a);

void ops_reply(struct conn *c, const struct xsd_sockmsg *h, const void *p, size_t n);
void ops_reply_str(struct conn *c, const struct xsd_sockmsg *h, const char *s); /* s and its NUL */
void ops_reply_ok(struct conn *c, const struct xsd_sockmsg *h);
void ops_reply_error(struct conn *c, const struct xsd_sockmsg *h, int err);

/* Parses a domid argument (0..65535). */
bool ops_domid(const char *s, unsigned *domid);

/* The handlers in ops_domain.c; each sends its reply and returns 0 or -errno (for the log). */
int op_introduce(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_release(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_resume(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_set_target(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_get_domain_path(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_is_introduced(struct conn *c, const struct xsd_sockmsg *h, const struct args *a);
int op_control(struct conn *c, const struct xsd_sockmsg *h, const char *payload);

#endif
