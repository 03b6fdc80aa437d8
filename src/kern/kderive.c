/* kderive.c: the foreign part of the view from the kernel mirror
 * (kderive.h; the rules are in its header and in ipsec_spigrp(5)).
 *
 * Three passes: collect the usable foreign states and the foreign
 * policies (each sorted by the order the mirror saw them, so the result
 * does not depend on hash order); resolve every templated policy into
 * sets of states (indexed by their members, so that fwd beside in, or
 * several selector pairs, give one set); then emit the sets, sorted, as
 * SAs and groups, and the eroutes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "hash.h"
#include "kderive.h"
#include "xfrm_own.h"

/* A usable foreign state. */
struct dstate {
	const struct km_state *k;
	long sa, tun;                    /* view indices, -1: not added yet */
	const struct xm_policy *pol;     /* the first policy that uses it */
	const struct xm_policy *inpol;   /* the first in/fwd policy that uses it */
	bool used;                       /* in a set */
};

/* One line: states (indices into dctx.st), inside first. */
struct dset {
	size_t m[XM_MAX_TMPL];
	unsigned n;
	uint64_t lo, hi;                 /* the members' least and greatest order */
	long grp;                        /* its kv_group's first SA index, -1 */
	uint64_t count;                  /* packets of its first state */
};

/* An eroute to emit once the sets are in the view. */
struct der {
	const struct xm_policy *p;
	long set;                        /* or -1 with @magic */
	uint32_t magic;                  /* SAID_SPI_* */
};

/* States grouped by a hash of their key: @e sorted by (hash, state), @start
 * from each hash to its run's first entry.  Many states share a key (one
 * peer, one reqid): a plain index holding duplicates probes past all of
 * them on every insert, quadratic in a run's length. */
struct runs {
	struct run_ent {
		uint64_t h;
		size_t i;
	} *e;
	size_t n;
	struct hidx start;
};

/* Candidates of one template. */
struct cands {
	size_t *i;
	size_t n, cap;
};

struct dctx {
	const struct kderive_owner *o;
	struct dstate *st;
	size_t nst;
	const struct km_policy **sp;
	size_t nsp;
	struct runs by_reqid, by_daddr;  /* (proto, reqid) / (proto, family, daddr) */
	struct dset *set;
	size_t nset, set_cap;
	struct hidx set_idx;
	struct der *er;
	size_t ner, er_cap;
	struct cands c[XM_MAX_TMPL];
};

/* ------------------------------------------------------------------ */
/* collecting */

static bool larval(const struct xm_state *s)
{
	return !s->spi || !(s->crypt.present || s->aead.present || s->auth.present ||
			    s->comp.present);
}

static bool policy_foreign(const struct dctx *c, const struct xm_policy *p)
{
	if (p->dir >= XFRM_POLICY_MAX)
		return false; /* per-socket */
	if (p->ntmpl)
		return !xfrm_own_tmpl_policy(p);
	return !(xfrm_own_priority(p->priority) && c->o && c->o->shunt_ours &&
		 c->o->shunt_ours(c->o->arg, p));
}

static int cmp_state(const void *a, const void *b)
{
	const struct dstate *x = a, *y = b;

	return x->k->order < y->k->order ? -1 : x->k->order > y->k->order;
}

static int cmp_policy(const void *a, const void *b)
{
	const struct km_policy *x = *(const struct km_policy *const *)a;
	const struct km_policy *y = *(const struct km_policy *const *)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

static uint64_t hash_reqid(uint8_t proto, uint32_t reqid)
{
	uint64_t h = hash_bytes(HASH_INIT, &proto, sizeof(proto));

	return hash_bytes(h, &reqid, sizeof(reqid));
}

static uint64_t hash_daddr(uint8_t proto, uint16_t family, const xfrm_address_t *a)
{
	uint64_t h = hash_bytes(HASH_INIT, &proto, sizeof(proto));

	h = hash_bytes(h, &family, sizeof(family));
	return hash_bytes(h, a, xm_addr_len(family));
}

static int cmp_run(const void *a, const void *b)
{
	const struct run_ent *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Group the @n states of @c by @key's hash into @r.  0 or -ENOMEM. */
static int runs_build(struct runs *r, const struct dctx *c, size_t n,
		      uint64_t (*key)(const struct xm_state *s))
{
	size_t i;

	r->e = calloc(n + 1, sizeof(*r->e));
	if (!r->e || hidx_init(&r->start, n + 1))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		r->e[i] = (struct run_ent){ key(&c->st[i].k->s), i };
	r->n = n;
	if (n)
		qsort(r->e, n, sizeof(*r->e), cmp_run);
	for (i = 0; i < n; i++)
		if ((!i || r->e[i - 1].h != r->e[i].h) && hidx_put(&r->start, r->e[i].h, i))
			return -ENOMEM;
	return 0;
}

/* The first entry of @h's run in @r, or @r->n (none). */
static size_t runs_first(const struct runs *r, uint64_t h)
{
	size_t pos = 0, v;

	return hidx_next(&r->start, h, &pos, &v) ? v : r->n;
}

static void runs_free(struct runs *r)
{
	free(r->e);
	hidx_free(&r->start);
}

static uint64_t state_reqid_hash(const struct xm_state *s)
{
	return hash_reqid(s->proto, s->reqid);
}

static uint64_t state_daddr_hash(const struct xm_state *s)
{
	return hash_daddr(s->proto, s->family, &s->daddr);
}

static int collect(struct dctx *c, const struct kmirror *m)
{
	const struct km_state *ks;
	const struct km_policy *kp;
	size_t pos = 0, n = 0;

	c->st = calloc(kmirror_nstates(m) + 1, sizeof(*c->st));
	c->sp = calloc(kmirror_npolicies(m) + 1, sizeof(*c->sp));
	if (!c->st || !c->sp)
		return -ENOMEM;
	while ((ks = kmirror_next_state(m, &pos)))
		if (!xfrm_own_reqid(ks->s.reqid) && !larval(&ks->s))
			c->st[n++] = (struct dstate){ .k = ks, .sa = -1, .tun = -1 };
	c->nst = n;
	if (n)
		qsort(c->st, n, sizeof(*c->st), cmp_state);
	pos = 0;
	while ((kp = kmirror_next_policy(m, &pos)))
		if (policy_foreign(c, &kp->p))
			c->sp[c->nsp++] = kp;
	if (c->nsp)
		qsort(c->sp, c->nsp, sizeof(*c->sp), cmp_policy);
	if (runs_build(&c->by_reqid, c, n, state_reqid_hash) ||
	    runs_build(&c->by_daddr, c, n, state_daddr_hash) ||
	    hidx_init(&c->set_idx, c->nsp + n + 1))
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* resolving a policy's templates */

/* Where a template's state must lead (unknown parts match any). */
struct ends {
	uint16_t family;
	bool dknown, sknown;
	xfrm_address_t daddr, saddr;
};

static bool addr_zero(const xfrm_address_t *a, uint16_t family)
{
	static const xfrm_address_t zero;
	size_t l = xm_addr_len(family);

	return !l || !memcmp(a, &zero, l);
}

static bool addr_eq(const xfrm_address_t *a, const xfrm_address_t *b, uint16_t family)
{
	return !memcmp(a, b, xm_addr_len(family));
}

/* The ends before the first template: a host-to-host selector's. */
static void ends_init(struct ends *e, const struct xm_policy *p)
{
	unsigned full = (unsigned)xm_addr_len(p->sel.family) * 8;

	memset(e, 0, sizeof(*e));
	e->family = p->sel.family;
	if (full && p->sel.prefixlen_d == full) {
		e->dknown = true;
		e->daddr = p->sel.daddr;
	}
	if (full && p->sel.prefixlen_s == full) {
		e->sknown = true;
		e->saddr = p->sel.saddr;
	}
}

/* Template @t's own addresses replace the ends (a wildcard keeps them). */
static void ends_step(struct ends *e, const struct xm_tmpl *t)
{
	uint16_t fam = t->family ? t->family : e->family;

	if (!addr_zero(&t->daddr, fam)) {
		e->family = fam;
		e->dknown = true;
		e->daddr = t->daddr;
		e->sknown = !addr_zero(&t->saddr, fam);
		e->saddr = t->saddr;
	} else if (fam != e->family) {
		e->family = fam;
		e->dknown = e->sknown = false;
	}
}

static bool state_fits(const struct xm_state *s, const struct xm_tmpl *t, const struct ends *e,
		       const struct xm_policy *p)
{
	uint32_t pv = p->has_mark ? p->mark.v : 0;
	uint32_t sv = s->has_mark ? s->mark.v : 0, sm = s->has_mark ? s->mark.m : 0;

	if (s->proto != t->proto || s->mode != t->mode || s->family != e->family)
		return false;
	if (t->reqid ? s->reqid != t->reqid : (t->spi && s->spi != t->spi))
		return false;
	if ((e->dknown && !addr_eq(&s->daddr, &e->daddr, s->family)) ||
	    (e->sknown && !addr_eq(&s->saddr, &e->saddr, s->family)))
		return false;
	return (pv & sm) == sv && s->if_id == p->if_id;
}

/* Room for one more of *@arr's @n records of @size bytes (@cap
 * allocated): 0 or -ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int cands_push(struct cands *cd, size_t i)
{
	if (grow((void **)&cd->i, cd->n, &cd->cap, sizeof(*cd->i)))
		return -ENOMEM;
	cd->i[cd->n++] = i;
	return 0;
}

/* Order by add time, then by the order seen (oldest first). */
static int cmp_cand(const void *a, const void *b, void *arg)
{
	const struct dctx *c = arg;
	const struct km_state *x = c->st[*(const size_t *)a].k;
	const struct km_state *y = c->st[*(const size_t *)b].k;

	if (x->s.curlft.add_time != y->s.curlft.add_time)
		return x->s.curlft.add_time < y->s.curlft.add_time ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The foreign states template @t of @p may use, into @cd. */
static int find_cands(struct dctx *c, const struct xm_policy *p, const struct xm_tmpl *t,
		      const struct ends *e, struct cands *cd)
{
	const struct runs *x = NULL;
	size_t j, v;
	uint64_t h = 0;

	cd->n = 0;
	if (t->reqid) {
		x = &c->by_reqid;
		h = hash_reqid(t->proto, t->reqid);
	} else if (e->dknown) {
		x = &c->by_daddr;
		h = hash_daddr(t->proto, e->family, &e->daddr);
	}
	if (x) {
		for (j = runs_first(x, h); j < x->n && x->e[j].h == h; j++)
			if (state_fits(&c->st[x->e[j].i].k->s, t, e, p) && cands_push(cd, x->e[j].i))
				return -ENOMEM;
	} else {
		for (v = 0; v < c->nst; v++)
			if (state_fits(&c->st[v].k->s, t, e, p) && cands_push(cd, v))
				return -ENOMEM;
	}
	if (cd->n)
		qsort_r(cd->i, cd->n, sizeof(*cd->i), cmp_cand, c);
	return 0;
}

static uint64_t set_hash(const size_t *m, unsigned n)
{
	return hash_bytes(HASH_INIT, m, n * sizeof(*m));
}

/* The set with members @m (added when new); its index or -ENOMEM. */
static long set_get(struct dctx *c, const size_t *m, unsigned n)
{
	uint64_t h = set_hash(m, n);
	size_t pos = 0, v;
	struct dset *s;
	unsigned i;

	while (hidx_next(&c->set_idx, h, &pos, &v))
		if (c->set[v].n == n && !memcmp(c->set[v].m, m, n * sizeof(*m)))
			return (long)v;
	if (grow((void **)&c->set, c->nset, &c->set_cap, sizeof(*c->set)))
		return -ENOMEM;
	if (hidx_put(&c->set_idx, h, c->nset))
		return -ENOMEM;
	s = &c->set[c->nset];
	memset(s, 0, sizeof(*s));
	memcpy(s->m, m, n * sizeof(*m));
	s->n = n;
	s->grp = -1;
	s->lo = UINT64_MAX;
	for (i = 0; i < n; i++) {
		uint64_t o = c->st[m[i]].k->order;

		s->lo = o < s->lo ? o : s->lo;
		s->hi = o > s->hi ? o : s->hi;
	}
	s->count = c->st[m[0]].k->s.curlft.packets;
	return (long)c->nset++;
}

static int er_push(struct dctx *c, const struct xm_policy *p, long set, uint32_t magic)
{
	if (grow((void **)&c->er, c->ner, &c->er_cap, sizeof(*c->er)))
		return -ENOMEM;
	c->er[c->ner++] = (struct der){ .p = p, .set = set, .magic = magic };
	return 0;
}

/* Mark the members of set @si used by @p. */
static void set_use(struct dctx *c, long si, const struct xm_policy *p)
{
	const struct dset *s = &c->set[si];
	unsigned i;

	for (i = 0; i < s->n; i++) {
		struct dstate *d = &c->st[s->m[i]];

		d->used = true;
		if (!d->pol)
			d->pol = p;
		if (!d->inpol && p->dir != XFRM_POLICY_OUT)
			d->inpol = p;
	}
}

/* One templated policy: its sets (and its eroute when outbound). */
static int resolve(struct dctx *c, const struct xm_policy *p)
{
	size_t m[XM_MAX_TMPL], nsets = 0, k;
	unsigned i, n, used[XM_MAX_TMPL];
	struct ends e;
	long first = -1;

	ends_init(&e, p);
	for (i = 0, n = 0; i < p->ntmpl; i++) {
		ends_step(&e, &p->tmpl[i]);
		if (find_cands(c, p, &p->tmpl[i], &e, &c->c[i]))
			return -ENOMEM;
		if (!c->c[i].n) {
			if (p->tmpl[i].optional)
				continue;
			n = 0; /* a required template without a state */
			break;
		}
		used[n++] = i;
		nsets = c->c[i].n > nsets ? c->c[i].n : nsets;
	}
	for (k = 0; n && k < nsets; k++) {
		long si;

		for (i = 0; i < n; i++) {
			const struct cands *cd = &c->c[used[i]];

			m[i] = k < cd->n ? cd->i[cd->n - 1 - k] : cd->i[0];
		}
		si = set_get(c, m, n);
		if (si < 0)
			return -ENOMEM;
		set_use(c, si, p);
		if (first < 0)
			first = si; /* the newest set */
	}
	if (p->dir != XFRM_POLICY_OUT)
		return 0;
	return er_push(c, p, first, first < 0 ? SAID_SPI_TRAP : 0);
}

/* ------------------------------------------------------------------ */
/* emitting */

static void addr_of(struct ip_addr *a, uint16_t family, const xfrm_address_t *x)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->b, x, xm_addr_len(family));
}

static uint64_t life(uint64_t v)
{
	return v == XFRM_INF ? 0 : v;
}

static enum sadb_dir dir_of(const struct xm_policy *p)
{
	if (!p)
		return SADB_DIR_NONE;
	return p->dir == XFRM_POLICY_OUT ? SADB_DIR_OUT : SADB_DIR_IN;
}

/* The view's record of state @s, used first by @pol. */
static void sa_of(const struct xm_state *s, const struct xm_policy *pol, struct kv_sa *o)
{
	const struct xm_alg *enc = s->aead.present ? &s->aead : &s->crypt;

	memset(o, 0, sizeof(*o));
	o->said.proto = s->proto;
	o->said.spi = ntohl(s->spi);
	addr_of(&o->said.dst, s->family, &s->daddr);
	addr_of(&o->src, s->family, &s->saddr);
	o->dir = dir_of(pol);
	if (enc->present) {
		memcpy(o->enc, enc->name, sizeof(o->enc));
		o->ekey_bits = enc->key_bits;
	}
	o->aead = s->aead.present;
	if (s->aead.present)
		o->icv_bits = s->aead.icv_bits;
	if (s->auth.present) {
		memcpy(o->auth, s->auth.name, sizeof(o->auth));
		o->akey_bits = s->auth.key_bits;
		o->icv_bits = s->auth_trunc ? s->auth.icv_bits : 0;
	}
	if (s->comp.present)
		memcpy(o->comp, s->comp.name, sizeof(o->comp));
	o->replay_window = s->has_replay_esn ? s->replay_esn.replay_window : s->replay_window;
	o->replay_errs = s->stats.replay;
	o->replay_window_errs = s->stats.replay_window;
	o->integrity_errs = s->stats.integrity_failed;
	if (o->dir == SADB_DIR_IN)
		o->seq = s->has_replay_esn ?
				 ((uint64_t)s->replay_esn.seq_hi << 32 | s->replay_esn.seq) :
				 s->replay.seq;
	else
		o->seq = xm_state_oseq(s);
	o->bytes = s->curlft.bytes;
	o->packets = s->curlft.packets;
	o->add_time = s->curlft.add_time;
	o->use_time = s->curlft.use_time;
	o->last_used = s->lastused;
	o->life.soft_bytes = life(s->lft.soft_byte_limit);
	o->life.hard_bytes = life(s->lft.hard_byte_limit);
	o->life.soft_packets = life(s->lft.soft_packet_limit);
	o->life.hard_packets = life(s->lft.hard_packet_limit);
	o->life.soft_seconds = s->lft.soft_add_expires_seconds;
	o->life.hard_seconds = s->lft.hard_add_expires_seconds;
	if (s->has_encap) {
		o->encap_type = s->encap.encap_type;
		o->encap_sport = ntohs(s->encap.encap_sport);
		o->encap_dport = ntohs(s->encap.encap_dport);
	}
	o->reqid = s->reqid;
}

static void prefix_of(struct ip_prefix *p, uint16_t family, const xfrm_address_t *a,
		      uint8_t len)
{
	addr_of(&p->addr, family, a);
	p->len = len;
}

/* The tun SA before tunnel-mode state @d: its SPI and ends, no
 * algorithms, its counters; `policy=` for an inbound one. */
static void tun_of(const struct dstate *d, struct kv_sa *o)
{
	const struct xm_policy *in = d->inpol;
	struct kv_sa sa;

	sa_of(&d->k->s, d->pol, &sa);
	memset(o, 0, sizeof(*o));
	o->said = sa.said;
	o->said.proto = SAID_PROTO_TUN;
	o->src = sa.src;
	o->dir = sa.dir;
	o->seq = sa.seq;
	o->bytes = sa.bytes;
	o->packets = sa.packets;
	o->add_time = sa.add_time;
	o->use_time = sa.use_time;
	o->last_used = sa.last_used;
	o->life = sa.life;
	o->reqid = sa.reqid;
	if (in && o->dir == SADB_DIR_IN) {
		o->has_policy = true;
		prefix_of(&o->policy_src, in->sel.family, &in->sel.saddr, in->sel.prefixlen_s);
		prefix_of(&o->policy_dst, in->sel.family, &in->sel.daddr, in->sel.prefixlen_d);
	}
}

static int cmp_set(const void *a, const void *b, void *arg)
{
	const struct dset *x = &((const struct dset *)arg)[*(const size_t *)a];
	const struct dset *y = &((const struct dset *)arg)[*(const size_t *)b];

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/* The view index of state @d's SA (or its tun), added when new. */
static long sa_index(struct kview *v, struct dstate *d, bool tun)
{
	struct kv_sa sa;
	long *slot = tun ? &d->tun : &d->sa;

	if (*slot >= 0)
		return *slot;
	if (tun)
		tun_of(d, &sa);
	else
		sa_of(&d->k->s, d->pol, &sa);
	*slot = kview_add_sa(v, &sa);
	return *slot;
}

static int emit_set(struct dctx *c, struct dset *s, uint64_t line, struct kview *v)
{
	struct kv_group g = { .order = KDERIVE_ORDER_BASE + line };
	unsigned i;
	long x;

	for (i = 0; i < s->n; i++) {
		struct dstate *d = &c->st[s->m[i]];
		bool tunnel = d->k->s.mode == XFRM_MODE_TUNNEL;

		if (g.nsa + 1u + tunnel > KV_MAX_GROUP)
			break; /* deeper than a line holds: cut */
		if (tunnel) {
			x = sa_index(v, d, true);
			if (x < 0)
				return (int)x;
			g.sa[g.nsa++] = (uint32_t)x;
		}
		x = sa_index(v, d, false);
		if (x < 0)
			return (int)x;
		g.sa[g.nsa++] = (uint32_t)x;
	}
	s->grp = g.sa[0];
	return kview_add_group(v, &g) < 0 ? -ENOMEM : 0;
}

/* An eroute is one line per selector pair and SAID. */
static uint64_t er_hash(const struct kv_eroute *e)
{
	uint64_t h = hash_bytes(HASH_INIT, &e->src, sizeof(e->src));

	h = hash_bytes(h, &e->dst, sizeof(e->dst));
	h = hash_bytes(h, &e->proto, sizeof(e->proto));
	h = hash_bytes(h, &e->sport, sizeof(e->sport));
	h = hash_bytes(h, &e->dport, sizeof(e->dport));
	return hash_bytes(h, &e->said, sizeof(e->said));
}

static bool er_same(const struct kv_eroute *a, const struct kv_eroute *b)
{
	return !memcmp(&a->src, &b->src, sizeof(a->src)) &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst)) && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport && !memcmp(&a->said, &b->said, sizeof(a->said));
}

static int emit_eroutes(struct dctx *c, struct kview *v)
{
	struct hidx seen;
	size_t i;
	int ret = 0;

	if (hidx_init(&seen, c->ner + 1))
		return -ENOMEM;
	for (i = 0; i < c->ner && !ret; i++) {
		const struct xm_policy *p = c->er[i].p;
		struct kv_eroute e;
		size_t pos = 0, w;
		uint64_t h;
		bool dup = false;

		memset(&e, 0, sizeof(e));
		prefix_of(&e.src, p->sel.family, &p->sel.saddr, p->sel.prefixlen_s);
		prefix_of(&e.dst, p->sel.family, &p->sel.daddr, p->sel.prefixlen_d);
		e.proto = p->sel.proto;
		e.sport = ntohs(p->sel.sport);
		e.dport = ntohs(p->sel.dport);
		if (c->er[i].set >= 0) {
			const struct dset *s = &c->set[c->er[i].set];

			e.said = v->sa[s->grp].said;
			e.count = s->count;
		} else {
			e.said.proto = SAID_PROTO_INT;
			e.said.spi = c->er[i].magic;
			e.said.dst.family = AF_INET;
		}
		h = er_hash(&e);
		while (!dup && hidx_next(&seen, h, &pos, &w))
			dup = er_same(&v->er[w], &e);
		if (dup)
			continue;
		w = v->ner;
		if (kview_add_eroute(v, &e) < 0 || hidx_put(&seen, h, w))
			ret = -ENOMEM;
	}
	hidx_free(&seen);
	return ret;
}

static int emit(struct dctx *c, struct kview *v)
{
	size_t i, *ord;
	int ret = 0;

	/* a state in no set is a line of its own */
	for (i = 0; i < c->nst; i++)
		if (!c->st[i].used && set_get(c, &i, 1) < 0)
			return -ENOMEM;
	ord = calloc(c->nset + 1, sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (i = 0; i < c->nset; i++)
		ord[i] = i;
	if (c->nset)
		qsort_r(ord, c->nset, sizeof(*ord), cmp_set, c->set);
	for (i = 0; i < c->nset && !ret; i++)
		ret = emit_set(c, &c->set[ord[i]], i, v);
	free(ord);
	return ret ? ret : emit_eroutes(c, v);
}

/* ------------------------------------------------------------------ */

static void dctx_free(struct dctx *c)
{
	unsigned i;

	free(c->st);
	free(c->sp);
	runs_free(&c->by_reqid);
	runs_free(&c->by_daddr);
	hidx_free(&c->set_idx);
	free(c->set);
	free(c->er);
	for (i = 0; i < XM_MAX_TMPL; i++)
		free(c->c[i].i);
}

int kderive(const struct kmirror *m, const struct kderive_owner *o, struct kview *v)
{
	struct dctx c;
	size_t i;
	int ret;

	memset(&c, 0, sizeof(c));
	c.o = o;
	ret = collect(&c, m);
	for (i = 0; !ret && i < c.nsp; i++) {
		const struct xm_policy *p = &c.sp[i]->p;

		if (p->ntmpl)
			ret = resolve(&c, p);
		else
			ret = er_push(&c, p, -1,
				      p->action == XFRM_POLICY_BLOCK ? SAID_SPI_DROP : SAID_SPI_PASS);
	}
	if (!ret)
		ret = emit(&c, v);
	dctx_free(&c);
	return ret;
}
