/* mica-store: connection framing and output queues (see conn.h). */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "txn.h"
#include "watch.h"

static void flush_enqueue(struct conn *c)
{
	struct store *st = c->st;

	if (c->flush_queued || c->dead)
		return;
	c->flush_queued = true;
	c->flush_prev = NULL;
	c->flush_next = st->flush;
	if (st->flush)
		st->flush->flush_prev = c;
	st->flush = c;
}

static void flush_dequeue(struct conn *c)
{
	if (!c->flush_queued)
		return;
	if (c->flush_prev)
		c->flush_prev->flush_next = c->flush_next;
	else
		c->st->flush = c->flush_next;
	if (c->flush_next)
		c->flush_next->flush_prev = c->flush_prev;
	c->flush_queued = false;
	c->flush_next = c->flush_prev = NULL;
}

struct conn *conn_new(struct store *st, unsigned domid, const struct conn_ops *ops, void *tp,
		      const char *name)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_buf = malloc(XENSTORE_PAYLOAD_MAX + 1);
	c->dom = domain_get(st, domid);
	if (!c->in_buf || !c->dom) {
		free(c->in_buf);
		free(c);
		return NULL;
	}
	c->st = st;
	c->id = ++st->next_conn_id;
	c->domid = domid;
	c->privileged = domid == 0;
	c->ops = ops;
	c->tp = tp;
	c->next_txid = 1;
	strncpy(c->name, name, sizeof(c->name) - 1);
	c->next = st->conns;
	if (st->conns)
		st->conns->prev = c;
	st->conns = c;
	st->nconns++;
	c->dnext = c->dom->conns;
	if (c->dom->conns)
		c->dom->conns->dprev = c;
	c->dom->conns = c;
	return c;
}

static void drop_output(struct conn *c)
{
	while (c->out_head) {
		struct outmsg *m = c->out_head;

		c->out_head = m->next;
		free(m);
	}
	c->out_tail = NULL;
	c->out_off = 0;
	c->out_replies = c->out_events = 0;
}

/* Drops everything the client set up: transactions, watches, partial input, output. */
static void drop_state(struct conn *c)
{
	while (c->txns)
		txn_end(c->txns, false);
	watch_remove_all(c);
	drop_output(c);
	c->in_got = 0;
}

void conn_reset(struct conn *c)
{
	drop_state(c);
	c->next_txid = 1;
	c->drop_logged = false;
}

void conn_close(struct conn *c)
{
	struct store *st = c->st;

	if (c->dead)
		return;
	drop_state(c);
	flush_dequeue(c);
	c->dead = true;
	if (c->ops && c->ops->close)
		c->ops->close(c);
	if (c->dom->conn == c)
		c->dom->conn = NULL;
	if (c->dprev)
		c->dprev->dnext = c->dnext;
	else
		c->dom->conns = c->dnext;
	if (c->dnext)
		c->dnext->dprev = c->dprev;
	c->dom = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		st->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	st->nconns--;
	c->prev = NULL;
	c->next = st->dead;
	st->dead = c;
}

void store_reap(struct store *st)
{
	while (st->dead) {
		struct conn *c = st->dead;

		st->dead = c->next;
		free(c->in_buf);
		free(c);
	}
}

void store_flush(struct store *st)
{
	while (st->flush) {
		struct conn *c = st->flush;

		flush_dequeue(c);
		if (!c->dead && c->ops && c->ops->flush)
			c->ops->flush(c);
	}
}

static bool paused(const struct conn *c)
{
	if (c->dead)
		return true;
	if (c->privileged)
		return c->out_replies + c->out_events >= PRIV_BACKLOG;
	return c->out_replies >= c->st->quota.outstanding;
}

size_t conn_in_want(struct conn *c, void **dst)
{
	const size_t hdr = sizeof(c->in_hdr);

	if (paused(c))
		return 0;
	if (c->in_got < hdr) {
		*dst = (char *)&c->in_hdr + c->in_got;
		return hdr - c->in_got;
	}
	*dst = c->in_buf + (c->in_got - hdr);
	return hdr + c->in_hdr.len - c->in_got;
}

int conn_in_got(struct conn *c, size_t n)
{
	const size_t hdr = sizeof(c->in_hdr);
	struct xsd_sockmsg h;

	c->in_got += (uint32_t)n;
	if (c->in_got < hdr)
		return 0;
	if (c->in_hdr.len > XENSTORE_PAYLOAD_MAX) {
		log_warn("%s: message of %u bytes (the most is %u): protocol error, "
			 "no more requests are read from it", c->name, c->in_hdr.len,
			 XENSTORE_PAYLOAD_MAX);
		c->in_got = 0;
		return -EPROTO;
	}
	if (c->in_got < hdr + c->in_hdr.len)
		return 0;
	h = c->in_hdr;
	c->in_got = 0;
	c->in_buf[h.len] = '\0';
	store_request(c->st, c, &h, c->in_buf);
	return 1;
}

bool conn_out_peek(struct conn *c, const void **p, size_t *len)
{
	if (!c->out_head)
		return false;
	*p = c->out_head->data + c->out_off;
	*len = c->out_head->len - c->out_off;
	return true;
}

void conn_out_done(struct conn *c, size_t n)
{
	struct outmsg *m = c->out_head;

	if (!m)
		return;
	c->out_off += (uint32_t)n;
	if (c->out_off < m->len)
		return;
	c->out_head = m->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->out_off = 0;
	if (m->event)
		c->out_events--;
	else
		c->out_replies--;
	if (!c->out_events)
		c->drop_logged = false;
	free(m);
}

static struct outmsg *build(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
			    size_t alen, const void *b, size_t blen)
{
	struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)(alen + blen) };
	struct outmsg *m = malloc(sizeof(*m) + sizeof(h) + alen + blen);

	if (!m)
		return NULL;
	m->next = NULL;
	m->len = (uint32_t)(sizeof(h) + alen + blen);
	memcpy(m->data, &h, sizeof(h));
	if (alen)
		memcpy(m->data + sizeof(h), a, alen);
	if (blen)
		memcpy(m->data + sizeof(h) + alen, b, blen);
	return m;
}

static void enqueue(struct conn *c, struct outmsg *m)
{
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	if (m->event)
		c->out_events++;
	else
		c->out_replies++;
	flush_enqueue(c);
}

int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *a,
	      size_t alen, const void *b, size_t blen)
{
	struct outmsg *m;

	if (c->dead)
		return 0;
	if (alen + blen > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	m = build(type, req_id, tx_id, a, alen, b, blen);
	if (!m)
		return -ENOMEM;
	m->event = false;
	enqueue(c, m);
	return 0;
}

/* Whether an identical event waits in the queue (and has not started to go out). */
static bool queued_already(const struct conn *c, const struct outmsg *m)
{
	for (const struct outmsg *q = c->out_head; q; q = q->next) {
		if (q == c->out_head && c->out_off)
			continue;
		if (q->event && q->len == m->len && !memcmp(q->data, m->data, m->len))
			return true;
	}
	return false;
}

static void dropped(struct conn *c, const char *path, const char *why)
{
	c->st->stats.events_dropped++;
	if (c->drop_logged)
		return;
	c->drop_logged = true;
	log_warn("%s: watch event for %s dropped: %s (logged once until its queue drains)",
		 c->name, path, why);
}

void conn_send_event(struct conn *c, const char *path, const char *token)
{
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
	struct outmsg *m;

	if (c->dead)
		return;
	if (plen + tlen > XENSTORE_PAYLOAD_MAX) {
		dropped(c, path, "path and token exceed the payload limit");
		return;
	}
	if (!c->privileged && c->out_events >= c->st->quota.events) {
		c->st->stats.quota_hits++;
		dropped(c, path, "quota 'events' reached (the domain is not reading its ring)");
		return;
	}
	m = build(XS_WATCH_EVENT, 0, 0, path, plen, token, tlen);
	if (!m) {
		dropped(c, path, "out of memory");
		return;
	}
	m->event = true;
	/* A slow reader gets one copy of a pending event, as Xen does; @ events all go out. */
	if (!c->privileged && path[0] != '@' && queued_already(c, m)) {
		free(m);
		c->st->stats.events_dropped++;
		return;
	}
	enqueue(c, m);
	c->st->stats.events_sent++;
}

void conn_subject(const struct conn *c, struct perm_subject *s)
{
	s->domid = c->domid;
	s->privileged = c->privileged;
	s->target = c->dom ? c->dom->target : -1;
}
