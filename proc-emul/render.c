/* render.c: the KLIPS /proc/net views as text, from a sadb and its runtime.
 *
 * Pure: reads the sadb and its runtime, appends to a strbuf.  No FUSE, no I/O, no
 * locking (the caller renders on the thread that owns the sadb and hands the
 * finished text to readers).  Built for size: 100,000 groups render in a few
 * tens of milliseconds, one said_format() per SAID straight into the buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Append one SAID and its trailing space. */
static int put_said(struct strbuf *b, const struct said *s, char fmt)
{
	size_t n;

	if (strbuf_reserve(b, SAID_BUF + 1))
		return -ENOMEM;
	n = said_format(s, fmt, b->s + b->len, SAID_BUF);
	if (n >= SAID_BUF) /* cannot happen: SAID_BUF is the longest SAID */
		n = SAID_BUF - 1;
	b->len += n;
	b->s[b->len++] = ' ';
	b->s[b->len] = '\0';
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

/* render_spigrp() - see render.h.  Lines are sorted by order only when
 * db->group is not in that order already. */
int render_spigrp(const struct sadb *db, const struct runtime *rt, enum cfg_said_format fmt,
		  struct strbuf *out)
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
	if (strbuf_reserve(out, 0))
		return -ENOMEM;
	if (!db || !rt || db->ngroup == 0)
		goto out;

	sorted = malloc(db->ngroup * sizeof(*sorted));
	if (!sorted) {
		out->oom = true;
		return -ENOMEM;
	}
	for (i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];
		const struct rt_group *r = g ? rt_of(rt, g) : NULL;

		if (!r || r->state != RT_INSTALLED)
			continue;
		if (n && sorted[n - 1].order > g->order)
			in_order = false;
		sorted[n].order = g->order;
		sorted[n++].g = g;
	}
	if (!in_order)
		qsort(sorted, n, sizeof(*sorted), cmp_order);
	/* a typical line: four SAIDs of ~25 bytes */
	if (strbuf_reserve(out, n * 100)) {
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
			ret = strbuf_reserve(out, 1);
		if (ret)
			break;
		strbuf_add(out, "\n", 1);
	}
out:
	free(sorted);
	return ret;
}

/* render_version() - see render.h.  Same NUL and -ENOMEM rules as above. */
int render_version(struct strbuf *out)
{
	static const char text[] = "spigrpd version: " PACKAGE_VERSION "\n";

	strbuf_add(out, text, sizeof(text) - 1);
	return out->oom ? -ENOMEM : 0;
}
