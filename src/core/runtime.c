/* runtime.c: per-group and per-SA runtime objects and their handover
 * across reloads (runtime.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "runtime.h"
#include "sadb.h"
#include "salive.h"
#include "snap.h"

const char *rt_state_name(enum rt_state st)
{
	switch (st) {
	case RT_PENDING:
		return "pending";
	case RT_INSTALLED:
		return "installed";
	case RT_REFUSED:
		return "refused";
	case RT_SKIPPED:
		return "skipped";
	case RT_LOST:
		return "lost";
	}
	return "unknown";
}

void rt_set_state(struct rt_group *r, enum rt_state st, const char *fmt, ...)
{
	va_list ap;
	char text[2 * REASON_LEN]; /* longer than a reason: reason_set() marks the cut */

	r->state = st;
	r->why.text[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reason_set(&r->why, "%s", text);
}

int rt_set_placement(struct rt_group *r, const struct place_verdict *v)
{
	r->place = v->where;
	r->probed = v->probed;
	r->probe_err = v->err;
	free(r->probe_text);
	r->probe_text = NULL;
	if (v->probed && v->kernel.text[0] && !(r->probe_text = strdup(v->kernel.text)))
		return -ENOMEM;
	return 0;
}

void rt_place_why(const struct rt_group *r, const struct sadb_group *g, struct reason *why)
{
	place_why(g, r->probed, r->probe_err, r->probe_text, why);
}

static void rt_sa_free(struct rt_sa *s)
{
	if (!s)
		return;
	sa_live_put(s->live);
	free(s);
}

static void group_free(struct rt_group *r)
{
	if (!r)
		return;
	free(r->probe_text);
	for (unsigned k = 0; k < r->nsa; k++)
		rt_sa_free(r->sa[k]);
	snap_put(r->dp);
	free(r);
}

void rt_reset(struct rt_group *r, const struct sadb_group *g)
{
	struct place_verdict v = { .where = place_provisional(g) };

	rt_set_placement(r, &v);
	if (g->skip_reason)
		rt_set_state(r, RT_SKIPPED, "%s", g->skip_reason);
	else
		rt_set_state(r, RT_PENDING, NULL);
}

/* A fresh object for @g, or NULL when out of memory. */
static struct rt_group *group_fresh(const struct sadb_group *g)
{
	struct rt_group *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	for (r->nsa = 0; r->nsa < g->nsa; r->nsa++) {
		r->sa[r->nsa] = calloc(1, sizeof(*r->sa[r->nsa]));
		if (!r->sa[r->nsa]) {
			group_free(r);
			return NULL;
		}
	}
	rt_reset(r, g);
	return r;
}

static struct runtime *rt_alloc(size_t n)
{
	struct runtime *rt = calloc(1, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->group = calloc(n ? n : 1, sizeof(*rt->group));
	if (!rt->group) {
		free(rt);
		return NULL;
	}
	rt->n = n;
	return rt;
}

struct runtime *rt_new(const struct sadb *db)
{
	struct runtime *rt = rt_alloc(db->ngroup);

	if (!rt)
		return NULL;
	for (size_t i = 0; i < db->ngroup; i++) {
		rt->group[i] = group_fresh(db->group[i]);
		if (!rt->group[i]) {
			rt_free(rt);
			return NULL;
		}
	}
	return rt;
}

void rt_free(struct runtime *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++)
		group_free(rt->group[i]);
	free(rt->group);
	free(rt);
}

struct rt_group *rt_of(const struct runtime *rt, const struct sadb_group *g)
{
	return g->index < rt->n ? rt->group[g->index] : NULL;
}

/* The old group @ng is unchanged from, or SIZE_MAX. */
static size_t same_group(const struct runtime *old, const struct sadb *odb,
			 const struct sadb_group *ng)
{
	const struct sadb_group *og = sadb_find_group(odb, ng->name);

	if (!og || og->index >= old->n || !old->group[og->index] || !sadb_group_equal(og, ng))
		return SIZE_MAX;
	return og->index;
}

/* Index the SAs of the old groups that do not move whole: value = group
 * index * 8 + SA position.  0 or -ENOMEM. */
static int index_old_sas(struct hidx *x, const struct runtime *old, const struct sadb *odb,
			 const bool *taken)
{
	for (size_t j = 0; j < old->n && j < odb->ngroup; j++) {
		const struct sadb_group *og = odb->group[j];

		if (taken[j] || !old->group[j])
			continue;
		for (unsigned k = 0; k < og->nsa; k++)
			if (hidx_put(x, og->sa[k]->hash, j * 8 + k) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* Give the fresh group @r (of @ng) the objects of equal SAs of @old. */
static void take_sas(struct rt_group *r, const struct sadb_group *ng, struct runtime *old,
		     const struct sadb *odb, const struct hidx *x)
{
	for (unsigned k = 0; k < ng->nsa; k++) {
		size_t pos = 0, v;

		while (hidx_next(x, ng->sa[k]->hash, &pos, &v)) {
			size_t j = v / 8;
			unsigned m = (unsigned)(v % 8);
			struct rt_group *o = old->group[j];

			if (!o || m >= o->nsa || !o->sa[m] ||
			    !sadb_sa_equal(odb->group[j]->sa[m], ng->sa[k]))
				continue;
			rt_sa_free(r->sa[k]);
			r->sa[k] = o->sa[m];
			o->sa[m] = NULL;
			break;
		}
	}
}

struct runtime *rt_handover(struct runtime *old, const struct sadb *odb, const struct sadb *ndb,
			    size_t *kept)
{
	struct runtime *rt = rt_alloc(ndb->ngroup);
	size_t *from = calloc(ndb->ngroup + 1, sizeof(*from));
	bool *taken = calloc(old->n + 1, sizeof(*taken));
	struct hidx x = { 0 };
	size_t i, nkept = 0;

	if (!rt || !from || !taken)
		goto oom;
	/* First everything that may fail, then the moves: an error leaves
	 * @old as it was. */
	for (i = 0; i < ndb->ngroup; i++) {
		from[i] = same_group(old, odb, ndb->group[i]);
		if (from[i] != SIZE_MAX) {
			taken[from[i]] = true;
			continue;
		}
		rt->group[i] = group_fresh(ndb->group[i]);
		if (!rt->group[i])
			goto oom;
	}
	if (index_old_sas(&x, old, odb, taken) < 0)
		goto oom;
	for (i = 0; i < ndb->ngroup; i++) {
		if (from[i] == SIZE_MAX) {
			take_sas(rt->group[i], ndb->group[i], old, odb, &x);
			continue;
		}
		rt->group[i] = old->group[from[i]];
		old->group[from[i]] = NULL;
		nkept++;
	}
	hidx_free(&x);
	free(from);
	free(taken);
	if (kept)
		*kept = nkept;
	return rt;
oom:
	hidx_free(&x);
	free(from);
	free(taken);
	rt_free(rt);
	return NULL;
}
