/* spd.c: the datapath's outbound and inbound lookup tables (spd.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hash.h"
#include "spd.h"

/* One (src-ts, dst-ts) pair of an outbound group. */
struct out_rule {
	uint8_t family, dlen, slen, proto;
	uint16_t sport, dport;
	uint32_t prio;
	uint64_t order;
	uint8_t dst[16], src[16];  /* host bits zero */
	const struct xf_group *g;
};

/* A (family, dst length, src length) class present in the rules, with the
 * best (priority, order) of its rules: a lookup probes each class once. */
struct out_class {
	uint8_t family, dlen, slen;
	uint32_t prio;
	uint64_t order;
};

/* The byte image hashed and compared for an inbound key. */
struct in_image {
	uint8_t family, proto;
	uint8_t pad[2];
	uint32_t spi;
	uint8_t dst[16], src[16];
};

struct in_entry {
	struct in_image key;
	const struct xf_group *g;
	unsigned sa;
};

#define IN_KEYS_MAX (CFG_MAX_GROUP_SAS + 2)

struct spd {
	struct out_rule *rule;
	size_t nrule;
	struct hidx out_idx;
	struct out_class *cls[2];   /* [0] IPv4, [1] IPv6; best first */
	size_t ncls[2];
	struct in_entry *in;
	size_t nin;
	struct hidx in_idx;
};

/* ---- inner packet -> flow ---- */

static bool has_ports(uint8_t proto)
{
	/* TCP, UDP, DCCP, SCTP, UDP-Lite */
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

/* Ports (or ICMP type and code) of the upper-layer header at @l4 (@len
 * bytes); a header cut short leaves them 0, as the kernel's flow decode. */
static void flow_ports(struct spd_flow *f, const uint8_t *l4, size_t len)
{
	if (has_ports(f->proto) && len >= 4) {
		f->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		f->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	} else if ((f->proto == 1 || f->proto == 58) && len >= 2) {
		f->sport = l4[0];
		f->dport = l4[1];
	}
}

static int flow_parse4(const uint8_t *p, size_t len, struct spd_flow *f)
{
	size_t hl, tot;

	if (len < 20)
		return -1;
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = (size_t)p[2] << 8 | p[3];
	if (hl < 20 || hl > len || tot < hl)
		return -1;
	if (tot < len)
		len = tot;
	f->src.family = f->dst.family = AF_INET;
	memcpy(f->src.b, p + 12, 4);
	memcpy(f->dst.b, p + 16, 4);
	f->proto = p[9];
	if (!((p[6] & 0x1f) | p[7])) /* first fragment or none */
		flow_ports(f, p + hl, len - hl);
	return 0;
}

static int flow_parse6(const uint8_t *p, size_t len, struct spd_flow *f)
{
	size_t off = 40, plen;
	uint8_t nh;

	if (len < 40)
		return -1;
	plen = (size_t)p[4] << 8 | p[5];
	if (plen + 40 < len)
		len = plen + 40;
	f->src.family = f->dst.family = AF_INET6;
	memcpy(f->src.b, p + 8, 16);
	memcpy(f->dst.b, p + 24, 16);
	nh = p[6];
	for (unsigned i = 0; i < 8; i++) {
		if (nh == 44) { /* fragment: ports only in the first */
			if (off + 8 > len)
				return -1;
			f->proto = p[off];
			if ((p[off + 2] << 8 | p[off + 3]) & 0xfff8)
				return 0;
			nh = p[off];
			off += 8;
			continue;
		}
		if (nh != 0 && nh != 43 && nh != 60)
			break;
		if (off + 2 > len)
			return -1;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > len)
			return -1;
	}
	f->proto = nh;
	flow_ports(f, p + off, len - off);
	return 0;
}

int spd_flow_parse(const uint8_t *p, size_t len, struct spd_flow *f)
{
	memset(f, 0, sizeof(*f));
	if (!len)
		return -1;
	switch (p[0] >> 4) {
	case 4:
		return flow_parse4(p, len, f);
	case 6:
		return flow_parse6(p, len, f);
	default:
		return -1;
	}
}

bool spd_flow_equal(const struct spd_flow *a, const struct spd_flow *b)
{
	return a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       ip_addr_equal(&a->dst, &b->dst) && ip_addr_equal(&a->src, &b->src);
}

/* ---- outbound rules ---- */

/* Copy the first @bits bits of @a (16 bytes) to @out, the rest zero. */
static void mask_bytes(uint8_t *out, const uint8_t *a, unsigned bits)
{
	unsigned n = bits / 8;

	memset(out, 0, 16);
	memcpy(out, a, n);
	if (bits % 8)
		out[n] = a[n] & (uint8_t)(0xff00u >> (bits % 8));
}

static uint64_t out_hash(uint8_t family, uint8_t dlen, uint8_t slen, const uint8_t *dst,
			 const uint8_t *src)
{
	uint8_t head[3] = { family, dlen, slen };
	uint64_t h = hash_bytes(HASH_INIT, head, sizeof(head));

	h = hash_bytes(h, dst, 16);
	return hash_bytes(h, src, 16);
}

/* The priority kern/ gives this pair's XFRM policy (xfrm_own.c): the
 * configured one, else fewer for more prefix bits, a protocol, ports.
 * Lower wins, as in the kernel. */
static uint32_t rule_prio(const struct dpsnap_group *g, unsigned slen, unsigned dlen)
{
	uint32_t prio = CFG_PRIORITY_MIN + 0x10100u;

	if (g->priority)
		return g->priority;
	prio -= 256 * (slen + dlen);
	if (g->proto)
		prio -= 128;
	if (g->sport || g->dport)
		prio -= 64;
	return prio;
}

/* (prio, order) of @a before that of @b? */
static bool rank_before(uint32_t pa, uint64_t oa, uint32_t pb, uint64_t ob)
{
	return pa < pb || (pa == pb && oa < ob);
}

static int class_cmp(const void *a, const void *b)
{
	const struct out_class *x = a, *y = b;

	if (rank_before(x->prio, x->order, y->prio, y->order))
		return -1;
	return rank_before(y->prio, y->order, x->prio, x->order) ? 1 : 0;
}

/* Add @r's class to the family's list, or improve its best rank. */
static int class_note(struct spd *t, const struct out_rule *r, size_t *cap)
{
	unsigned fi = r->family == AF_INET6;
	struct out_class *c = t->cls[fi];
	size_t i;

	for (i = 0; i < t->ncls[fi]; i++) {
		if (c[i].dlen == r->dlen && c[i].slen == r->slen) {
			if (rank_before(r->prio, r->order, c[i].prio, c[i].order)) {
				c[i].prio = r->prio;
				c[i].order = r->order;
			}
			return 0;
		}
	}
	if (t->ncls[fi] == cap[fi]) {
		size_t ncap = cap[fi] ? 2 * cap[fi] : 16;

		c = realloc(c, ncap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cls[fi] = c;
		cap[fi] = ncap;
	}
	c[t->ncls[fi]++] = (struct out_class){ r->family, r->dlen, r->slen, r->prio, r->order };
	return 0;
}

static int out_add_group(struct spd *t, const struct xf_group *xg, size_t *cap)
{
	const struct dpsnap_group *g = xg->g;

	for (unsigned i = 0; i < g->nsrc_ts; i++) {
		for (unsigned j = 0; j < g->ndst_ts; j++) {
			const struct ip_prefix *s = &g->src_ts[i], *d = &g->dst_ts[j];
			struct out_rule *r = &t->rule[t->nrule];
			int ret;

			if (s->addr.family != d->addr.family)
				continue;
			r->family = d->addr.family;
			r->dlen = d->len;
			r->slen = s->len;
			r->proto = g->proto;
			r->sport = g->sport;
			r->dport = g->dport;
			r->prio = rule_prio(g, s->len, d->len);
			r->order = g->order;
			mask_bytes(r->dst, d->addr.b, d->len);
			mask_bytes(r->src, s->addr.b, s->len);
			r->g = xg;
			ret = hidx_put(&t->out_idx, out_hash(r->family, r->dlen, r->slen, r->dst, r->src),
				       t->nrule);
			if (!ret)
				ret = class_note(t, r, cap);
			if (ret)
				return ret;
			t->nrule++;
		}
	}
	return 0;
}

static bool rule_matches(const struct out_rule *r, const struct spd_flow *f, const uint8_t *dst,
			 const uint8_t *src)
{
	return r->family == f->dst.family && !memcmp(r->dst, dst, 16) && !memcmp(r->src, src, 16) &&
	       (!r->proto || r->proto == f->proto) && (!r->sport || r->sport == f->sport) &&
	       (!r->dport || r->dport == f->dport);
}

const struct xf_group *spd_out_lookup(const struct spd *t, const struct spd_flow *f)
{
	const struct out_rule *best = NULL;
	unsigned fi;

	if (f->dst.family != AF_INET && f->dst.family != AF_INET6)
		return NULL;
	fi = f->dst.family == AF_INET6;
	for (size_t i = 0; i < t->ncls[fi]; i++) {
		const struct out_class *c = &t->cls[fi][i];
		uint8_t dst[16], src[16];
		size_t pos = 0, v;
		uint64_t h;

		if (best && !rank_before(c->prio, c->order, best->prio, best->order))
			break;
		mask_bytes(dst, f->dst.b, c->dlen);
		mask_bytes(src, f->src.b, c->slen);
		h = out_hash(c->family, c->dlen, c->slen, dst, src);
		while (hidx_next(&t->out_idx, h, &pos, &v)) {
			const struct out_rule *r = &t->rule[v];

			if (r->dlen != c->dlen || r->slen != c->slen || !rule_matches(r, f, dst, src))
				continue;
			if (!best || rank_before(r->prio, r->order, best->prio, best->order))
				best = r;
		}
	}
	return best ? best->g : NULL;
}

/* ---- inbound keys ---- */

static void in_image(struct in_image *im, uint8_t family, uint8_t proto, uint32_t spi,
		     const struct ip_addr *dst, const struct ip_addr *src)
{
	memset(im, 0, sizeof(*im));
	im->family = family;
	im->proto = proto;
	if (proto == 4 || proto == 41) {
		memcpy(im->src, src->b, 16);
	} else {
		im->spi = spi;
	}
	memcpy(im->dst, dst->b, 16);
}

static uint64_t in_hash(const struct in_image *im)
{
	return hash_bytes(HASH_INIT, im, sizeof(*im));
}

static const struct in_entry *in_find(const struct spd *t, const struct in_image *im)
{
	uint64_t h = in_hash(im);
	size_t pos = 0, v;

	while (hidx_next(&t->in_idx, h, &pos, &v))
		if (!memcmp(&t->in[v].key, im, sizeof(*im)))
			return &t->in[v];
	return NULL;
}

static int in_put(struct spd *t, const struct xf_group *xg, unsigned k, uint8_t proto,
		  struct reason *why)
{
	const struct dpsnap_sa *sa = &xg->g->sa[k];
	struct in_entry *e = &t->in[t->nin];
	const struct in_entry *old;
	int ret;

	in_image(&e->key, sa->said.dst.family, proto, sa->said.spi, &sa->said.dst, &sa->src);
	e->g = xg;
	e->sa = k;
	old = in_find(t, &e->key);
	if (old) {
		reason_set(why, "groups %s and %s both receive %s packets with SPI 0x%x",
			   old->g->g->name, xg->g->name, proto == 50 ? "ESP" : proto == 51 ? "AH" :
			   proto == 108 ? "IPComp" : "IPIP", sa->said.spi);
		return -EEXIST;
	}
	ret = hidx_put(&t->in_idx, in_hash(&e->key), t->nin);
	if (ret)
		return ret;
	t->nin++;
	return 0;
}

/* The outermost SA's key and, while the SA is IPComp (which may leave a
 * packet bare), the next one inwards too. */
static int in_add_group(struct spd *t, const struct xf_group *xg, struct reason *why)
{
	const struct dpsnap_group *g = xg->g;
	int ret = 0;

	for (unsigned k = g->nsa; k-- > 0;) {
		uint8_t proto = g->sa[k].said.proto;

		if (proto == SAID_PROTO_TUN) {
			ret = in_put(t, xg, k, 4, why);
			if (!ret)
				ret = in_put(t, xg, k, 41, why);
		} else {
			ret = in_put(t, xg, k, proto, why);
		}
		if (ret || proto != SAID_PROTO_COMP)
			break;
	}
	return ret;
}

static int check_group(const struct xf_group *xg, size_t *nrule, struct reason *why)
{
	const struct dpsnap_group *g = xg->g;

	if (g->shunt || !g->nsa) {
		reason_set(why, "group %s: a shunt has no userspace datapath", g->name);
		return -EINVAL;
	}
	if (g->dir != SADB_DIR_IN && g->dir != SADB_DIR_OUT) {
		reason_set(why, "group %s has no direction on this host", g->name);
		return -EINVAL;
	}
	for (unsigned k = 0; k < g->nsa; k++) {
		uint8_t p = g->sa[k].said.proto;

		if (p != SAID_PROTO_TUN && p != SAID_PROTO_ESP && p != SAID_PROTO_AH &&
		    p != SAID_PROTO_COMP) {
			reason_set(why, "group %s: SA protocol %u has no userspace datapath",
				   g->name, p);
			return -EINVAL;
		}
	}
	if (g->dir == SADB_DIR_OUT)
		*nrule += (size_t)g->nsrc_ts * g->ndst_ts;
	return 0;
}

int spd_build(struct spd **out, const struct xf_group *const *groups, size_t n,
	      struct reason *why)
{
	struct spd *t = calloc(1, sizeof(*t));
	size_t nrule = 0, cap[2] = { 0, 0 };
	int ret = -ENOMEM;

	if (!t)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		ret = check_group(groups[i], &nrule, why);
		if (ret)
			goto fail;
	}
	ret = -ENOMEM;
	t->rule = calloc(nrule ? nrule : 1, sizeof(*t->rule));
	/* at most one key per SA, two for a tun SA */
	t->in = calloc(n ? IN_KEYS_MAX * n : 1, sizeof(*t->in));
	if (!t->rule || !t->in || hidx_init(&t->out_idx, nrule) ||
	    hidx_init(&t->in_idx, IN_KEYS_MAX * n))
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct xf_group *xg = groups[i];

		if (xg->g->dir == SADB_DIR_OUT)
			ret = out_add_group(t, xg, cap);
		else
			ret = in_add_group(t, xg, why);
		if (ret == -ENOMEM)
			goto nomem;
		if (ret)
			goto fail;
	}
	for (unsigned fi = 0; fi < 2; fi++)
		qsort(t->cls[fi], t->ncls[fi], sizeof(*t->cls[fi]), class_cmp);
	*out = t;
	return 0;
nomem:
	ret = -ENOMEM;
	reason_set(why, "out of memory building the datapath tables");
fail:
	spd_free(t);
	return ret;
}

void spd_free(struct spd *t)
{
	if (!t)
		return;
	free(t->rule);
	free(t->cls[0]);
	free(t->cls[1]);
	free(t->in);
	hidx_free(&t->out_idx);
	hidx_free(&t->in_idx);
	free(t);
}

const struct xf_group *spd_in_lookup(const struct spd *t, const struct xf_key *k, unsigned *sa)
{
	struct in_image im;
	const struct in_entry *e;

	in_image(&im, k->family, k->proto, k->spi, &k->dst, &k->src);
	e = in_find(t, &im);
	if (!e)
		return NULL;
	*sa = e->sa;
	return e->g;
}

size_t spd_out_rules(const struct spd *t)
{
	return t->nrule;
}

size_t spd_in_keys(const struct spd *t)
{
	return t->nin;
}
