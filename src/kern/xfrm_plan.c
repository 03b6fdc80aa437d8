/* xfrm_plan.c: a group -> its XFRM objects and requests (xfrm_plan.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "xfrm_own.h"
#include "place.h"
#include "xfrm_plan.h"

#define XFRM_REPLAY_MAX_WINDOW 4096u /* XFRMA_REPLAY_ESN_VAL bitmap, packets */

/* One XFRM transform of a group (tun SAs folded away). */
struct tf {
	const struct sadb_sa *sa;
	bool tunnel;        /* tunnel mode (a tun SA before it) */
	bool after_tunnel;  /* some earlier transform is tunnel mode */
};

static int plan_add(struct xfrm_plan *p, struct xfrm_obj **out)
{
	struct xfrm_obj *n = realloc(p->obj, (p->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->obj = n;
	*out = &n[p->n++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

void xfrm_plan_free(struct xfrm_plan *plan)
{
	if (!plan)
		return;
	free(plan->obj);
	plan->obj = NULL;
	plan->n = 0;
}

/* Fold tun SAs into the next SA; refuse what XFRM cannot express. */
static int group_transforms(const struct sadb_group *g, struct tf *tf, unsigned *ntf,
			    struct reason *why)
{
	bool pending_tun = false, seen_tunnel = false;
	unsigned i, n = 0;

	/* The one expressibility rule (place.h); placement keeps the groups
	 * it refuses away from the kernel, so this only guards the planner. */
	if (!place_xfrm_expressible(g, why))
		return -EINVAL;
	for (i = 0; i < g->nsa; i++) {
		const struct sadb_sa *sa = g->sa[i];
		uint8_t proto = sa->cfg->said.proto;

		if (proto == SAID_PROTO_TUN) {
			pending_tun = true;
			continue;
		}
		if (proto != SAID_PROTO_ESP && proto != SAID_PROTO_AH && proto != SAID_PROTO_COMP) {
			reason_set(why, "SA protocol %u cannot be an XFRM state", proto);
			return -EINVAL;
		}
		tf[n].sa = sa;
		tf[n].tunnel = pending_tun || xfrm_sa_tunnel_mode(sa);
		tf[n].after_tunnel = seen_tunnel;
		seen_tunnel |= tf[n].tunnel;
		pending_tun = false;
		n++;
	}
	if (!n) {
		reason_set(why, "group has no SA");
		return -EINVAL;
	}
	*ntf = n;
	return 0;
}

/* The family of the group's inner traffic: AF_INET / AF_INET6, or 0 when
 * the traffic selectors mix families or there are none. */
static unsigned inner_family(const struct sadb_group *g)
{
	unsigned f = 0, i;

	for (i = 0; i < g->nsrc_ts + g->ndst_ts; i++) {
		const struct ip_prefix *p = i < g->nsrc_ts ? &g->src_ts[i] : &g->dst_ts[i - g->nsrc_ts];

		if (f && p->addr.family != f)
			return 0;
		f = p->addr.family;
	}
	return f;
}

static void xaddr_from_ip(xfrm_address_t *x, const struct ip_addr *a)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->b, ip_addr_len(a));
}

static void fill_selector(struct xfrm_selector *sel, const struct sadb_group *g,
			  const struct ip_prefix *s, const struct ip_prefix *d)
{
	memset(sel, 0, sizeof(*sel));
	sel->family = s->addr.family;
	xaddr_from_ip(&sel->saddr, &s->addr);
	xaddr_from_ip(&sel->daddr, &d->addr);
	sel->prefixlen_s = s->len;
	sel->prefixlen_d = d->len;
	sel->proto = g->proto;
	if (g->sport) {
		sel->sport = htons(g->sport);
		sel->sport_mask = 0xffff;
	}
	if (g->dport) {
		sel->dport = htons(g->dport);
		sel->dport_mask = 0xffff;
	}
}

static uint64_t limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static void fill_lifetime(struct xfrm_lifetime_cfg *lft, const struct cfg_life *l)
{
	lft->soft_byte_limit = limit(l ? l->soft_bytes : 0);
	lft->hard_byte_limit = limit(l ? l->hard_bytes : 0);
	lft->soft_packet_limit = limit(l ? l->soft_packets : 0);
	lft->hard_packet_limit = limit(l ? l->hard_packets : 0);
	lft->soft_add_expires_seconds = l ? l->soft_seconds : 0;
	lft->hard_add_expires_seconds = l ? l->hard_seconds : 0;
	lft->soft_use_expires_seconds = 0;
	lft->hard_use_expires_seconds = 0;
}

/* An algorithm with its key borrowed from the cfg. */
static int fill_alg(struct xm_alg *a, const char *name, const struct cfg_key *k, unsigned icv_bits,
		    struct reason *why)
{
	if (strlen(name) >= sizeof(a->name)) {
		reason_set(why, "algorithm name %.64s... is too long for XFRM", name);
		return -EINVAL;
	}
	a->present = true;
	strcpy(a->name, name);
	a->key_bits = k ? (uint32_t)(k->len * 8) : 0;
	a->key = k && k->len ? k->data : NULL;
	a->icv_bits = icv_bits;
	return 0;
}

static int state_algs(struct xm_state *s, const struct cfg_sa *c, struct reason *why)
{
	int ret = 0;

	if (s->proto == SAID_PROTO_COMP)
		return fill_alg(&s->comp, c->comp ? c->comp->kernel_name : "deflate", NULL, 0, why);
	if (c->enc && c->enc->kind == ALG_AEAD)
		ret = fill_alg(&s->aead, c->enc->kernel_name, &c->enckey, c->enc->icv_bits, why);
	else if (c->enc)
		ret = fill_alg(&s->crypt, c->enc->kernel_name, &c->enckey, 0, why);
	if (!ret && c->auth) {
		ret = fill_alg(&s->auth, c->auth->kernel_name, &c->authkey, c->auth->icv_bits, why);
		s->auth_trunc = true;
	}
	if (!ret && s->proto == SAID_PROTO_AH && !c->auth) {
		reason_set(why, "AH SA without an auth algorithm");
		ret = -EINVAL;
	}
	return ret;
}

/* Anti-replay: AH and ESP only.  Up to 32 packets without ESN the legacy
 * header field; otherwise the ESN/bitmap attribute with the header field
 * 0.  The kernel refuses ESN with a window of 0 (also for outbound SAs on
 * 6.1), so ESN gets at least 1. */
static int state_replay(struct xm_state *s, const struct cfg_sa *c, struct reason *why)
{
	uint32_t w = c->replay_window;

	if (s->proto == SAID_PROTO_COMP)
		return 0;
	if (c->esn)
		s->flags |= XFRM_STATE_ESN;
	if (!c->esn && w <= 32) {
		s->replay_window = (uint8_t)w;
		return 0;
	}
	if (c->esn && !w)
		w = 1;
	if (w > XFRM_REPLAY_MAX_WINDOW) {
		reason_set(why, "replay window %u above the kernel's %u", w, XFRM_REPLAY_MAX_WINDOW);
		return -EINVAL;
	}
	s->has_replay_esn = true;
	s->replay_esn.replay_window = w;
	s->replay_esn.bmp_len = (w + 31) / 32;
	return 0;
}

/* The state of one transform. */
static int plan_state(const struct sadb_group *g, const struct tf *t, struct xm_state *s,
		      struct reason *why)
{
	const struct cfg_sa *c = t->sa->cfg;
	unsigned family = c->said.dst.family, inner = inner_family(g);

	if (!family || c->src.family != family) {
		reason_set(why, "SA source and destination families differ");
		return -EINVAL;
	}
	if (c->said.proto == SAID_PROTO_COMP && c->said.spi >= 0x10000) {
		reason_set(why, "CPI 0x%x does not fit 16 bits", c->said.spi);
		return -EINVAL;
	}
	s->family = (uint16_t)family;
	xaddr_from_ip(&s->daddr, &c->said.dst);
	xaddr_from_ip(&s->saddr, &c->src);
	s->spi = htonl(c->said.spi);
	s->proto = c->said.proto;
	s->mode = t->tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	s->reqid = g->reqid;
	fill_lifetime(&s->lft, &c->life);

	/* Selector: empty for tunnel mode (AF_UNSPEC: any inner family) and for
	 * transport states behind a tunnel (they see the inner flow); the
	 * traffic selector for a plain transport group with one pair. */
	if (t->tunnel) {
		s->flags |= XFRM_STATE_AF_UNSPEC;
	} else if (t->after_tunnel) {
		if (inner != family)
			s->flags |= XFRM_STATE_AF_UNSPEC;
	} else if (!g->implicit && g->nsrc_ts == 1 && g->ndst_ts == 1 &&
		   g->src_ts[0].addr.family == family && g->dst_ts[0].addr.family == family) {
		fill_selector(&s->sel, g, &g->src_ts[0], &g->dst_ts[0]);
	}
	if (s->proto == SAID_PROTO_AH && family == AF_INET && c->ah_align != 64)
		s->flags |= XFRM_STATE_ALIGN4;
	if (state_replay(s, c, why))
		return -EINVAL;
	return state_algs(s, c, why);
}

/* XFRM_POLICY_ALLOW / _BLOCK for a shunt group, or -EINVAL. */
static int shunt_action(const struct sadb_group *g, struct reason *why)
{
	uint32_t spi = g->shunt_said.spi;
	char t[SAID_BUF];

	if (g->shunt_said.proto == SAID_PROTO_TUN || spi == SAID_SPI_PASS)
		return XFRM_POLICY_ALLOW;
	if (g->shunt_said.proto == SAID_PROTO_INT && (spi == SAID_SPI_DROP || spi == SAID_SPI_REJECT))
		return XFRM_POLICY_BLOCK;
	said_format(&g->shunt_said, '0', t, sizeof(t));
	reason_set(why, "shunt %s cannot be expressed in XFRM", t);
	return -EINVAL;
}

/* The policy for one selector pair and direction. */
static int plan_policy(const struct sadb_group *g, const struct ip_prefix *s,
		       const struct ip_prefix *d, unsigned dir, const struct tf *tf, unsigned ntf,
		       struct xm_policy *p, struct reason *why)
{
	unsigned family = s->addr.family, i;
	int action = XFRM_POLICY_ALLOW;

	if (s->addr.family != d->addr.family) {
		reason_set(why, "traffic selectors of different families");
		return -EINVAL;
	}
	if (g->shunt && (action = shunt_action(g, why)) < 0)
		return -EINVAL;
	fill_selector(&p->sel, g, s, d);
	fill_lifetime(&p->lft, NULL);
	p->dir = (uint8_t)dir;
	p->priority = xfrm_policy_priority(g, s, d);
	p->share = XFRM_SHARE_ANY;
	p->action = (uint8_t)action;
	for (i = 0; i < (g->shunt ? 0 : ntf); i++) {
		const struct cfg_sa *c = tf[i].sa->cfg;
		struct xm_tmpl *t = &p->tmpl[p->ntmpl++];
		unsigned tfam = c->said.dst.family;

		if (!tf[i].tunnel && tfam != family) {
			reason_set(why, "transport-mode SA %s of another family than the traffic before it",
				   said_proto_name(c->said.proto) ? said_proto_name(c->said.proto) : "?");
			return -EINVAL;
		}
		family = tfam;
		t->family = (uint16_t)tfam;
		if (tf[i].tunnel) { /* transport templates resolve against the tunnel */
			xaddr_from_ip(&t->daddr, &c->said.dst);
			xaddr_from_ip(&t->saddr, &c->src);
		}
		/* SPI pinned on outbound templates only (as charon): inbound
		 * templates match whatever SPI the sec_path holds. */
		t->spi = dir == XFRM_POLICY_OUT ? htonl(c->said.spi) : 0;
		t->proto = c->said.proto;
		t->reqid = g->reqid;
		t->mode = tf[i].tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
		t->share = XFRM_SHARE_ANY;
		t->optional = c->said.proto == SAID_PROTO_COMP && dir != XFRM_POLICY_OUT;
		t->aalgos = t->ealgos = t->calgos = ~0u;
	}
	return 0;
}

static int plan_policies(const struct sadb_group *g, unsigned dir, const struct tf *tf,
			 unsigned ntf, struct xfrm_plan *plan, struct reason *why)
{
	unsigned i, j;
	int ret;

	for (i = 0; i < g->nsrc_ts; i++) {
		for (j = 0; j < g->ndst_ts; j++) {
			struct xfrm_obj *o;

			ret = plan_add(plan, &o);
			if (ret)
				return ret;
			o->kind = XFRM_OBJ_POLICY;
			ret = plan_policy(g, &g->src_ts[i], &g->dst_ts[j], dir, tf, ntf, &o->sp, why);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int plan_states(const struct sadb_group *g, const struct tf *tf, unsigned ntf,
		       struct xfrm_plan *plan, struct reason *why)
{
	unsigned i;
	int ret;

	if (!g->reqid) {
		reason_set(why, "group has no reqid");
		return -EINVAL;
	}
	for (i = 0; i < ntf; i++) {
		struct xfrm_obj *o;

		ret = plan_add(plan, &o);
		if (ret)
			return ret;
		o->kind = XFRM_OBJ_STATE;
		ret = plan_state(g, &tf[i], &o->sa, why);
		if (ret)
			return ret;
	}
	return 0;
}

int xfrm_plan_group(const struct sadb_group *g, struct xfrm_plan *plan, struct reason *why)
{
	struct tf tf[CFG_MAX_GROUP_SAS + 1];
	unsigned ntf = 0;
	int ret = 0;

	plan->obj = NULL;
	plan->n = 0;
	reason_set(why, "%s", "");
	if (!g->shunt) {
		ret = group_transforms(g, tf, &ntf, why);
		if (!ret)
			ret = plan_states(g, tf, ntf, plan, why);
		if (ret)
			goto fail;
	}
	/* a KLIPS runtime group nothing is routed into yet (spigrp before
	 * eroute; config groups always have selectors): its states only */
	if (g->implicit || (!g->shunt && (!g->nsrc_ts || !g->ndst_ts)))
		return 0;
	if (!g->shunt && g->dir != SADB_DIR_IN && g->dir != SADB_DIR_OUT) {
		reason_set(why, "group has no direction on this host");
		ret = -EINVAL;
		goto fail;
	}
	if (!g->nsrc_ts || !g->ndst_ts) {
		reason_set(why, "shunt has no traffic selectors");
		ret = -EINVAL;
		goto fail;
	}
	if (g->shunt || g->dir == SADB_DIR_IN) {
		ret = plan_policies(g, XFRM_POLICY_IN, tf, ntf, plan, why);
		if (!ret)
			ret = plan_policies(g, XFRM_POLICY_FWD, tf, ntf, plan, why);
		if (ret)
			goto fail;
	}
	if (g->shunt || g->dir == SADB_DIR_OUT) {
		ret = plan_policies(g, XFRM_POLICY_OUT, tf, ntf, plan, why);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	if (ret == -ENOMEM)
		reason_set(why, "out of memory");
	xfrm_plan_free(plan);
	return ret;
}

/* ------------------------------------------------------------------ */
/* requests and keys */

int xfrm_obj_add_request(const struct xfrm_obj *o, struct nlmsghdr **out)
{
	struct xm_msg m;

	memset(&m, 0, sizeof(m));
	m.nlflags = NLM_F_CREATE | NLM_F_EXCL;
	if (o->kind == XFRM_OBJ_STATE) {
		m.type = XFRM_MSG_NEWSA;
		m.sa = o->sa;
	} else {
		m.type = XFRM_MSG_NEWPOLICY;
		m.sp = o->sp;
	}
	return xm_build(&m, out);
}

int xfrm_obj_del_request(const struct xfrm_obj *o, bool by_index, struct nlmsghdr **out)
{
	struct xm_msg m;

	memset(&m, 0, sizeof(m));
	if (o->kind == XFRM_OBJ_STATE) {
		m.type = XFRM_MSG_DELSA;
		m.sa.family = o->sa.family;
		m.sa.daddr = o->sa.daddr;
		m.sa.spi = o->sa.spi;
		m.sa.proto = o->sa.proto;
		m.sa.has_mark = o->sa.has_mark;
		m.sa.mark = o->sa.mark;
	} else {
		m.type = XFRM_MSG_DELPOLICY;
		m.sp.sel = o->sp.sel;
		m.sp.dir = o->sp.dir;
		m.sp.index = by_index ? o->sp.index : 0;
		m.sp.has_ptype = o->sp.has_ptype;
		m.sp.ptype = o->sp.ptype;
		m.sp.has_mark = o->sp.has_mark;
		m.sp.mark = o->sp.mark;
		m.sp.if_id = o->sp.if_id;
	}
	return xm_build(&m, out);
}

void xfrm_obj_key(const struct xfrm_obj *o, struct xm_key *k)
{
	if (o->kind == XFRM_OBJ_STATE)
		xm_state_key(&o->sa, k);
	else
		xm_policy_key(&o->sp, k);
}

bool xfrm_obj_same_key(const struct xfrm_obj *a, const struct xfrm_obj *b)
{
	struct xm_key ka, kb;

	xfrm_obj_key(a, &ka);
	xfrm_obj_key(b, &kb);
	return xm_key_equal(&ka, &kb);
}

static void ip_from_xaddr(struct ip_addr *a, const xfrm_address_t *x, unsigned family)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->b, x, xm_addr_len(family));
}

void xfrm_obj_describe(const struct xfrm_obj *o, char *buf, size_t len)
{
	if (o->kind == XFRM_OBJ_STATE) {
		struct said s = { .proto = o->sa.proto, .spi = ntohl(o->sa.spi) };

		ip_from_xaddr(&s.dst, &o->sa.daddr, o->sa.family);
		if (!said_format(&s, '0', buf, len))
			snprintf(buf, len, "state proto %u spi 0x%x", s.proto, s.spi);
	} else {
		const struct xfrm_selector *l = &o->sp.sel;
		struct ip_prefix s = { .len = l->prefixlen_s }, d = { .len = l->prefixlen_d };
		char st[IP_PREFIX_BUF] = "any", dt[IP_PREFIX_BUF] = "any";

		ip_from_xaddr(&s.addr, &l->saddr, l->family);
		ip_from_xaddr(&d.addr, &l->daddr, l->family);
		if (xm_addr_len(l->family)) {
			ip_prefix_format(&s, st, sizeof(st));
			ip_prefix_format(&d, dt, sizeof(dt));
		}
		snprintf(buf, len, "policy %s %s -> %s", xm_dir_name(o->sp.dir), st, dt);
	}
}
