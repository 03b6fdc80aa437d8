/* klips_rt.c: the runtime objects of the KLIPS commands and the changes
 * the commands ask for (klips_rt.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "cfg_priv.h" /* cfgp_said_hash() */
#include "klips_rt.h"
#include "klips_rt_priv.h"

/* ---- the indexes (klips_rt.h: struct klips_rt_index) ---- */

static uint64_t prefix_hash(uint64_t h, const struct ip_prefix *p)
{
	h = hash_bytes(h, &p->addr.family, sizeof(p->addr.family));
	h = hash_bytes(h, p->addr.b, ip_addr_len(&p->addr));
	return hash_bytes(h, &p->len, sizeof(p->len));
}

static uint64_t er_key_hash(const struct klips_eroute *e)
{
	return prefix_hash(prefix_hash(HASH_INIT, &e->src), &e->dst);
}

/* Put the SAs from @from on (their positions) in the index. */
static int index_sas(struct klips_rt *k, size_t from)
{
	for (size_t i = from; i < k->nsa; i++)
		if (hidx_put(&k->idx.sa, cfgp_said_hash(&k->sa[i].said), i) < 0)
			return -ENOMEM;
	return 0;
}

static int index_links(struct klips_rt *k, size_t from)
{
	for (size_t i = from; i < k->nlink; i++)
		if (hidx_put(&k->idx.from, cfgp_said_hash(&k->link[i].from), i) < 0 ||
		    hidx_put(&k->idx.to, cfgp_said_hash(&k->link[i].to), i) < 0)
			return -ENOMEM;
	return 0;
}

static int index_ers(struct klips_rt *k, size_t from)
{
	/* shunts (%drop, ... : thousands of eroutes may share one) are not in
	 * idx.er: er_next_of() scans for them */
	for (size_t i = from; i < k->ner; i++)
		if ((!said_is_magic(&k->er[i].said) &&
		     hidx_put(&k->idx.er, cfgp_said_hash(&k->er[i].said), i) < 0) ||
		    hidx_put(&k->idx.er_key, er_key_hash(&k->er[i]), i) < 0)
			return -ENOMEM;
	return 0;
}

/*
 * Index an array again after entries left it (positions moved): the index
 * is emptied and filled with fewer entries than it held, so it never grows
 * (hidx keeps its load at most 1/2) and this cannot fail.
 */
static void reindex_sas(struct klips_rt *k)
{
	hidx_reset(&k->idx.sa);
	(void)index_sas(k, 0);
}

static void reindex_links(struct klips_rt *k)
{
	hidx_reset(&k->idx.from);
	hidx_reset(&k->idx.to);
	(void)index_links(k, 0);
}

static void reindex_ers(struct klips_rt *k)
{
	hidx_reset(&k->idx.er);
	hidx_reset(&k->idx.er_key);
	(void)index_ers(k, 0);
}

static void index_free(struct klips_rt_index *x)
{
	hidx_free(&x->sa);
	hidx_free(&x->from);
	hidx_free(&x->to);
	hidx_free(&x->er);
	hidx_free(&x->er_key);
}

void klips_rt_free(struct klips_rt *k)
{
	for (size_t i = 0; i < k->nsa; i++) {
		cfg_key_clear(&k->sa[i].enckey);
		cfg_key_clear(&k->sa[i].authkey);
	}
	free(k->sa);
	free(k->link);
	free(k->er);
	index_free(&k->idx);
	memset(k, 0, sizeof(*k));
}

int klips_rt_copy(struct klips_rt *dst, const struct klips_rt *src)
{
	klips_rt_free(dst);
	dst->sa = calloc(src->nsa + 1, sizeof(*dst->sa));
	dst->link = calloc(src->nlink + 1, sizeof(*dst->link));
	dst->er = calloc(src->ner + 1, sizeof(*dst->er));
	if (!dst->sa || !dst->link || !dst->er)
		goto oom;
	for (size_t i = 0; i < src->nsa; i++) {
		dst->sa[i] = src->sa[i];
		dst->sa[i].enckey = (struct cfg_key){ NULL, 0 };
		dst->sa[i].authkey = (struct cfg_key){ NULL, 0 };
		dst->nsa = i + 1;
		if (cfg_key_copy(&dst->sa[i].enckey, &src->sa[i].enckey) < 0 ||
		    cfg_key_copy(&dst->sa[i].authkey, &src->sa[i].authkey) < 0)
			goto oom;
	}
	/* memcpy() from NULL is undefined even for 0 bytes */
	if (src->nlink)
		memcpy(dst->link, src->link, src->nlink * sizeof(*dst->link));
	dst->nlink = src->nlink;
	if (src->ner)
		memcpy(dst->er, src->er, src->ner * sizeof(*dst->er));
	dst->ner = src->ner;
	if (hidx_init(&dst->idx.sa, dst->nsa) < 0 || hidx_init(&dst->idx.from, dst->nlink) < 0 ||
	    hidx_init(&dst->idx.to, dst->nlink) < 0 || hidx_init(&dst->idx.er, dst->ner) < 0 ||
	    hidx_init(&dst->idx.er_key, dst->ner) < 0 || index_sas(dst, 0) < 0 ||
	    index_links(dst, 0) < 0 || index_ers(dst, 0) < 0)
		goto oom;
	return 0;
oom:
	klips_rt_free(dst);
	return -ENOMEM;
}

/* ---- lookups ---- */

const struct cfg_sa *klips_rt_find_sa(const struct klips_rt *k, const struct said *s)
{
	size_t pos = 0, i;

	while (hidx_next(&k->idx.sa, cfgp_said_hash(s), &pos, &i))
		if (said_equal(&k->sa[i].said, s))
			return &k->sa[i];
	return NULL;
}

long krt_succ(const struct klips_rt *k, const struct said *s)
{
	size_t pos = 0, i;

	while (hidx_next(&k->idx.from, cfgp_said_hash(s), &pos, &i))
		if (said_equal(&k->link[i].from, s))
			return (long)i;
	return -1;
}

long krt_pred(const struct klips_rt *k, const struct said *s)
{
	size_t pos = 0, i;

	while (hidx_next(&k->idx.to, cfgp_said_hash(s), &pos, &i))
		if (said_equal(&k->link[i].to, s))
			return (long)i;
	return -1;
}

/* The next eroute naming @s after cursor *@pos (start at 0; any order), or
 * -1. */
static long er_next_of(const struct klips_rt *k, const struct said *s, size_t *pos)
{
	size_t i;

	if (said_is_magic(s)) {
		while (*pos < k->ner)
			if (said_equal(&k->er[i = (*pos)++].said, s))
				return (long)i;
		return -1;
	}
	while (hidx_next(&k->idx.er, cfgp_said_hash(s), pos, &i))
		if (said_equal(&k->er[i].said, s))
			return (long)i;
	return -1;
}

unsigned krt_chain(const struct klips_rt *k, const struct said *s, struct said *out, unsigned max)
{
	struct said h = *s;
	unsigned n = 0, guard = 0;
	long l;

	while ((l = krt_pred(k, &h)) >= 0 && guard++ <= k->nlink)
		h = k->link[l].from;
	out[n++] = h;
	while (n < max && (l = krt_succ(k, &out[n - 1])) >= 0)
		out[n++] = k->link[l].to;
	return n;
}

const struct cfg_group *krt_file_group(const struct cfg *file, const struct said *s)
{
	for (size_t i = 0; file && i < file->ngroup; i++)
		for (unsigned j = 0; j < file->group[i].nsaid; j++)
			if (said_equal(&file->group[i].said[j], s))
				return &file->group[i];
	return NULL;
}

/* ---- messages ---- */

struct ctx {
	struct klips_rt *k;
	const struct cfg *file;
	const struct klips_req *req;
	struct strbuf *out;
};

static int __attribute__((format(printf, 3, 4))) fail(struct ctx *c, int err, const char *fmt, ...)
{
	va_list ap;
	char text[768];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	strbuf_printf(c->out, "%s: %s\n", c->req->prog, text);
	return err;
}

static const char *txt(const struct said *s, char buf[SAID_BUF])
{
	said_format(s, '0', buf, SAID_BUF);
	return buf;
}

/* An SA a runtime command may name: runtime, or of the config and in no
 * [group] of it.  0, or a failure naming it. */
static int usable_sa(struct ctx *c, const struct said *s)
{
	const struct cfg_group *g;
	char b[SAID_BUF];

	if (klips_rt_find_sa(c->k, s))
		return 0;
	if (!cfg_find_sa(c->file, s))
		return fail(c, -ENOENT, "SA %s does not exist", txt(s, b));
	g = krt_file_group(c->file, s);
	if (g)
		return fail(c, -EPERM, "SA %s is in [group %s] of %s (line %u): the config groups it",
			    txt(s, b), g->name, c->file->path ? c->file->path : "the config", g->line);
	return 0;
}

/* ---- eroutes ---- */

static bool er_same_key(const struct klips_eroute *a, const struct klips_eroute *b)
{
	return ip_addr_equal(&a->src.addr, &b->src.addr) && a->src.len == b->src.len &&
	       ip_addr_equal(&a->dst.addr, &b->dst.addr) && a->dst.len == b->dst.len;
}

/* The eroute of @e's source and destination, or -1. */
static long er_find_key(const struct klips_rt *k, const struct klips_eroute *e)
{
	size_t pos = 0, i;

	while (hidx_next(&k->idx.er_key, er_key_hash(e), &pos, &i))
		if (er_same_key(&k->er[i], e))
			return (long)i;
	return -1;
}

static void er_remove_at(struct klips_rt *k, size_t i)
{
	memmove(&k->er[i], &k->er[i + 1], (k->ner - i - 1) * sizeof(*k->er));
	k->ner--;
	reindex_ers(k);
}

void krt_er_text(const struct klips_eroute *e, char *buf, size_t len)
{
	char s[IP_PREFIX_BUF], d[IP_PREFIX_BUF];

	ip_prefix_format(&e->src, s, sizeof(s));
	ip_prefix_format(&e->dst, d, sizeof(d));
	snprintf(buf, len, "%s -> %s", s, d);
}

/* The eroutes naming @s (its group was dissolved or its SA deleted) become
 * %drop: the traffic they routed is blocked, never sent through what is
 * left of the group nor in clear, and a script's later `eroute --del`
 * still finds them.  One line each in @out. */
static void drop_eroutes_of(struct ctx *c, const struct said *s)
{
	struct klips_rt *k = c->k;
	char t[2 * IP_PREFIX_BUF + 8];
	size_t pos = 0;
	bool any = false;

	if (er_next_of(k, s, &pos) < 0)
		return;
	for (size_t i = 0; i < k->ner; i++) {
		if (!said_equal(&k->er[i].said, s))
			continue;
		krt_er_text(&k->er[i], t, sizeof(t));
		strbuf_printf(c->out, "eroute %s => %%drop (its group is gone; eroute --del or "
			      "--replace it)\n", t);
		said_parse("%drop", &k->er[i].said, NULL, 0);
		any = true;
	}
	if (any)
		reindex_ers(k);
}

static bool prefix_in(const struct ip_prefix *v, unsigned n, const struct ip_prefix *p)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i].len == p->len && ip_addr_equal(&v[i].addr, &p->addr))
			return true;
	return false;
}

/* The eroutes of one SA become one group's selectors: its sources x its
 * destinations, one protocol and port pair.  0, or a failure. */
static int er_product(struct ctx *c, const struct klips_eroute *add)
{
	struct ip_prefix src[CFG_MAX_TS], dst[CFG_MAX_TS];
	unsigned ns = 0, nd = 0, n = 1;
	char b[SAID_BUF];

	size_t pos = 0;
	long i;

	src[ns++] = add->src;
	dst[nd++] = add->dst;
	while ((i = er_next_of(c->k, &add->said, &pos)) >= 0) {
		const struct klips_eroute *e = &c->k->er[i];

		if (e->tproto != add->tproto || e->sport != add->sport || e->dport != add->dport)
			return fail(c, -EINVAL, "the eroutes of %s must have the same --transport-proto "
				    "and ports: its group's policies share them", txt(&add->said, b));
		n++;
		if (!prefix_in(src, ns, &e->src)) {
			if (ns == CFG_MAX_TS)
				goto big;
			src[ns++] = e->src;
		}
		if (!prefix_in(dst, nd, &e->dst)) {
			if (nd == CFG_MAX_TS)
				goto big;
			dst[nd++] = e->dst;
		}
	}
	if (ns * nd != n)
		return fail(c, -EINVAL, "the eroutes of %s would not be every --src with every --dst: "
			    "spigrpd gives a group one set of sources and one of destinations (add the "
			    "missing pairs, or make a second group)", txt(&add->said, b));
	return 0;
big:
	return fail(c, -E2BIG, "%s would have more than %d sources or destinations", txt(&add->said, b),
		    CFG_MAX_TS);
}

/* May @e be added (the eroutes of its SA, @e's replaced one out)?  0 or a
 * failure. */
static int er_check(struct ctx *c, const struct klips_eroute *e)
{
	char b[SAID_BUF], h[SAID_BUF];
	int r;

	if (said_is_magic(&e->said))
		return 0;
	r = usable_sa(c, &e->said);
	if (r < 0)
		return r;
	if (krt_pred(c->k, &e->said) >= 0) {
		struct said chain[CFG_MAX_GROUP_SAS + 1];

		krt_chain(c->k, &e->said, chain, 1);
		return fail(c, -EINVAL, "%s is not the first SA of its group: %s is", txt(&e->said, b),
			    txt(&chain[0], h));
	}
	return er_product(c, e);
}

static void er_insert_at(struct klips_rt *k, size_t i, const struct klips_eroute *e)
{
	memmove(&k->er[i + 1], &k->er[i], (k->ner - i) * sizeof(*k->er));
	k->er[i] = *e;
	k->ner++;
	reindex_ers(k);
}

static int er_add(struct ctx *c, bool replace)
{
	const struct klips_eroute *e = &c->req->er;
	char b[SAID_BUF], t[2 * IP_PREFIX_BUF + 8];
	struct klips_eroute *v, old;
	size_t old_at = SIZE_MAX;
	long i;
	int r;

	krt_er_text(e, t, sizeof(t));
	i = er_find_key(c->k, e);
	if (i >= 0) {
		if (!replace)
			return fail(c, -EEXIST, "eroute %s already exists (=> %s): eroute --del it first, "
				    "or use --replace", t, txt(&c->k->er[i].said, b));
		/* out while the new one is checked (the product must not count
		 * it); back in place if that fails: a failure changes nothing
		 * (the array and its index keep their room for it) */
		old = c->k->er[i];
		old_at = (size_t)i;
		er_remove_at(c->k, old_at);
	}
	r = er_check(c, e);
	if (r < 0)
		goto undo;
	v = realloc(c->k->er, (c->k->ner + 1) * sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto undo;
	}
	c->k->er = v;
	v[c->k->ner++] = *e;
	if (index_ers(c->k, c->k->ner - 1) < 0) {
		c->k->ner--;
		reindex_ers(c->k); /* one half may be in */
		r = -ENOMEM;
		goto undo;
	}
	strbuf_printf(c->out, "added eroute %s => %s\n", t, txt(&e->said, b));
	return 0;
undo:
	if (old_at != SIZE_MAX)
		er_insert_at(c->k, old_at, &old);
	return r;
}

static int er_del(struct ctx *c)
{
	char t[2 * IP_PREFIX_BUF + 8];
	long i;

	krt_er_text(&c->req->er, t, sizeof(t));
	i = er_find_key(c->k, &c->req->er);
	if (i < 0)
		return fail(c, -ENOENT, "no eroute %s", t);
	er_remove_at(c->k, (size_t)i);
	strbuf_printf(c->out, "removed eroute %s\n", t);
	return 0;
}

/* ---- SAs ---- */

static int sa_add(struct ctx *c)
{
	const struct klips_spi *s = &c->req->spi;
	struct cfg_sa sa, *v;
	char b[SAID_BUF], why[512];
	int r;

	if (klips_rt_find_sa(c->k, &s->said) || cfg_find_sa(c->file, &s->said))
		return fail(c, -EEXIST, "SA %s already exists%s: SA already in use.  Delete old one "
			    "first.", txt(&s->said, b),
			    klips_rt_find_sa(c->k, &s->said) ? "" : " in the config");
	r = krt_sa_from_req(s, &sa, why, sizeof(why));
	if (r < 0)
		return r == -ENOMEM ? r : fail(c, r, "%s: %s", txt(&s->said, b), why);
	v = realloc(c->k->sa, (c->k->nsa + 1) * sizeof(*v));
	if (!v) {
		cfg_key_clear(&sa.enckey);
		cfg_key_clear(&sa.authkey);
		return -ENOMEM;
	}
	c->k->sa = v;
	v[c->k->nsa++] = sa;
	if (index_sas(c->k, c->k->nsa - 1) < 0) {
		c->k->nsa--;
		cfg_key_clear(&sa.enckey);
		cfg_key_clear(&sa.authkey);
		return -ENOMEM;
	}
	strbuf_printf(c->out, "added SA %s\n", txt(&s->said, b));
	return 0;
}

static void sa_remove(struct klips_rt *k, const struct said *s)
{
	const struct cfg_sa *sa = klips_rt_find_sa(k, s);
	size_t i;

	if (!sa)
		return;
	i = (size_t)(sa - k->sa);
	cfg_key_clear(&k->sa[i].enckey);
	cfg_key_clear(&k->sa[i].authkey);
	memmove(&k->sa[i], &k->sa[i + 1], (k->nsa - i - 1) * sizeof(*k->sa));
	k->nsa--;
	reindex_sas(k);
}

/* Unlink the whole chain @s is in; its eroutes go.  The chain's SAs in
 * @chain (inside -> outside), their number returned. */
static unsigned dissolve(struct ctx *c, const struct said *s, struct said *chain)
{
	unsigned n = krt_chain(c->k, s, chain, CFG_MAX_GROUP_SAS + 1);
	struct klips_rt *k = c->k;
	char b[SAID_BUF];
	size_t kept = 0;

	drop_eroutes_of(c, &chain[0]);
	for (size_t i = 0; n > 1 && i < k->nlink; i++) {
		bool in_chain = false;

		for (unsigned j = 0; j + 1 < n && !in_chain; j++)
			in_chain = said_equal(&k->link[i].from, &chain[j]);
		if (!in_chain)
			k->link[kept++] = k->link[i];
	}
	if (n > 1) {
		k->nlink = kept;
		reindex_links(k);
	}
	if (n > 1)
		strbuf_printf(c->out, "ungrouped %s\n", txt(&chain[0], b));
	return n;
}

static int sa_del(struct ctx *c)
{
	const struct said *s = &c->req->spi.said;
	struct said chain[CFG_MAX_GROUP_SAS + 1];
	char b[SAID_BUF];
	unsigned n;

	if (!klips_rt_find_sa(c->k, s)) {
		if (cfg_find_sa(c->file, s))
			return fail(c, -EPERM, "SA %s is defined in %s: remove it there", txt(s, b),
				    c->file->path ? c->file->path : "the config");
		return fail(c, -ENOENT, "SA %s does not exist", txt(s, b));
	}
	n = dissolve(c, s, chain);
	for (unsigned i = 0; i < n; i++) {
		if (!klips_rt_find_sa(c->k, &chain[i]))
			continue; /* a config SA: only ungrouped */
		drop_eroutes_of(c, &chain[i]);
		sa_remove(c->k, &chain[i]);
		strbuf_printf(c->out, "deleted SA %s\n", txt(&chain[i], b));
	}
	return 0;
}

/* Every runtime SA and link goes; the eroutes of chains and of runtime
 * SAs become %drop (those of lone config SAs and shunts stay as they are),
 * as drop_eroutes_of() says: in one pass, not one chain at a time (that
 * would be quadratic). */
static void sa_clear(struct ctx *c)
{
	struct klips_rt *k = c->k;
	char b[SAID_BUF], t[2 * IP_PREFIX_BUF + 8];

	for (size_t i = 0; i < k->ner; i++) {
		struct said *s = &k->er[i].said;

		if (klips_rt_find_sa(k, s) || (krt_succ(k, s) >= 0 && krt_pred(k, s) < 0)) {
			krt_er_text(&k->er[i], t, sizeof(t));
			strbuf_printf(c->out, "eroute %s => %%drop (its group is gone; eroute --del "
				      "or --replace it)\n", t);
			said_parse("%drop", s, NULL, 0);
		}
	}
	for (size_t i = 0; i < k->nlink; i++)
		if (krt_pred(k, &k->link[i].from) < 0)
			strbuf_printf(c->out, "ungrouped %s\n", txt(&k->link[i].from, b));
	for (size_t i = 0; i < k->nsa; i++) {
		strbuf_printf(c->out, "deleted SA %s\n", txt(&k->sa[i].said, b));
		cfg_key_clear(&k->sa[i].enckey);
		cfg_key_clear(&k->sa[i].authkey);
	}
	k->nlink = k->nsa = 0;
	reindex_sas(k);
	reindex_links(k);
	reindex_ers(k);
}

/* ---- groups ---- */

/* Link @from -> @to with KLIPS's checks.  0 or a failure. */
static int link_one(struct ctx *c, const struct said *from, const struct said *to)
{
	char b[SAID_BUF], d[SAID_BUF];
	struct klips_link *v;
	size_t pos;
	long l;

	l = krt_succ(c->k, from);
	if (l >= 0)
		return fail(c, -EEXIST, "%s is already followed by %s in a group: SA already in use.  "
			    "Ungroup it first.", txt(from, b), txt(&c->k->link[l].to, d));
	l = krt_pred(c->k, to);
	if (l >= 0)
		return fail(c, -EEXIST, "%s already follows %s in a group: SA already in use.  "
			    "Ungroup it first.", txt(to, b), txt(&c->k->link[l].from, d));
	/* a cycle: @from is reachable from @to */
	for (struct said s = *to;;) {
		if (said_equal(&s, from))
			return fail(c, -EEXIST, "linking %s to %s would make a loop", txt(from, b),
				    txt(to, d));
		if ((l = krt_succ(c->k, &s)) < 0)
			break;
		s = c->k->link[l].to;
	}
	pos = 0;
	if (er_next_of(c->k, to, &pos) >= 0)
		return fail(c, -EEXIST, "%s carries eroutes: eroute --del them first (an eroute "
			    "names the first SA of its group)", txt(to, b));
	v = realloc(c->k->link, (c->k->nlink + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->k->link = v;
	v[c->k->nlink].from = *from;
	v[c->k->nlink++].to = *to;
	if (index_links(c->k, c->k->nlink - 1) < 0) {
		c->k->nlink--;
		reindex_links(c->k); /* one half may be in */
		return -ENOMEM;
	}
	return 0;
}

static int group(struct ctx *c)
{
	const struct klips_spigrp *g = &c->req->grp;
	size_t nlink = c->k->nlink;
	struct said chain[CFG_MAX_GROUP_SAS + 2];
	char b[SAID_BUF];
	unsigned n;
	int r;

	for (unsigned i = 0; i < g->n; i++) {
		r = usable_sa(c, &g->sa[i]);
		if (r < 0)
			return r;
	}
	if (g->n == 1) {
		n = dissolve(c, &g->sa[0], chain);
		if (n == 1)
			strbuf_printf(c->out, "%s is in no group\n", txt(&g->sa[0], b));
		return 0;
	}
	/* links are appended: a failure takes back this request's */
	for (unsigned i = 0; i + 1 < g->n; i++) {
		r = link_one(c, &g->sa[i], &g->sa[i + 1]);
		if (r < 0)
			goto undo;
	}
	n = krt_chain(c->k, &g->sa[0], chain, CFG_MAX_GROUP_SAS + 2);
	if (n > CFG_MAX_GROUP_SAS) {
		r = fail(c, -E2BIG, "at most %d SAs in a group", CFG_MAX_GROUP_SAS);
		goto undo;
	}
	strbuf_printf(c->out, "grouped");
	for (unsigned i = 0; i < n; i++)
		strbuf_printf(c->out, " %s", txt(&chain[i], b));
	strbuf_puts(c->out, "\n");
	return 0;
undo:
	c->k->nlink = nlink;
	reindex_links(c->k);
	return r;
}

int klips_rt_apply(struct klips_rt *k, const struct cfg *file, const struct klips_req *req,
		   struct strbuf *out)
{
	struct ctx c = { k, file, req, out };

	switch (req->cmd) {
	case KLIPS_SPI:
		if (req->op == KLIPS_ADD)
			return sa_add(&c);
		if (req->op == KLIPS_DEL)
			return sa_del(&c);
		if (req->op == KLIPS_CLEAR) {
			sa_clear(&c);
			return 0;
		}
		break;
	case KLIPS_SPIGRP:
		if (req->op == KLIPS_GROUP || req->op == KLIPS_UNGROUP)
			return group(&c);
		break;
	case KLIPS_EROUTE:
		if (req->op == KLIPS_ADD || req->op == KLIPS_REPLACE)
			return er_add(&c, req->op == KLIPS_REPLACE);
		if (req->op == KLIPS_DEL)
			return er_del(&c);
		if (req->op == KLIPS_CLEAR) {
			strbuf_printf(out, "removed %zu eroute(s)\n", k->ner);
			k->ner = 0;
			reindex_ers(k);
			return 0;
		}
		break;
	}
	return fail(&c, -EINVAL, "nothing to change");
}
