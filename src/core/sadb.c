/* sadb.c: SAs and SA groups built from a parsed config; see sadb.h.
 *
 * sadb_build() runs in phases over the cfg: one SA per [sa] section (the
 * same SA written in two spellings is caught here), a direction per SA from
 * the is_local callback, group membership (every SAID defined, in one group
 * only), then per group the tun shorthand, address chaining, selector
 * families and what XFRM can express.  Errors are collected with their line,
 * sorted into file order and handed to the caller as "FILE:LINE: text".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "place.h"
#include "sadb.h"

/* ---- small helpers ---------------------------------------------------- */

static const char *said_txt(const struct said *s, char buf[SAID_BUF])
{
	if (said_format(s, '0', buf, SAID_BUF) == 0)
		snprintf(buf, SAID_BUF, "(bad SAID)");
	return buf;
}

static const char *addr_txt(const struct ip_addr *a, char buf[IP_ADDR_BUF])
{
	ip_addr_format(a, buf, IP_ADDR_BUF);
	return buf;
}

static const char *family_name(unsigned family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "of no family";
}

static bool is_tun(const struct sadb_sa *sa)
{
	return sa->cfg->said.proto == SAID_PROTO_TUN;
}

/* Where an error about an SA's `mode` / `dir` points: that key's line, or
 * the [sa] header's for an SA not read from a file. */
static unsigned mode_line(const struct cfg_sa *cs)
{
	return cs->mode_line ? cs->mode_line : cs->line;
}

static unsigned dir_line(const struct cfg_sa *cs)
{
	return cs->dir_line ? cs->dir_line : cs->line;
}

/* `mode = tunnel` on a non-tun SA: the shorthand for a tun SA before it
 * (on a tun SA it only restates what the tun is). */
static bool wants_tun(const struct cfg_sa *cs)
{
	return cs->mode == CFG_MODE_TUNNEL && cs->said.proto != SAID_PROTO_TUN;
}

const char *sadb_dir_name(enum sadb_dir d)
{
	switch (d) {
	case SADB_DIR_NONE:
		return "none";
	case SADB_DIR_IN:
		return "in";
	case SADB_DIR_OUT:
		return "out";
	}
	return "unknown";
}

/* ---- freeing -------------------------------------------------------- */

static void sa_free(struct sadb_sa *sa)
{
	if (!sa)
		return;
	/* no keys here: a borrowed cfg_sa is the cfg's to wipe, and an owned
	 * one is a tun's, which has none */
	if (sa->cfg_owned)
		free((struct cfg_sa *)sa->cfg);
	free(sa);
}

static void group_free(struct sadb_group *g)
{
	unsigned i;

	if (!g)
		return;
	for (i = 0; i < g->nsa; i++)
		sa_free(g->sa[i]);
	free(g->skip_reason);
	free(g->name);
	free(g);
}

void sadb_free(struct sadb *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->ngroup; i++)
		group_free(db->group[i]);
	free(db->group);
	hidx_free(&db->by_name);
	free(db);
}

/* ---- lookups ---------------------------------------------------------- */

struct sadb_group *sadb_find_group(const struct sadb *db, const char *name)
{
	size_t pos = 0, i;
	uint64_t h;

	if (!db || !name)
		return NULL;
	h = hash_str(HASH_INIT, name);
	while (hidx_next(&db->by_name, h, &pos, &i))
		if (strcmp(db->group[i]->name, name) == 0)
			return db->group[i];
	return NULL;
}

struct sadb_sa *sadb_find_sa(const struct sadb *db, const struct said *s)
{
	size_t i;
	unsigned k;

	if (!db || !s)
		return NULL;
	for (i = 0; i < db->ngroup; i++)
		for (k = 0; k < db->group[i]->nsa; k++)
			if (said_equal(&db->group[i]->sa[k]->cfg->said, s))
				return db->group[i]->sa[k];
	return NULL;
}

/* ---- hashes ---------------------------------------------------------- */

static uint64_t said_hash(uint64_t h, const struct said *s)
{
	h = hash_bytes(h, &s->proto, sizeof(s->proto));
	h = hash_bytes(h, &s->spi, sizeof(s->spi));
	h = hash_bytes(h, &s->dst.family, sizeof(s->dst.family));
	return hash_bytes(h, s->dst.b, ip_addr_len(&s->dst));
}

static uint64_t alg_hash(uint64_t h, const struct alg_desc *a)
{
	return hash_str(h, a ? a->name : "-");
}

/* Everything sa_equal() compares except the key bytes (their lengths do
 * count): a secret is compared, never hashed. */
static uint64_t sa_hash(const struct sadb_sa *sa)
{
	const struct cfg_sa *c = sa->cfg;
	uint64_t h = said_hash(HASH_INIT, &c->said);
	uint8_t flags = (uint8_t)(sa->dir | (sa->tunnel_mode << 2) | (c->esn << 3));

	h = hash_bytes(h, &c->src.family, sizeof(c->src.family));
	h = hash_bytes(h, c->src.b, ip_addr_len(&c->src));
	h = hash_bytes(h, &flags, sizeof(flags));
	if (c->said.proto == SAID_PROTO_TUN)
		return h;
	h = alg_hash(alg_hash(alg_hash(h, c->enc), c->auth), c->comp);
	h = hash_bytes(h, &c->enckey.len, sizeof(c->enckey.len));
	h = hash_bytes(h, &c->authkey.len, sizeof(c->authkey.len));
	h = hash_bytes(h, &c->life, sizeof(c->life));
	h = hash_bytes(h, &c->replay_window, sizeof(c->replay_window));
	return hash_bytes(h, &c->ah_align, sizeof(c->ah_align));
}

/* ---- the builder -------------------------------------------------------- */

struct build_err {
	unsigned line, seq;
	char *text;
};

struct builder {
	const struct cfg *c;
	struct sadb *db;
	sadb_is_local_fn is_local;
	void *arg;
	struct build_err *err;
	size_t nerr, caperr;
	bool oom;
	struct hidx sa_idx;       /* cfg SAs by SAID */
	enum sadb_dir *dir;       /* per cfg SA */
	long *owner;              /* per cfg SA: index of its [group], or -1 */
	struct sadb_group **owned;/* per cfg group: the sadb group built from it */
};

static void b_err(struct builder *b, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void b_err(struct builder *b, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (b->nerr == b->caperr) {
		size_t cap = b->caperr ? 2 * b->caperr : 16;
		struct build_err *e = realloc(b->err, cap * sizeof(*e));

		if (!e) {
			free(text);
			b->oom = true;
			return;
		}
		b->err = e;
		b->caperr = cap;
	}
	b->err[b->nerr].line = line;
	b->err[b->nerr].seq = (unsigned)b->nerr;
	b->err[b->nerr].text = text;
	b->nerr++;
}

static int err_cmp(const void *pa, const void *pb)
{
	const struct build_err *a = pa, *b = pb;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static long cfg_sa_index(const struct builder *b, const struct said *s)
{
	size_t pos = 0, k;

	while (hidx_next(&b->sa_idx, said_hash(HASH_INIT, s), &pos, &k))
		if (said_equal(&b->c->sa[k].said, s))
			return (long)k;
	return -1;
}

/* Phase 1: index the [sa] sections; the same SA twice (maybe in two
 * spellings, which parse to the same struct said) is an error. */
static void index_sas(struct builder *b)
{
	const struct cfg *c = b->c;
	char id[SAID_BUF];
	size_t k;

	for (k = 0; k < c->nsa; k++) {
		const struct said *s = &c->sa[k].said;
		long prev = cfg_sa_index(b, s);

		if (prev >= 0) {
			b_err(b, c->sa[k].line, "SA %s is defined twice (first at line %u)",
			      said_txt(s, id), c->sa[prev].line);
			continue;
		}
		if (hidx_put(&b->sa_idx, said_hash(HASH_INIT, s), k) < 0)
			b->oom = true;
	}
}

/* Phase 2: an SA's direction on this host. */
static enum sadb_dir resolve_dir(struct builder *b, const struct cfg_sa *sa)
{
	bool dst_local = b->is_local ? b->is_local(&sa->said.dst, b->arg) : false;
	bool src_local = b->is_local ? b->is_local(&sa->src, b->arg) : false;
	char id[SAID_BUF], src[IP_ADDR_BUF], dst[IP_ADDR_BUF];

	said_txt(&sa->said, id);
	addr_txt(&sa->src, src);
	addr_txt(&sa->said.dst, dst);
	switch (sa->dir) {
	case CFG_DIR_IN:
		if (!dst_local && src_local)
			b_err(b, dir_line(sa),
			      "SA %s: dir = in, but its destination %s is not a local address and its source %s is",
			      id, dst, src);
		return SADB_DIR_IN;
	case CFG_DIR_OUT:
		if (!src_local && dst_local)
			b_err(b, dir_line(sa),
			      "SA %s: dir = out, but its source %s is not a local address and its destination %s is",
			      id, src, dst);
		return SADB_DIR_OUT;
	case CFG_DIR_AUTO:
		break;
	}
	if (dst_local && src_local) {
		b_err(b, sa->line, "SA %s: both addresses are local; set dir = in or out", id);
		return SADB_DIR_NONE;
	}
	if (dst_local)
		return SADB_DIR_IN;
	if (src_local)
		return SADB_DIR_OUT;
	return SADB_DIR_NONE;
}

/* An SA of the cfg's cfg_sa @src (borrowed: see sadb_build()). */
static struct sadb_sa *sa_new(struct builder *b, const struct cfg_sa *src, enum sadb_dir dir)
{
	struct sadb_sa *sa = calloc(1, sizeof(*sa));

	if (!sa) {
		b->oom = true;
		return NULL;
	}
	sa->cfg = src;
	sa->dir = dir;
	return sa;
}

/* A tun SA synthesized from `mode = tunnel`: no cfg holds its cfg_sa, so
 * the SA owns a copy of @tun (which has no keys). */
static struct sadb_sa *sa_new_owned(struct builder *b, const struct cfg_sa *tun,
				    enum sadb_dir dir)
{
	struct cfg_sa *own = malloc(sizeof(*own));
	struct sadb_sa *sa;

	if (!own) {
		b->oom = true;
		return NULL;
	}
	*own = *tun;
	sa = sa_new(b, own, dir);
	if (!sa) {
		free(own);
		return NULL;
	}
	sa->cfg_owned = true;
	return sa;
}

static struct sadb_group *group_new(struct builder *b, const char *name, unsigned line)
{
	struct sadb_group *g = calloc(1, sizeof(*g));

	if (!g || !(g->name = strdup(name))) {
		free(g);
		b->oom = true;
		return NULL;
	}
	g->line = line;
	return g;
}

static void group_add_sa(struct sadb_group *g, struct sadb_sa *sa)
{
	sa->group = g;
	g->sa[g->nsa++] = sa;
}

/* Placement wish: the group's own datapath, else [daemon]'s (AUTO stays
 * AUTO until the daemon has probed the kernel); place.h applies what XFRM
 * can express, and the group's own datapath = kernel contradicts that. */
static void place_group(struct builder *b, struct sadb_group *g, enum cfg_datapath own,
			unsigned line)
{
	struct reason why;

	g->want = own != CFG_DP_AUTO ? own : b->c->datapath;
	g->want_daemon = own == CFG_DP_AUTO;
	if (own == CFG_DP_KERNEL && !g->shunt && !place_xfrm_expressible(g, &why))
		b_err(b, line, "group %s: datapath = kernel, but %s", g->name, why.text);
}

/* One direction per group; an SA whose ends are both foreign makes the
 * whole group SKIPPED (it cannot be processed on this host). */
static void group_direction(struct builder *b, struct sadb_group *g, unsigned line)
{
	const struct sadb_sa *first = NULL, *other = NULL, *none = NULL;
	char a[SAID_BUF], c2[SAID_BUF], s[IP_ADDR_BUF], d[IP_ADDR_BUF];
	unsigned i;

	for (i = 0; i < g->nsa; i++) {
		const struct sadb_sa *sa = g->sa[i];

		if (sa->dir == SADB_DIR_NONE) {
			if (!none)
				none = sa;
		} else if (!first) {
			first = sa;
		} else if (sa->dir != first->dir && !other) {
			other = sa;
		}
	}
	if (other) {
		b_err(b, line, "group %s: mixed directions: %s is %s, %s is %s", g->name,
		      said_txt(&first->cfg->said, a), sadb_dir_name(first->dir),
		      said_txt(&other->cfg->said, c2), sadb_dir_name(other->dir));
		return;
	}
	if (none) {
		g->dir = SADB_DIR_NONE;
		if (asprintf(&g->skip_reason, "neither %s nor %s is a local address",
			     addr_txt(&none->cfg->src, s), addr_txt(&none->cfg->said.dst, d)) < 0) {
			g->skip_reason = NULL;
			b->oom = true;
		}
		return;
	}
	g->dir = first ? first->dir : SADB_DIR_NONE;
}

/* Consecutive SAs act on the same outer header, so they share its
 * addresses; after a tun, the SA that follows carries the tun's outer
 * header (it becomes XFRM tunnel mode), so it has the tun's addresses too.
 * A tun that follows an SA opens a new outer header: no constraint. */
static void check_chain(struct builder *b, struct sadb_group *g, unsigned line)
{
	char a[SAID_BUF], c2[SAID_BUF], x[IP_ADDR_BUF], y[IP_ADDR_BUF];
	unsigned i;

	for (i = 1; i < g->nsa; i++) {
		const struct cfg_sa *prev = g->sa[i - 1]->cfg, *cur = g->sa[i]->cfg;

		if (cur->said.proto == SAID_PROTO_TUN)
			continue;
		if (prev->said.proto == SAID_PROTO_TUN) {
			if (!ip_addr_equal(&prev->said.dst, &cur->said.dst))
				b_err(b, line,
				      "group %s: tun SA %s is followed by %s: the SA after a tun must have the tun's destination %s, not %s",
				      g->name, said_txt(&prev->said, a), said_txt(&cur->said, c2),
				      addr_txt(&prev->said.dst, x), addr_txt(&cur->said.dst, y));
			else if (!ip_addr_equal(&prev->src, &cur->src))
				b_err(b, line,
				      "group %s: tun SA %s has src %s, but %s after it has src %s: they must be equal",
				      g->name, said_txt(&prev->said, a), addr_txt(&prev->src, x),
				      said_txt(&cur->said, c2), addr_txt(&cur->src, y));
			continue;
		}
		if (!ip_addr_equal(&prev->said.dst, &cur->said.dst))
			b_err(b, line,
			      "group %s: %s follows %s with no tun between them, so its destination must be %s, not %s",
			      g->name, said_txt(&cur->said, c2), said_txt(&prev->said, a),
			      addr_txt(&prev->said.dst, x), addr_txt(&cur->said.dst, y));
		else if (!ip_addr_equal(&prev->src, &cur->src))
			b_err(b, line,
			      "group %s: %s follows %s with no tun between them, so its src must be %s, not %s",
			      g->name, said_txt(&cur->said, c2), said_txt(&prev->said, a),
			      addr_txt(&prev->src, x), addr_txt(&cur->src, y));
	}
}

/* Without a tun the inner packet is the outer one: the selectors must be
 * of the SAs' family.  (With a tun the inner family is free.) */
static void check_families(struct builder *b, struct sadb_group *g, unsigned line)
{
	char p[IP_PREFIX_BUF];
	unsigned i, fam;

	if (!g->nsa)
		return;
	for (i = 0; i < g->nsa; i++)
		if (is_tun(g->sa[i]))
			return;
	fam = g->sa[0]->cfg->said.dst.family;
	for (i = 0; i < g->nsrc_ts; i++)
		if (g->src_ts[i].addr.family != fam)
			b_err(b, line,
			      "group %s: src-ts %s is %s, but the group's SAs are %s (only a tun SA can change the family)",
			      g->name, (ip_prefix_format(&g->src_ts[i], p, sizeof(p)), p),
			      family_name(g->src_ts[i].addr.family), family_name(fam));
	for (i = 0; i < g->ndst_ts; i++)
		if (g->dst_ts[i].addr.family != fam)
			b_err(b, line,
			      "group %s: dst-ts %s is %s, but the group's SAs are %s (only a tun SA can change the family)",
			      g->name, (ip_prefix_format(&g->dst_ts[i], p, sizeof(p)), p),
			      family_name(g->dst_ts[i].addr.family), family_name(fam));
}

static void tunnel_modes(struct builder *b, struct sadb_group *g)
{
	char a[SAID_BUF], t[SAID_BUF];
	unsigned i;

	for (i = 1; i < g->nsa; i++) {
		struct sadb_sa *sa = g->sa[i];

		if (!is_tun(g->sa[i - 1]) || is_tun(sa))
			continue;
		sa->tunnel_mode = true;
		if (sa->cfg->mode == CFG_MODE_TRANSPORT)
			b_err(b, mode_line(sa->cfg),
			      "SA %s: mode = transport, but it follows tun SA %s in group %s (line %u)",
			      said_txt(&sa->cfg->said, a), said_txt(&g->sa[i - 1]->cfg->said, t), g->name,
			      g->line);
	}
}

/* The cfg SAs a [group] lists, in order, into @members; each may be in one
 * group only.  Return: how many (errors reported). */
static unsigned collect_members(struct builder *b, size_t gi, long *members, bool *has_tun)
{
	const struct cfg_group *cg = &b->c->group[gi];
	unsigned line = cg->said_line ? cg->said_line : cg->line;
	char id[SAID_BUF];
	unsigned i, n = 0;

	for (i = 0; i < cg->nsaid && i < CFG_MAX_GROUP_SAS; i++) {
		const struct said *s = &cg->said[i];
		long k;

		if (said_is_magic(s)) {
			b_err(b, line, "group %s: %s must be the only SAID of its group", cg->name,
			      said_txt(s, id));
			continue;
		}
		k = cfg_sa_index(b, s);
		if (k < 0) {
			b_err(b, line, "group %s: undefined SA %s (no [sa] section for it)", cg->name,
			      said_txt(s, id));
			continue;
		}
		if (b->owner[k] == (long)gi) {
			b_err(b, line, "group %s: SA %s is listed twice", cg->name, said_txt(s, id));
			continue;
		}
		if (b->owner[k] >= 0) {
			const struct cfg_group *o = &b->c->group[b->owner[k]];

			b_err(b, line, "group %s: SA %s is already in group %s (line %u)", cg->name,
			      said_txt(s, id), o->name, o->said_line ? o->said_line : o->line);
			continue;
		}
		b->owner[k] = (long)gi;
		members[n++] = k;
		if (s->proto == SAID_PROTO_TUN)
			*has_tun = true;
	}
	return n;
}

/* `mode = tunnel` on the first SA of a group without tun: shorthand for a
 * tun SA with the same SPI, destination and source, added to @g here.
 * Return: 0, or -ENOMEM. */
static int tun_shorthand(struct builder *b, struct sadb_group *g, const struct cfg_group *cg,
			 const long *members, unsigned n, bool has_tun)
{
	const struct cfg_sa *first = &b->c->sa[members[0]];
	char id[SAID_BUF], t[SAID_BUF];
	struct cfg_sa tun;
	struct sadb_sa *sa;
	unsigned i;
	long clash;

	if (wants_tun(first) && has_tun)
		b_err(b, mode_line(first), "SA %s: mode = tunnel, but group %s (line %u) already has a tun SA",
		      said_txt(&first->said, id), cg->name, cg->line);
	for (i = 1; i < n; i++) {
		const struct cfg_sa *cs = &b->c->sa[members[i]];

		if (wants_tun(cs))
			b_err(b, mode_line(cs),
			      "SA %s: mode = tunnel, but it is not the first SA of group %s (line %u); write a tun SA before it",
			      said_txt(&cs->said, id), cg->name, cg->line);
	}
	if (!wants_tun(first) || has_tun)
		return 0;
	memset(&tun, 0, sizeof(tun));
	tun.said = first->said;
	tun.said.proto = SAID_PROTO_TUN;
	tun.line = first->line;
	tun.src = first->src;
	tun.dir = first->dir;
	tun.dir_line = first->dir_line;
	tun.mode_line = first->mode_line;
	tun.implicit_tun = true;
	clash = cfg_sa_index(b, &tun.said);
	if (clash >= 0)
		b_err(b, mode_line(first), "SA %s: mode = tunnel implies SA %s, which line %u defines too",
		      said_txt(&first->said, id), said_txt(&tun.said, t), b->c->sa[clash].line);
	sa = sa_new_owned(b, &tun, b->dir[members[0]]);
	if (!sa)
		return -ENOMEM;
	group_add_sa(g, sa);
	return 0;
}

/* Phase 3: one [group] section. */
static struct sadb_group *build_group(struct builder *b, size_t gi)
{
	const struct cfg_group *cg = &b->c->group[gi];
	unsigned line = cg->said_line ? cg->said_line : cg->line;
	struct sadb_group *g;
	long members[CFG_MAX_GROUP_SAS] = { 0 };
	unsigned i, n;
	size_t nerr = b->nerr;
	bool has_tun = false;

	g = group_new(b, cg->name, cg->line);
	if (!g)
		return NULL;
	g->src_ts = cg->nsrc_ts ? cg->src_ts : NULL; /* borrowed, like the SAs' cfg */
	g->dst_ts = cg->ndst_ts ? cg->dst_ts : NULL;
	g->nsrc_ts = cg->nsrc_ts;
	g->ndst_ts = cg->ndst_ts;
	g->proto = cg->proto;
	g->sport = cg->sport;
	g->dport = cg->dport;
	g->priority = cg->priority;

	if (cg->nsaid == 0) {
		b_err(b, line, "group %s: no SAID (said = is mandatory)", cg->name);
		goto fail;
	}
	if (cg->nsaid == 1 && said_is_magic(&cg->said[0])) {
		/* A shunt: a policy without states.  KLIPS eroutes act on
		 * outbound packets, so a shunt is an outbound thing. */
		g->shunt = true;
		g->shunt_said = cg->said[0];
		g->dir = SADB_DIR_OUT;
		place_group(b, g, cg->datapath, line);
		return g;
	}
	n = collect_members(b, gi, members, &has_tun);
	if (b->nerr != nerr || !n)
		goto fail;
	if (tun_shorthand(b, g, cg, members, n, has_tun) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		struct sadb_sa *sa = sa_new(b, &b->c->sa[members[i]], b->dir[members[i]]);

		if (!sa)
			goto fail;
		group_add_sa(g, sa);
	}
	tunnel_modes(b, g);
	check_chain(b, g, line);
	check_families(b, g, line);
	group_direction(b, g, line);
	place_group(b, g, cg->datapath, line);
	if (b->nerr == nerr)
		return g;
fail:
	group_free(g);
	return NULL;
}

/* Phase 4: an SA in no group is a group of its own, named by its SAID. */
static struct sadb_group *build_implicit(struct builder *b, size_t k)
{
	const struct cfg_sa *cs = &b->c->sa[k];
	char id[SAID_BUF];
	struct sadb_group *g;
	struct sadb_sa *sa;
	size_t nerr = b->nerr;

	said_txt(&cs->said, id);
	if (wants_tun(cs)) {
		b_err(b, mode_line(cs),
		      "SA %s: mode = tunnel on an SA in no group; list it in a [group] (the tun SA it implies must be grouped with it)",
		      id);
		return NULL;
	}
	g = group_new(b, id, cs->line);
	if (!g)
		return NULL;
	g->implicit = true;
	sa = sa_new(b, cs, b->dir[k]);
	if (!sa)
		goto fail;
	group_add_sa(g, sa);
	group_direction(b, g, cs->line);
	place_group(b, g, CFG_DP_AUTO, cs->line);
	if (b->nerr != nerr)
		goto fail;
	return g;
fail:
	group_free(g);
	return NULL;
}

/* A [group] may not be named like an SA in no group: the implicit group
 * takes that name (view, reqid file, control socket).  Builds the sadb's
 * name index on the way (groups already in their final order). */
static void check_names(struct builder *b)
{
	struct sadb *db = b->db;
	size_t i;

	if (hidx_init(&db->by_name, db->ngroup) < 0) {
		b->oom = true;
		return;
	}
	for (i = 0; i < db->ngroup; i++) {
		struct sadb_group *g = db->group[i];
		uint64_t h = hash_str(HASH_INIT, g->name);
		struct sadb_group *o = NULL;
		size_t pos = 0, k;

		while (!o && hidx_next(&db->by_name, h, &pos, &k))
			if (strcmp(db->group[k]->name, g->name) == 0)
				o = db->group[k];
		if (!o) {
			if (hidx_put(&db->by_name, h, i) < 0)
				b->oom = true;
			continue;
		}
		if (o->implicit != g->implicit) {
			struct sadb_group *ex = o->implicit ? g : o, *im = o->implicit ? o : g;

			b_err(b, ex->line, "group %s: the name is taken by SA %s (line %u), which is in no group",
			      ex->name, im->name, im->line);
		} else {
			b_err(b, g->line, "group %s is defined twice (first at line %u)", g->name,
			      o->line);
		}
	}
}

/*
 * Phase 6: policies that would share a kernel key.  XFRM keeps one policy
 * per (direction, selector) -- family, source and destination prefix,
 * protocol, ports -- so a second group with the same key would fail with
 * EEXIST against the first.  A group with dir IN installs in and fwd
 * policies, one with dir OUT an out policy, a shunt all three (xfrm.c); a
 * group without direction (skipped) or an implicit one installs none.  One
 * record per (group, src prefix, dst prefix) and policy direction ("in"
 * stands for in + fwd); sorted, equal keys are neighbours: O(n log n).
 */
struct pol_rec {
	const struct ip_prefix *src, *dst;
	const struct sadb_group *g;
	size_t gi;          /* index of its cfg_group */
	uint8_t dir;        /* SADB_DIR_IN or SADB_DIR_OUT */
};

static int prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b)
{
	int r;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	r = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
	return r < 0 ? -1 : r > 0;
}

/* The kernel key only: equal keys compare 0 whatever the groups. */
static int pol_key_cmp(const struct pol_rec *a, const struct pol_rec *b)
{
	int r;

	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	r = prefix_cmp(a->src, b->src);
	if (!r)
		r = prefix_cmp(a->dst, b->dst);
	if (r)
		return r;
	if (a->g->proto != b->g->proto)
		return a->g->proto < b->g->proto ? -1 : 1;
	if (a->g->sport != b->g->sport)
		return a->g->sport < b->g->sport ? -1 : 1;
	if (a->g->dport != b->g->dport)
		return a->g->dport < b->g->dport ? -1 : 1;
	return 0;
}

/* Key, then file order: the first of a run of equal keys is the group the
 * others collide with. */
static int pol_rec_cmp(const void *pa, const void *pb)
{
	const struct pol_rec *a = pa, *b = pb;
	int r = pol_key_cmp(a, b);

	if (r)
		return r;
	return a->gi < b->gi ? -1 : a->gi > b->gi;
}

static unsigned group_said_line(const struct cfg_group *cg)
{
	return cg->said_line ? cg->said_line : cg->line;
}

static void check_collisions(struct builder *b, struct sadb_group *const *byg)
{
	const struct cfg *c = b->c;
	struct pol_rec *rec = NULL;
	bool *told = NULL;
	size_t n = 0, i, start;

	for (i = 0; i < c->ngroup; i++) {
		const struct sadb_group *g = byg[i];

		if (g && g->dir != SADB_DIR_NONE)
			n += (size_t)g->nsrc_ts * g->ndst_ts * (g->shunt ? 2 : 1);
	}
	if (!n)
		return;
	rec = malloc(n * sizeof(*rec));
	told = calloc(c->ngroup, sizeof(*told));
	if (!rec || !told) {
		b->oom = true;
		goto out;
	}
	n = 0;
	for (i = 0; i < c->ngroup; i++) {
		const struct sadb_group *g = byg[i];
		unsigned s, d, k;

		if (!g || g->dir == SADB_DIR_NONE)
			continue;
		for (k = 0; k < (g->shunt ? 2u : 1u); k++) {
			uint8_t dir = g->shunt ? (k ? SADB_DIR_OUT : SADB_DIR_IN) : g->dir;

			for (s = 0; s < g->nsrc_ts; s++) {
				for (d = 0; d < g->ndst_ts; d++) {
					rec[n].src = &g->src_ts[s];
					rec[n].dst = &g->dst_ts[d];
					rec[n].g = g;
					rec[n].gi = i;
					rec[n].dir = dir;
					n++;
				}
			}
		}
	}
	qsort(rec, n, sizeof(*rec), pol_rec_cmp);
	for (start = 0, i = 1; i < n; i++) {
		const struct pol_rec *a = &rec[start], *r = &rec[i];
		char sp[IP_PREFIX_BUF], dp[IP_PREFIX_BUF];

		if (pol_key_cmp(a, r)) {
			start = i;
			continue;
		}
		/* one error per group is enough */
		if (r->gi == a->gi || told[r->gi])
			continue;
		told[r->gi] = true;
		ip_prefix_format(r->src, sp, sizeof(sp));
		ip_prefix_format(r->dst, dp, sizeof(dp));
		b_err(b, group_said_line(&c->group[r->gi]),
		      "group %s: its policy %s -> %s collides with group %s (line %u): only one group may carry a selector in a direction (the kernel holds one XFRM policy for it, the userspace datapath sends a flow to one group)",
		      r->g->name, sp, dp, a->g->name, group_said_line(&c->group[a->gi]));
	}
out:
	free(rec);
	free(told);
}

/*
 * Phase 7: a split the kernel and the userspace datapath cannot share.
 * Where the config itself places two groups apart (datapath = kernel
 * against datapath = userspace, or a group XFRM cannot express), their
 * inbound selectors may not overlap (a packet the datapath writes into its
 * TUN device would meet the kernel group's in/fwd policy), nor may two
 * outbound groups route the same dst-ts (one route per prefix).  The later
 * group in the file gets the error.  O(kernel groups x userspace groups):
 * both are rarely large at once.  The daemon applies the same rule at run
 * time to groups the kernel probe placed (reconcile.c).
 */
/* The error of check_split() for the later group @g (config index @i) and
 * the earlier @o (@j), if they cannot be split; true when one was given. */
static bool split_error(struct builder *b, const struct sadb_group *g, size_t i,
			enum cfg_datapath wi, const struct sadb_group *o, size_t j,
			enum cfg_datapath wo)
{
	const struct cfg *c = b->c;
	char sp[IP_PREFIX_BUF], dp[IP_PREFIX_BUF];
	const struct ip_prefix *src, *dst;

	if (sadb_inbound(g) && sadb_inbound(o) && sadb_ts_overlap(g, o, &src, &dst)) {
		ip_prefix_format(src, sp, sizeof(sp));
		ip_prefix_format(dst, dp, sizeof(dp));
		b_err(b, group_said_line(&c->group[i]),
		      "group %s (%s) and group %s (line %u, %s) have overlapping inbound selectors (%s -> %s): the kernel and the userspace datapath cannot share them",
		      g->name, place_datapath_name(wi), o->name, group_said_line(&c->group[j]),
		      place_datapath_name(wo), sp, dp);
		return true;
	}
	if (g->dir == SADB_DIR_OUT && o->dir == SADB_DIR_OUT && !g->shunt && !o->shunt &&
	    sadb_same_dst_ts(g, o, &dst)) {
		ip_prefix_format(dst, dp, sizeof(dp));
		b_err(b, group_said_line(&c->group[i]),
		      "group %s (%s) and group %s (line %u, %s) both send to dst-ts %s: one route cannot lead to the kernel and the userspace datapath",
		      g->name, place_datapath_name(wi), o->name, group_said_line(&c->group[j]),
		      place_datapath_name(wo), dp);
		return true;
	}
	return false;
}

static void check_split(struct builder *b, struct sadb_group *const *byg)
{
	const struct cfg *c = b->c;
	enum cfg_datapath *wish = calloc(c->ngroup + 1, sizeof(*wish));
	size_t *seen[2], nseen[2] = { 0, 0 };

	/* each group's wish once; a group is compared only with the earlier
	 * groups that want the other datapath: O(kernel x userspace) */
	seen[0] = calloc(c->ngroup + 1, sizeof(size_t));
	seen[1] = calloc(c->ngroup + 1, sizeof(size_t));
	if (!wish || !seen[0] || !seen[1]) {
		b->oom = true;
		goto out;
	}
	for (size_t i = 0; i < c->ngroup; i++) {
		const struct sadb_group *g = byg[i];
		unsigned side, other;

		if (!g || g->dir == SADB_DIR_NONE ||
		    (wish[i] = place_wish(g, NULL)) == CFG_DP_AUTO)
			continue;
		side = wish[i] == CFG_DP_USERSPACE;
		other = !side;
		for (size_t n = 0; n < nseen[other]; n++) {
			size_t j = seen[other][n];

			if (split_error(b, g, i, wish[i], byg[j], j, wish[j]))
				break;
		}
		seen[side][nseen[side]++] = i;
	}
out:
	free(wish);
	free(seen[0]);
	free(seen[1]);
}

static int group_line_cmp(const void *pa, const void *pb)
{
	const struct sadb_group *a = *(struct sadb_group *const *)pa;
	const struct sadb_group *b = *(struct sadb_group *const *)pb;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return 0;
}

static int db_add(struct builder *b, struct sadb_group *g)
{
	/* the array is sized for every possible group up front */
	b->db->group[b->db->ngroup++] = g;
	return 0;
}

struct sadb *sadb_build(const struct cfg *c, sadb_is_local_fn is_local, void *arg,
			struct cfg_errors *errs)
{
	return sadb_build_lines(c, is_local, arg, errs, NULL);
}

struct sadb *sadb_build_lines(const struct cfg *c, sadb_is_local_fn is_local, void *arg,
			      struct cfg_errors *errs, struct sadb_lines *bad)
{
	struct builder b;
	const char *file = c && c->path ? c->path : "(config)";
	struct sadb *db = NULL;
	struct sadb_group **byg = NULL; /* per cfg group: built from it, or NULL */
	size_t i;

	memset(&b, 0, sizeof(b));
	if (!c)
		return NULL;
	b.c = c;
	b.is_local = is_local;
	b.arg = arg;
	db = calloc(1, sizeof(*db));
	b.db = db;
	if (!db || hidx_init(&b.sa_idx, c->nsa) < 0)
		goto oom;
	db->group = calloc(c->ngroup + c->nsa + 1, sizeof(*db->group));
	b.dir = calloc(c->nsa + 1, sizeof(*b.dir));
	b.owner = calloc(c->nsa + 1, sizeof(*b.owner));
	byg = calloc(c->ngroup + 1, sizeof(*byg));
	if (!db->group || !b.dir || !b.owner || !byg)
		goto oom;
	for (i = 0; i < c->nsa; i++)
		b.owner[i] = -1;

	index_sas(&b);
	for (i = 0; i < c->nsa; i++)
		b.dir[i] = resolve_dir(&b, &c->sa[i]);
	for (i = 0; i < c->ngroup && !b.oom; i++) {
		struct sadb_group *g = build_group(&b, i);

		byg[i] = g;
		if (g)
			db_add(&b, g);
	}
	if (!b.oom)
		check_collisions(&b, byg);
	if (!b.oom)
		check_split(&b, byg);
	for (i = 0; i < c->nsa && !b.oom; i++) {
		struct sadb_group *g;

		if (b.owner[i] >= 0)
			continue;
		/* a repeated [sa] was reported already: skip the copy */
		if (cfg_sa_index(&b, &c->sa[i].said) != (long)i)
			continue;
		g = build_implicit(&b, i);
		if (g)
			db_add(&b, g);
	}
	if (b.oom)
		goto oom;

	/* The view follows the file: groups by the line of their [group]
	 * section, implicit groups by the line of their [sa] section. */
	qsort(db->group, db->ngroup, sizeof(*db->group), group_line_cmp);
	for (i = 0; i < db->ngroup; i++) {
		struct sadb_group *g = db->group[i];

		g->order = g->index = i;
		for (unsigned k = 0; k < g->nsa; k++)
			g->sa[k]->hash = sa_hash(g->sa[k]);
	}
	db->next_order = db->ngroup;
	check_names(&b);
	if (b.oom)
		goto oom;
	goto out;
oom:
	b.oom = true;
out:
	if (b.nerr)
		qsort(b.err, b.nerr, sizeof(*b.err), err_cmp);
	if (bad && b.nerr && (bad->line = calloc(b.nerr, sizeof(*bad->line)))) {
		for (i = 0; i < b.nerr; i++)
			bad->line[i] = b.err[i].line;
		bad->n = b.nerr;
	} else if (bad && b.nerr) {
		b.oom = true;
	}
	for (i = 0; i < b.nerr; i++) {
		if (errs && c->rt_line && b.err[i].line >= c->rt_line)
			cfg_errors_add(errs, NULL, 0, "runtime objects: %s", b.err[i].text);
		else if (errs)
			cfg_errors_add(errs, file, b.err[i].line, "%s", b.err[i].text);
		free(b.err[i].text);
	}
	if (b.oom && errs)
		cfg_errors_add(errs, file, 0, "out of memory");
	if (b.nerr || b.oom) {
		sadb_free(db);
		db = NULL;
	}
	free(b.err);
	hidx_free(&b.sa_idx);
	free(b.dir);
	free(b.owner);
	free(byg);
	return db;
}

/* ---- comparing ------------------------------------------------------- */

static bool key_equal(const struct cfg_key *a, const struct cfg_key *b)
{
	if (a->len != b->len)
		return false;
	if (!a->len)
		return true;
	if (!a->data || !b->data)
		return a->data == b->data;
	return CRYPTO_memcmp(a->data, b->data, a->len) == 0;
}

static bool alg_equal(const struct alg_desc *a, const struct alg_desc *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a->name, b->name) == 0;
}

static bool prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_addr_equal(&a->addr, &b->addr);
}

/* Everything of an SA that reaches a kernel object (or the userspace
 * datapath).  The mode = tunnel shorthand and an explicit tun compare equal:
 * both give a tun SA and tunnel mode on the next one. */
bool sadb_sa_equal(const struct sadb_sa *a, const struct sadb_sa *b)
{
	const struct cfg_sa *x = a->cfg, *y = b->cfg;
	uint8_t proto = x->said.proto;

	if (!said_equal(&x->said, &y->said) || !ip_addr_equal(&x->src, &y->src))
		return false;
	if (a->hash != b->hash || a->dir != b->dir || a->tunnel_mode != b->tunnel_mode)
		return false;
	if (proto == SAID_PROTO_TUN)
		return true;
	if (!alg_equal(x->enc, y->enc) || !alg_equal(x->auth, y->auth) || !alg_equal(x->comp, y->comp))
		return false;
	if (!key_equal(&x->enckey, &y->enckey) || !key_equal(&x->authkey, &y->authkey))
		return false;
	if (memcmp(&x->life, &y->life, sizeof(x->life)) != 0)
		return false;
	if (proto == SAID_PROTO_ESP || proto == SAID_PROTO_AH) {
		if (x->replay_window != y->replay_window || x->esn != y->esn)
			return false;
	}
	if (proto == SAID_PROTO_AH && x->ah_align != y->ah_align)
		return false;
	return true;
}

bool sadb_group_equal(const struct sadb_group *a, const struct sadb_group *b)
{
	unsigned i;

	if (!a || !b)
		return a == b;
	if (a->implicit != b->implicit || a->shunt != b->shunt || a->nsa != b->nsa)
		return false;
	if (strcmp(a->name, b->name) != 0)
		return false;
	if (a->shunt && !said_equal(&a->shunt_said, &b->shunt_said))
		return false;
	for (i = 0; i < a->nsa; i++)
		if (!sadb_sa_equal(a->sa[i], b->sa[i]))
			return false;
	if (a->nsrc_ts != b->nsrc_ts || a->ndst_ts != b->ndst_ts)
		return false;
	for (i = 0; i < a->nsrc_ts; i++)
		if (!prefix_equal(&a->src_ts[i], &b->src_ts[i]))
			return false;
	for (i = 0; i < a->ndst_ts; i++)
		if (!prefix_equal(&a->dst_ts[i], &b->dst_ts[i]))
			return false;
	return a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       a->dir == b->dir && a->priority == b->priority && a->want == b->want &&
	       a->reqid == b->reqid;
}

/* ---- the canonical config (spigrpd -n) ---------------------------------- */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void print_daemon(const struct cfg *c, FILE *out)
{
	fprintf(out, "[daemon]\n");
	fprintf(out, "mount = %s\n", c->mount ? c->mount : CFG_DEFAULT_MOUNT);
	fprintf(out, "control = %s\n", c->control ? c->control : CFG_DEFAULT_CONTROL);
	if (c->control_group)
		fprintf(out, "control-group = %s\n", c->control_group);
	else
		fprintf(out, "# control-group: none (only root may change things)\n");
	fprintf(out, "state-dir = %s\n", c->state_dir ? c->state_dir : CFG_DEFAULT_STATE_DIR);
	if (c->secrets)
		fprintf(out, "secrets = %s\n", c->secrets);
	else
		fprintf(out, "# secrets: none (keys are in this file)\n");
	fprintf(out, "datapath = %s\n", place_datapath_name(c->datapath));
	fprintf(out, "said-format = %s\n", c->said_format == CFG_SAID_X ? "x" : "seed");
	fprintf(out, "install-routes = %s\n", yes_no(c->install_routes));
	fprintf(out, "route-table = %u\n", c->route_table);
	fprintf(out, "keep-on-exit = %s\n", yes_no(c->keep_on_exit));
	fprintf(out, "tun-device = %s\n", c->tun_device ? c->tun_device : CFG_DEFAULT_TUN_DEVICE);
	if (c->fwmask == 0xffffffffu)
		fprintf(out, "fwmark = 0x%x\n", c->fwmark);
	else
		fprintf(out, "fwmark = 0x%x/0x%x\n", c->fwmark, c->fwmask);
	fprintf(out, "dp-batch = %u\n", c->dp_batch);
}

/* cfg syntax: "HARD" or "SOFT,HARD"; 0 = unlimited. */
static void print_life1(const char *key, uint64_t soft, uint64_t hard, FILE *out)
{
	if (soft)
		fprintf(out, "%s = %llu,%llu\n", key, (unsigned long long)soft,
			(unsigned long long)hard);
	else
		fprintf(out, "%s = %llu\n", key, (unsigned long long)hard);
}

static void print_life(const struct cfg_life *l, FILE *out)
{
	static const struct cfg_life unlimited;

	if (memcmp(l, &unlimited, sizeof(*l)) == 0) {
		fprintf(out, "# life-bytes, life-packets, life-seconds: 0 (unlimited)\n");
		return;
	}
	print_life1("life-bytes", l->soft_bytes, l->hard_bytes, out);
	print_life1("life-packets", l->soft_packets, l->hard_packets, out);
	print_life1("life-seconds", l->soft_seconds, l->hard_seconds, out);
}

static void print_direction(const struct sadb_sa *sa, FILE *out)
{
	const struct cfg_sa *cs = sa->cfg;
	char s[IP_ADDR_BUF], d[IP_ADDR_BUF];

	addr_txt(&cs->src, s);
	addr_txt(&cs->said.dst, d);
	fprintf(out, "# direction: %s ", sadb_dir_name(sa->dir));
	if (cs->dir != CFG_DIR_AUTO)
		fprintf(out, "(dir = %s)", cs->dir == CFG_DIR_IN ? "in" : "out");
	else if (sa->dir == SADB_DIR_IN)
		fprintf(out, "(%s is local)", d);
	else if (sa->dir == SADB_DIR_OUT)
		fprintf(out, "(%s is local)", s);
	else
		fprintf(out, "(neither %s nor %s is local)", s, d);
	if (sa->group && sa->group->skip_reason)
		fprintf(out, ": skipped");
	fputc('\n', out);
}

static void print_placement(const struct sadb_group *g, FILE *out)
{
	struct reason why;
	enum cfg_datapath dp = place_wish(g, &why);

	fprintf(out, "# placement: %s (%s)\n",
		dp == CFG_DP_AUTO ? "kernel if it has every transform, else userspace"
				  : place_datapath_name(dp),
		why.text);
}

static void print_sa(const struct sadb_sa *sa, FILE *out)
{
	const struct cfg_sa *cs = sa->cfg;
	uint8_t proto = cs->said.proto;
	char id[SAID_BUF], a[IP_ADDR_BUF], t[SAID_BUF];

	fprintf(out, "\n[sa %s]\n", said_txt(&cs->said, id));
	print_direction(sa, out);
	if (sa->tunnel_mode) {
		const struct sadb_group *g = sa->group;
		unsigned i;

		for (i = 1; i < g->nsa; i++)
			if (g->sa[i] == sa)
				break;
		if (i < g->nsa)
			fprintf(out, "# xfrm: tunnel mode (follows %s)\n",
				said_txt(&g->sa[i - 1]->cfg->said, t));
	}
	if (sa->group && sa->group->implicit) {
		fprintf(out, "# group: none (a view line of its own, no policy)\n");
		print_placement(sa->group, out);
	}
	fprintf(out, "src = %s\n", addr_txt(&cs->src, a));
	if (cs->dir != CFG_DIR_AUTO)
		fprintf(out, "dir = %s\n", cs->dir == CFG_DIR_IN ? "in" : "out");
	if (proto == SAID_PROTO_TUN)
		return;
	if (cs->enc) {
		fprintf(out, "enc = %s\n", cs->enc->name);
		if (cs->enc->key_bytes || cs->enckey.len)
			fprintf(out, "enckey = <hidden>\n");
	}
	if (cs->auth) {
		fprintf(out, "auth = %s\n", cs->auth->name);
		if (cs->auth->key_bytes || cs->authkey.len)
			fprintf(out, "authkey = <hidden>\n");
	}
	if (cs->comp)
		fprintf(out, "comp = %s\n", cs->comp->name);
	if (proto == SAID_PROTO_ESP || proto == SAID_PROTO_AH) {
		fprintf(out, "replay-window = %u\n", cs->replay_window);
		fprintf(out, "esn = %s\n", yes_no(cs->esn));
	}
	if (proto == SAID_PROTO_AH)
		fprintf(out, "ah-align = %u\n", cs->ah_align);
	print_life(&cs->life, out);
}

static void print_prefixes(const char *key, const struct ip_prefix *p, unsigned n, FILE *out)
{
	char buf[IP_PREFIX_BUF];
	unsigned i;

	if (!n)
		return;
	fprintf(out, "%s = ", key);
	for (i = 0; i < n; i++) {
		ip_prefix_format(&p[i], buf, sizeof(buf));
		fprintf(out, "%s%s", i ? "," : "", buf);
	}
	fputc('\n', out);
}

/* The names cfg accepts for `proto`, else the number. */
static const char *proto_txt(uint8_t proto, char buf[8])
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	}
	snprintf(buf, 8, "%u", proto);
	return buf;
}

static void print_group(const struct sadb_group *g, const struct cfg_group *cg,
			const struct cfg *c, FILE *out)
{
	char id[SAID_BUF], pbuf[8];
	unsigned i;

	fprintf(out, "\n[group %s]\n", g->name);
	if (g->skip_reason)
		fprintf(out, "# direction: none: skipped (%s)\n", g->skip_reason);
	else
		fprintf(out, "# direction: %s%s\n", sadb_dir_name(g->dir),
			g->shunt ? " (a shunt acts on outbound packets)" : "");
	print_placement(g, out);
	fprintf(out, "said =");
	if (g->shunt)
		fprintf(out, " %s", said_txt(&g->shunt_said, id));
	for (i = 0; i < g->nsa; i++)
		fprintf(out, " %s", said_txt(&g->sa[i]->cfg->said, id));
	fputc('\n', out);
	print_prefixes("src-ts", g->src_ts, g->nsrc_ts, out);
	print_prefixes("dst-ts", g->dst_ts, g->ndst_ts, out);
	if (g->proto)
		fprintf(out, "proto = %s\n", proto_txt(g->proto, pbuf));
	if (g->sport)
		fprintf(out, "sport = %u\n", g->sport);
	if (g->dport)
		fprintf(out, "dport = %u\n", g->dport);
	if (cg->datapath != CFG_DP_AUTO) /* else the placement comment shows [daemon]'s */
		fprintf(out, "datapath = %s\n", place_datapath_name(cg->datapath));
	if (g->priority)
		fprintf(out, "priority = %u\n", g->priority);
}

/* The SAs of @g in file order (by the line of their [sa] section), each
 * synthesized tun right before the SA whose mode = tunnel made it. */
static void print_group_sas(const struct sadb_group *g, FILE *out)
{
	const struct sadb_sa *sa[CFG_MAX_GROUP_SAS + 1];
	unsigned i, j, n = 0;

	for (i = 0; i < g->nsa; i++) {
		if (g->sa[i]->cfg->implicit_tun)
			continue;
		for (j = n; j > 0 && sa[j - 1]->cfg->line > g->sa[i]->cfg->line; j--)
			sa[j] = sa[j - 1];
		sa[j] = g->sa[i];
		n++;
	}
	for (i = 0; i < n; i++) {
		for (j = 1; j < g->nsa; j++)
			if (g->sa[j] == sa[i] && g->sa[j - 1]->cfg->implicit_tun)
				print_sa(g->sa[j - 1], out);
		print_sa(sa[i], out);
	}
}

/*
 * Sections come in the view's order, so that the output parses back to the
 * same order: for each group, its [sa] sections in file order and then its
 * [group] section; an SA in no group where its line put it.  For the usual
 * file (SAs, then the group using them) that is the file's own order.
 */
void sadb_print_config(const struct sadb *db, const struct cfg *c, FILE *out)
{
	size_t i, ci = 0;

	print_daemon(c, out);
	for (i = 0; i < db->ngroup; i++) {
		const struct sadb_group *g = db->group[i];
		const struct cfg_group *cg = NULL;

		print_group_sas(g, out);
		if (g->implicit)
			continue;
		/* db->group and c->group are both in [group] line order */
		while (ci < c->ngroup && strcmp(c->group[ci].name, g->name) != 0)
			ci++;
		if (ci < c->ngroup)
			cg = &c->group[ci++];
		if (cg)
			print_group(g, cg, c, out);
	}
}
