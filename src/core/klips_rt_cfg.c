/* klips_rt_cfg.c: runtime objects as config sections: an `spi` request
 * made into a [sa] by the config parser itself, and the merge of the
 * runtime objects into a copy of the config (klips_rt.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h" /* cfgp_sa_lookup() */
#include "klips_rt_priv.h"

/* ---- an spi request -> [sa] ---- */

static void put_key(struct strbuf *b, const char *name, const struct klips_key *k)
{
	if (!k->set)
		return;
	strbuf_printf(b, "%s = 0x", name);
	strbuf_hex(b, k->data, k->len);
	strbuf_puts(b, "\n");
}

/* life-X = [soft,]hard; KLIPS's soft-only has no form here. */
static int put_life(struct strbuf *b, const char *name, const uint64_t v[2], char *why, size_t len)
{
	if (!v[0] && !v[1])
		return 0;
	if (!v[1]) {
		snprintf(why, len, "a soft %s lifetime needs a hard one (--life hard-...)", name);
		return -EINVAL;
	}
	if (v[0])
		strbuf_printf(b, "life-%s = %llu,%llu\n", name, (unsigned long long)v[0],
			      (unsigned long long)v[1]);
	else
		strbuf_printf(b, "life-%s = %llu\n", name, (unsigned long long)v[1]);
	return 0;
}

/* The [sa] text of @s (keys in it: the caller wipes it). */
static int sa_text(const struct klips_spi *s, struct strbuf *b, char *why, size_t len)
{
	char said[SAID_BUF], src[IP_ADDR_BUF];
	int r;

	if (s->natt) {
		snprintf(why, len, "NAT traversal (--natt) is not available in spigrpd yet");
		return -EOPNOTSUPP;
	}
	if (s->life.usetime[0] || s->life.usetime[1]) {
		snprintf(why, len, "spigrpd has no use-time lifetimes (life-seconds counts from "
			 "the SA's installation): use addtime");
		return -EOPNOTSUPP;
	}
	if (!s->src.family) {
		snprintf(why, len, "--src is needed: spigrpd tells inbound from outbound SAs by their "
			 "addresses");
		return -EINVAL;
	}
	if (s->said.proto == SAID_PROTO_TUN && !ip_addr_equal(&s->dst, &s->said.dst)) {
		snprintf(why, len, "a tun SA's --dst must be its SAID's destination");
		return -EINVAL;
	}
	said_format(&s->said, '0', said, sizeof(said));
	ip_addr_format(&s->src, src, sizeof(src));
	strbuf_printf(b, "[sa %s]\nsrc = %s\n", said, src);
	if (s->enc)
		strbuf_printf(b, "enc = %s\n", s->enc->name);
	if (s->auth)
		strbuf_printf(b, "auth = %s\n", s->auth->name);
	if (s->comp)
		strbuf_printf(b, "comp = %s\n", s->comp->name);
	put_key(b, "enckey", &s->enckey);
	put_key(b, "authkey", &s->authkey);
	if (s->has_replay) {
		strbuf_printf(b, "replay-window = %u\n", s->replay_window);
		if (!s->replay_window)
			strbuf_puts(b, "esn = no\n");
	}
	if ((r = put_life(b, "bytes", s->life.bytes, why, len)) < 0 ||
	    (r = put_life(b, "packets", s->life.packets, why, len)) < 0 ||
	    (r = put_life(b, "seconds", s->life.addtime, why, len)) < 0)
		return r;
	return b->oom ? -ENOMEM : 0;
}

int krt_sa_from_req(const struct klips_spi *s, struct cfg_sa *sa, char *why, size_t len)
{
	struct strbuf b = { .secret = true }; /* keys */
	struct cfg_errors errs = { 0 };
	struct cfg_parser *p;
	struct cfg *c = NULL;
	int r;

	r = sa_text(s, &b, why, len);
	if (r < 0)
		goto out;
	p = cfg_parser_new("spi", &errs);
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	for (char *line = b.s, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		cfg_parser_line(p, line);
	}
	c = cfg_parser_finish(p);
	if (!c || c->nsa != 1) {
		/* "spi:LINE: text": the text alone */
		const char *m = errs.n ? errs.msg[0] : "out of memory";
		const char *t = strstr(m, ": ");

		t = t ? t + 2 : m;
		if (!strncmp(t, "[sa ", 4) && strstr(t, "]: ")) /* the SAID is named already */
			t = strstr(t, "]: ") + 3;
		snprintf(why, len, "%s", t);
		r = errs.n ? -EINVAL : -ENOMEM;
		goto out;
	}
	*sa = c->sa[0];
	sa->line = 0;
	c->sa[0].enckey = (struct cfg_key){ NULL, 0 };
	c->sa[0].authkey = (struct cfg_key){ NULL, 0 };
	r = 0;
out:
	cfg_free(c);
	cfg_errors_free(&errs);
	strbuf_free(&b); /* wiped: secret */
	return r;
}

/* ---- the merge ---- */

struct merge {
	struct cfg *c;
	const struct cfg *file;
	const struct klips_rt *k;
	sadb_is_local_fn is_local;
	void *arg;
	struct strbuf *notes;
	bool *link_ok;        /* per k->link: both ends present, free of [group]s */
	long *er_group;       /* per k->er: index in c->group, or -1 */
	/* by the hash of a SAID: the [group]s of @file (each of their SAs);
	 * c's runtime groups (their first SA; not shunts) */
	struct hidx file_held, rt_first;
	bool oom;
};

static void put(struct merge *m, struct hidx *x, uint64_t hash, size_t val)
{
	if (hidx_put(x, hash, val) < 0)
		m->oom = true;
}

/* Does a [group] of the file hold @s? */
static bool file_holds(const struct merge *m, const struct said *s)
{
	size_t pos = 0, g;

	while (hidx_next(&m->file_held, cfgp_said_hash(s), &pos, &g))
		for (unsigned j = 0; j < m->file->group[g].nsaid; j++)
			if (said_equal(&m->file->group[g].said[j], s))
				return true;
	return false;
}

/* "@what SAID: @why" in the notes. */
static void note(struct merge *m, const char *what, const struct said *s, const char *why)
{
	char b[SAID_BUF];

	said_format(s, '0', b, sizeof(b));
	strbuf_printf(m->notes, "%s %s: %s\n", what, b, why);
}

/* A new group of one SA, @first (more may follow in said[]). */
static struct cfg_group *new_group(struct merge *m, const char *name, unsigned line,
				   const struct said *first)
{
	struct cfg_group *v = realloc(m->c->group, (m->c->ngroup + 1) * sizeof(*v)), *g;

	if (!v) {
		m->oom = true;
		return NULL;
	}
	m->c->group = v;
	g = &v[m->c->ngroup];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	if (!g->name) {
		m->oom = true;
		return NULL;
	}
	m->c->ngroup++;
	g->line = g->said_line = line;
	g->said[0] = *first;
	g->nsaid = 1;
	if (!said_is_magic(first))
		put(m, &m->rt_first, cfgp_said_hash(first), m->c->ngroup - 1);
	return m->oom ? NULL : g;
}

static void add_sas(struct merge *m)
{
	struct cfg_sa *v = realloc(m->c->sa, (m->c->nsa + m->k->nsa + 1) * sizeof(*v));

	if (!v) {
		m->oom = true;
		return;
	}
	m->c->sa = v;
	for (size_t i = 0; i < m->k->nsa; i++) {
		struct cfg_sa *sa = &v[m->c->nsa];

		if (cfg_find_sa(m->file, &m->k->sa[i].said)) {
			note(m, "runtime SA", &m->k->sa[i].said,
			     "the config defines it now; the config's is used");
			continue;
		}
		*sa = m->k->sa[i];
		sa->enckey = (struct cfg_key){ NULL, 0 };
		sa->authkey = (struct cfg_key){ NULL, 0 };
		sa->line = m->c->rt_line + (unsigned)i;
		m->c->nsa++;
		if (cfg_key_copy(&sa->enckey, &m->k->sa[i].enckey) < 0 ||
		    cfg_key_copy(&sa->authkey, &m->k->sa[i].authkey) < 0)
			m->oom = true;
	}
}

/* The line a runtime group holding @s sorts by: the runtime SA's own, else
 * one past every runtime object's (config SAs in runtime groups), so
 * runtime groups follow the file's sections and sadb names them so. */
static unsigned rt_sa_line(const struct merge *m, const struct said *s)
{
	const struct cfg_sa *sa = klips_rt_find_sa(m->k, s);
	size_t i = m->file->nsa;

	if (sa)
		return m->c->rt_line + (unsigned)(sa - m->k->sa);
	cfgp_sa_lookup(m->file, s, &i);
	return m->c->rt_line + (unsigned)(m->k->nsa + m->k->ner + i);
}

/* An SA of the merged config that no [group] of the file holds. */
static const struct cfg_sa *free_sa(struct merge *m, const struct said *s)
{
	const struct cfg_sa *sa = cfg_find_sa(m->c, s);

	return sa && !file_holds(m, s) ? sa : NULL;
}

static void check_links(struct merge *m)
{
	for (size_t i = 0; i < m->k->nlink; i++) {
		const struct klips_link *l = &m->k->link[i];
		const struct said *bad = !free_sa(m, &l->from) ? &l->from
				       : !free_sa(m, &l->to) ? &l->to : NULL;

		m->link_ok[i] = !bad;
		if (bad)
			note(m, "runtime group: SA", bad,
			     "gone, or in a [group] of the config now; its link is left out");
	}
}

/* The valid link from (@from) or to @s, or -1. */
static long ok_link(struct merge *m, const struct said *s, bool from)
{
	long l = from ? krt_succ(m->k, s) : krt_pred(m->k, s);

	return l >= 0 && m->link_ok[l] ? l : -1;
}

/* One [group] per chain of valid links, named by its first SAID; its line
 * is the smallest of its SAs' (unique: an SA is in one chain). */
static void add_chains(struct merge *m)
{
	for (size_t i = 0; i < m->k->nlink && !m->oom; i++) {
		struct said chain[CFG_MAX_GROUP_SAS];
		struct cfg_group *g;
		unsigned n = 0, line = ~0u;
		char name[SAID_BUF];
		long l;

		if (!m->link_ok[i] || ok_link(m, &m->k->link[i].from, false) >= 0)
			continue; /* not a chain's first link */
		chain[n++] = m->k->link[i].from;
		while (n < CFG_MAX_GROUP_SAS && (l = ok_link(m, &chain[n - 1], true)) >= 0)
			chain[n++] = m->k->link[l].to;
		for (unsigned j = 0; j < n; j++) {
			unsigned sl = rt_sa_line(m, &chain[j]);

			line = sl < line ? sl : line;
		}
		said_format(&chain[0], '0', name, sizeof(name));
		g = new_group(m, name, line, &chain[0]);
		if (!g)
			return;
		memcpy(g->said, chain, n * sizeof(chain[0]));
		g->nsaid = n;
	}
}

/* The runtime group whose first SA is @s, or NULL. */
static struct cfg_group *group_of(struct merge *m, const struct said *s)
{
	size_t pos = 0, i;

	while (hidx_next(&m->rt_first, cfgp_said_hash(s), &pos, &i))
		if (said_equal(&m->c->group[i].said[0], s))
			return &m->c->group[i];
	return NULL;
}

static void add_ts(struct ip_prefix *v, unsigned *n, const struct ip_prefix *p)
{
	for (unsigned i = 0; i < *n; i++)
		if (v[i].len == p->len && ip_addr_equal(&v[i].addr, &p->addr))
			return;
	if (*n < CFG_MAX_TS)
		v[(*n)++] = *p;
}

static void add_er_to(struct cfg_group *g, const struct klips_eroute *e)
{
	add_ts(g->src_ts, &g->nsrc_ts, &e->src);
	add_ts(g->dst_ts, &g->ndst_ts, &e->dst);
	g->proto = e->tproto;
	g->sport = e->sport;
	g->dport = e->dport;
}

/* Is a link of the chain @s starts (as the runtime objects have it) left
 * out of the merge?  Then its group is not what the eroute was made for. */
static bool chain_broken(const struct merge *m, const struct said *s)
{
	struct said cur = *s;
	long l;

	for (unsigned n = 0; n <= CFG_MAX_GROUP_SAS && (l = krt_succ(m->k, &cur)) >= 0; n++) {
		if (!m->link_ok[l])
			return true;
		cur = m->k->link[l].to;
	}
	return false;
}

/* Each eroute joins its group's selectors; an eroute whose group cannot be
 * what it was made for (an SA gone or now the config's, a link left out)
 * becomes a %drop shunt: its traffic is blocked, never sent through what
 * is left of the group (a bare tun is IP-in-IP in clear). */
static void add_eroutes(struct merge *m)
{
	struct said drop;

	said_parse("%drop", &drop, NULL, 0);
	for (size_t i = 0; i < m->k->ner && !m->oom; i++) {
		const struct klips_eroute *e = &m->k->er[i];
		const struct said *to = &e->said;
		struct cfg_group *g = NULL;
		char name[2 * IP_PREFIX_BUF + 16], t[2 * IP_PREFIX_BUF + 8];

		m->er_group[i] = -1;
		if (!said_is_magic(to) && (!free_sa(m, to) || ok_link(m, to, false) >= 0 ||
					   chain_broken(m, to))) {
			note(m, "runtime eroute to", to,
			     "the SA is gone, in a [group] of the config, no longer first in its "
			     "group or its group is not whole; %drop instead");
			to = &drop;
		}
		if (said_is_magic(to)) {
			krt_er_text(e, t, sizeof(t));
			snprintf(name, sizeof(name), "eroute:%s", t);
			for (char *q = name; *q; q++)
				if (*q == ' ')
					memmove(q, q + 1, strlen(q));
			g = new_group(m, name, m->c->rt_line + (unsigned)(m->k->nsa + i), to);
		} else if (!(g = group_of(m, to))) {
			char said[SAID_BUF];

			said_format(to, '0', said, sizeof(said));
			g = new_group(m, said, rt_sa_line(m, to), to);
		}
		if (!g)
			return;
		m->er_group[i] = g - m->c->group;
		add_er_to(g, e);
	}
}

/* The pairing of outbound groups with inbound ones (add_inbound()):
 * candidates in buckets by their outer addresses (an SA's source and
 * destination), each bucket a list in ascending order whose head moves
 * past the candidates that are taken (they never come back), so that
 * many groups between the same two hosts cost no more than other ones. */
struct bucket {
	struct ip_addr src, dst;
	size_t head, tail;   /* positions in the candidates' order, SIZE_MAX: none */
};

struct buckets {
	struct hidx idx;     /* hash of (src, dst) -> index in b[] */
	struct bucket *b;
	size_t n;
	size_t *next;        /* per candidate: the next one of its bucket */
};

struct pairing {
	struct buckets groups; /* runtime groups (not shunts), by their last SA */
};

static uint64_t pair_hash(const struct ip_addr *src, const struct ip_addr *dst)
{
	uint64_t h = hash_bytes(HASH_INIT, &src->family, 1);

	h = hash_bytes(h, src->b, ip_addr_len(src));
	return hash_bytes(h, dst->b, ip_addr_len(dst));
}

static struct bucket *bucket_find(const struct buckets *x, const struct ip_addr *src,
				  const struct ip_addr *dst)
{
	size_t pos = 0, i;

	while (hidx_next(&x->idx, pair_hash(src, dst), &pos, &i))
		if (ip_addr_equal(&x->b[i].src, src) && ip_addr_equal(&x->b[i].dst, dst))
			return &x->b[i];
	return NULL;
}

/* Append candidate @c (ascending, < @ncand) to the bucket of (@src, @dst). */
static int bucket_add(struct buckets *x, size_t ncand, size_t c, const struct ip_addr *src,
		      const struct ip_addr *dst)
{
	struct bucket *b = bucket_find(x, src, dst);

	if (!x->next && !(x->next = malloc((ncand + 1) * sizeof(*x->next))))
		return -ENOMEM;
	if (!b) {
		struct bucket *v = realloc(x->b, (x->n + 1) * sizeof(*v));

		if (!v || hidx_put(&x->idx, pair_hash(src, dst), x->n) < 0) {
			if (v)
				x->b = v;
			return -ENOMEM;
		}
		x->b = v;
		b = &v[x->n++];
		*b = (struct bucket){ *src, *dst, c, c };
	} else {
		x->next[b->tail] = c;
		b->tail = c;
	}
	x->next[c] = SIZE_MAX;
	return 0;
}

static void buckets_free(struct buckets *x)
{
	hidx_free(&x->idx);
	free(x->b);
	free(x->next);
}

static int pairing_init(struct merge *m, struct pairing *p, size_t first_rt)
{
	const struct cfg *c = m->c;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < c->ngroup; i++) {
		const struct cfg_group *h = &c->group[i];
		const struct cfg_sa *last;

		if (i < first_rt || !h->nsaid || said_is_magic(&h->said[0]))
			continue; /* shunts: thousands may share a SAID; no SA */
		last = cfg_find_sa(c, &h->said[h->nsaid - 1]);
		if (last && bucket_add(&p->groups, c->ngroup, i, &last->src, &last->said.dst) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void pairing_free(struct pairing *p)
{
	buckets_free(&p->groups);
}

/* The inbound group that pairs with the outbound group at @gi: the first
 * runtime group without selectors that comes from @gi's outer destination
 * to its outer source.  SAs in no group are not candidates: an inbound
 * transport-mode SA needs no policy, and a chain that was dissolved must
 * not get one back through what is left of it.  Index in c->group, or -1. */
static long inbound_pair(struct merge *m, struct pairing *p, size_t gi)
{
	const struct cfg_group *o = &m->c->group[gi];
	const struct cfg_sa *out = cfg_find_sa(m->c, &o->said[o->nsaid - 1]);
	struct bucket *b = bucket_find(&p->groups, &out->said.dst, &out->src);

	/* a group given selectors keeps them: off the list for good */
	while (b && b->head != SIZE_MAX && m->c->group[b->head].nsrc_ts)
		b->head = p->groups.next[b->head];
	return b && b->head != SIZE_MAX ? (long)b->head : -1;
}

/* Inbound runtime groups get the reverse of their outbound twin's
 * eroutes: the peer sends from the eroute's destinations to its sources. */
static void add_inbound(struct merge *m, size_t first_rt)
{
	size_t n = m->c->ngroup;
	struct pairing p;

	if (pairing_init(m, &p, first_rt) < 0)
		m->oom = true;
	for (size_t gi = first_rt; gi < n && !m->oom; gi++) {
		const struct cfg_group *o = &m->c->group[gi];
		const struct cfg_sa *out;
		struct cfg_group *h;
		long hi;

		if (!o->nsrc_ts || said_is_magic(&o->said[0]))
			continue;
		out = cfg_find_sa(m->c, &o->said[o->nsaid - 1]);
		if (!out || !m->is_local || !m->is_local(&out->src, m->arg) ||
		    m->is_local(&out->said.dst, m->arg))
			continue;
		hi = inbound_pair(m, &p, gi);
		if (hi < 0)
			continue;
		o = &m->c->group[gi]; /* inbound_pair() may have moved the array */
		h = &m->c->group[hi];
		memcpy(h->src_ts, o->dst_ts, sizeof(h->src_ts));
		memcpy(h->dst_ts, o->src_ts, sizeof(h->dst_ts));
		h->nsrc_ts = o->ndst_ts;
		h->ndst_ts = o->nsrc_ts;
		h->proto = o->proto;
		h->sport = o->dport;
		h->dport = o->sport;
	}
	pairing_free(&p);
}

static unsigned last_line(const struct cfg *c)
{
	unsigned l = 0;

	for (size_t i = 0; i < c->nsa; i++)
		l = c->sa[i].line > l ? c->sa[i].line : l;
	for (size_t i = 0; i < c->ngroup; i++)
		l = c->group[i].line > l ? c->group[i].line : l;
	return l;
}

static void merge_free(struct merge *m)
{
	free(m->link_ok);
	free(m->er_group);
	hidx_free(&m->file_held);
	hidx_free(&m->rt_first);
}

struct cfg *klips_rt_merge(const struct cfg *file, const struct klips_rt *k,
			   sadb_is_local_fn is_local, void *arg, struct strbuf *notes)
{
	struct merge m = { .file = file, .k = k, .is_local = is_local, .arg = arg, .notes = notes };
	size_t first_rt;

	m.c = cfg_dup(file);
	m.link_ok = calloc(k->nlink + 1, sizeof(*m.link_ok));
	m.er_group = calloc(k->ner + 1, sizeof(*m.er_group));
	if (!m.c || !m.link_ok || !m.er_group)
		goto oom;
	for (size_t i = 0; i < file->ngroup; i++)
		for (unsigned j = 0; j < file->group[i].nsaid; j++)
			put(&m, &m.file_held, cfgp_said_hash(&file->group[i].said[j]), i);
	m.c->rt_line = last_line(file) + 1;
	first_rt = m.c->ngroup;
	if (!m.oom)
		add_sas(&m);
	if (!m.oom && cfg_reindex(m.c) < 0)
		m.oom = true;
	if (!m.oom)
		check_links(&m);
	if (!m.oom)
		add_chains(&m);
	if (!m.oom)
		add_eroutes(&m);
	if (!m.oom)
		add_inbound(&m, first_rt);
	if (m.oom)
		goto oom;
	merge_free(&m);
	return m.c;
oom:
	merge_free(&m);
	cfg_free(m.c);
	return NULL;
}

/* Is @line one of @bad's and a runtime object's? */
static bool unfit_line(const struct cfg *c, const struct sadb_lines *bad, unsigned line)
{
	if (!c->rt_line || line < c->rt_line)
		return false;
	for (size_t i = 0; i < bad->n; i++)
		if (bad->line[i] == line)
			return true;
	return false;
}

static bool holds_any(const struct cfg_group *g, const struct said *gone, size_t ngone)
{
	for (unsigned j = 0; j < g->nsaid; j++)
		for (size_t k = 0; k < ngone; k++)
			if (said_equal(&g->said[j], &gone[k]))
				return true;
	return false;
}

/* @g, a runtime group left out, becomes a %drop shunt with its selectors
 * (its traffic must not leave in clear), named "unfit:NAME"; 0 or -ENOMEM. */
static int to_drop(struct cfg_group *g)
{
	char *name = NULL;

	if (asprintf(&name, "unfit:%s", g->name) < 0)
		return -ENOMEM;
	free(g->name);
	g->name = name;
	memset(g->said, 0, sizeof(g->said));
	said_parse("%drop", &g->said[0], NULL, 0);
	g->nsaid = 1;
	return 0;
}

int klips_rt_unfit(struct cfg *c, const struct sadb_lines *bad, struct strbuf *names)
{
	struct said *gone = calloc(c->nsa + 1, sizeof(*gone));
	size_t ngone = 0, n = 0, kept = 0;
	char t[SAID_BUF];

	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < c->nsa; i++) {
		struct cfg_sa *sa = &c->sa[i];

		if (!unfit_line(c, bad, sa->line)) {
			c->sa[kept++] = *sa;
			continue;
		}
		gone[ngone++] = sa->said;
		said_format(&sa->said, '0', t, sizeof(t));
		strbuf_printf(names, "%s\n", t);
		cfg_key_clear(&sa->enckey);
		cfg_key_clear(&sa->authkey);
		n++;
	}
	c->nsa = kept;
	kept = 0;
	for (size_t i = 0; i < c->ngroup; i++) {
		struct cfg_group *g = &c->group[i];
		bool shunt = g->nsaid == 1 && said_is_magic(&g->said[0]);

		if (!unfit_line(c, bad, g->line) && !holds_any(g, gone, ngone)) {
			c->group[kept++] = *g;
			continue;
		}
		strbuf_printf(names, "%s\n", g->name);
		n++;
		if (!shunt && g->nsrc_ts && g->ndst_ts && to_drop(g) == 0) {
			c->group[kept++] = *g;
			continue;
		}
		free(g->name);
	}
	c->ngroup = kept;
	free(gone);
	if (cfg_reindex(c) < 0)
		return -ENOMEM;
	return (int)(n > 0);
}
