/* sadb_overlap.c: do two groups' inbound selectors overlap (sadb.h)?
 * The kernel and the userspace datapath cannot share inbound traffic: a
 * packet the datapath writes into its TUN device would meet the kernel's
 * in/fwd policy of an overlapping kernel group. */
#include "config.h"

#include "sadb.h"

/* Prefixes overlap when the shorter one holds the other's address. */
static bool prefix_overlap(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return a->len <= b->len ? ip_prefix_contains(a, &b->addr) : ip_prefix_contains(b, &a->addr);
}

static bool any_overlap(const struct ip_prefix *a, unsigned na, const struct ip_prefix *b,
			unsigned nb, unsigned *ia, unsigned *ib)
{
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < nb; j++)
			if (prefix_overlap(&a[i], &b[j])) {
				*ia = i;
				*ib = j;
				return true;
			}
	return false;
}

/* 0 is "any". */
static bool value_overlap(unsigned a, unsigned b)
{
	return !a || !b || a == b;
}

bool sadb_inbound(const struct sadb_group *g)
{
	return !g->implicit && (g->shunt || g->dir == SADB_DIR_IN);
}

bool sadb_ts_overlap(const struct sadb_group *a, const struct sadb_group *b,
		     const struct ip_prefix **src, const struct ip_prefix **dst)
{
	unsigned i, j, k, l;

	if (!value_overlap(a->proto, b->proto) || !value_overlap(a->sport, b->sport) ||
	    !value_overlap(a->dport, b->dport))
		return false;
	if (!any_overlap(a->src_ts, a->nsrc_ts, b->src_ts, b->nsrc_ts, &i, &j) ||
	    !any_overlap(a->dst_ts, a->ndst_ts, b->dst_ts, b->ndst_ts, &k, &l))
		return false;
	/* the narrower of each pair names the overlap */
	if (src)
		*src = a->src_ts[i].len >= b->src_ts[j].len ? &a->src_ts[i] : &b->src_ts[j];
	if (dst)
		*dst = a->dst_ts[k].len >= b->dst_ts[l].len ? &a->dst_ts[k] : &b->dst_ts[l];
	return true;
}

bool sadb_same_dst_ts(const struct sadb_group *a, const struct sadb_group *b,
		      const struct ip_prefix **dst)
{
	for (unsigned i = 0; i < a->ndst_ts; i++)
		for (unsigned j = 0; j < b->ndst_ts; j++)
			if (a->dst_ts[i].len == b->dst_ts[j].len &&
			    ip_addr_equal(&a->dst_ts[i].addr, &b->dst_ts[j].addr)) {
				if (dst)
					*dst = &a->dst_ts[i];
				return true;
			}
	return false;
}
