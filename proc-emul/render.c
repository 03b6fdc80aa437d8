/* render.c: the KLIPS /proc/net views as text, from a sadb.
 *
 * Pure: reads the sadb, writes a malloc'ed buffer.  No FUSE, no I/O, no
 * locking (the caller renders on the thread that owns the sadb and hands the
 * finished text to readers).  Built for size: 100,000 groups render in a few
 * tens of milliseconds, one said_format() per SAID straight into the buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

void render_buf_free(struct render_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* Make room for @more bytes plus a NUL after len.  0 or -ENOMEM (sets oom). */
static int buf_reserve(struct render_buf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -ENOMEM;
	if (more > SIZE_MAX - 1 - b->len)
		goto nomem;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		goto nomem;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
nomem:
	b->oom = 1;
	return -ENOMEM;
}

static int buf_append(struct render_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append one SAID and its trailing space. */
static int put_said(struct render_buf *b, const struct said *s, char fmt)
{
	size_t n;

	if (buf_reserve(b, SAID_BUF + 1))
		return -ENOMEM;
	n = said_format(s, fmt, b->data + b->len, SAID_BUF);
	if (n >= SAID_BUF) /* cannot happen: SAID_BUF is the longest SAID */
		n = SAID_BUF - 1;
	b->len += n;
	b->data[b->len++] = ' ';
	b->data[b->len] = '\0';
	return 0;
}

/* Sort keys next to the pointers: qsort then never touches the groups. */
struct line_ref {
	uint64_t order;
	const struct sadb_group *g;
};

static int cmp_order(const void *a, const void *b)
{
	const struct line_ref *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * render_spigrp() - see render.h.  Lines are ordered by sadb_group.order
 * (ascending) whatever order db->group holds them in; only groups in state
 * SADB_INSTALLED appear.  A shunt group prints its magic SAID (%pass, ...),
 * which said_format() names whatever the format.  On success out->data is
 * NUL-terminated (also when nothing was appended).  Returns -EINVAL for an
 * unknown @fmt, -ENOMEM when memory ran out (out->oom set, out->len then
 * covers only what was written before).
 */
int render_spigrp(const struct sadb *db, enum cfg_said_format fmt, struct render_buf *out)
{
	struct line_ref *sorted = NULL;
	size_t i, n = 0;
	bool in_order = true;
	char f;
	int ret = 0;

	switch (fmt) {
	case CFG_SAID_SEED:
		f = '0';
		break;
	case CFG_SAID_X:
		f = 'x';
		break;
	default:
		return -EINVAL;
	}
	if (buf_reserve(out, 0))
		return -ENOMEM;
	if (!db || db->ngroup == 0)
		goto out;

	sorted = malloc(db->ngroup * sizeof(*sorted));
	if (!sorted) {
		out->oom = 1;
		return -ENOMEM;
	}
	for (i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];

		if (!g || g->state != SADB_INSTALLED)
			continue;
		if (n && sorted[n - 1].order > g->order)
			in_order = false;
		sorted[n].order = g->order;
		sorted[n++].g = g;
	}
	if (!in_order)
		qsort(sorted, n, sizeof(*sorted), cmp_order);
	/* a typical line: four SAIDs of ~25 bytes */
	if (buf_reserve(out, n * 100)) {
		ret = -ENOMEM;
		goto out;
	}

	for (i = 0; i < n; i++) {
		const struct sadb_group *g = sorted[i].g;

		if (g->shunt) {
			ret = put_said(out, &g->shunt_said, f);
		} else {
			for (unsigned k = 0; k < g->nsa && !ret; k++)
				ret = put_said(out, &g->sa[k]->cfg->said, f);
		}
		if (!ret)
			ret = buf_append(out, "\n", 1);
		if (ret)
			break;
	}
out:
	free(sorted);
	return ret;
}

/* render_version() - see render.h.  Same NUL and -ENOMEM rules as above. */
int render_version(struct render_buf *out)
{
	static const char text[] = "spigrpd version: " PACKAGE_VERSION "\n";

	return buf_append(out, text, sizeof(text) - 1);
}
