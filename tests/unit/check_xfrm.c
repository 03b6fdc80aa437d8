/* check_xfrm.c: the XFRM requests a group turns into, checked without a
 * kernel: xfrm_plan_group() plans the objects, xfrm_obj_add_request()
 * builds their NEWSA / NEWPOLICY messages, and the tests read those bytes
 * back with libnl's attribute walkers (header structs, attributes,
 * template vectors): an independent reading of what goes on the wire. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/xfrm.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "cfg.h"
#include "sadb.h"
#include "xfrm_fake.h"
#include "xfrm_own.h"
#include "xfrm_plan.h"

#define REQID (XFRM_OWN_REQID_BASE + 7)

/* ---- building groups by hand ---------------------------------------- */

/* Storage for one hand-made group; keys are static test bytes. */
struct tgroup {
	struct sadb_group g;
	struct sadb_sa sa[CFG_MAX_GROUP_SAS + 1];
	struct cfg_sa cs[CFG_MAX_GROUP_SAS + 1]; /* what sa[i].cfg points at */
	struct ip_prefix src_ts[CFG_MAX_TS], dst_ts[CFG_MAX_TS]; /* g's selectors */
	uint8_t key[CFG_MAX_GROUP_SAS + 1][2][64];
};

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(s, &a, NULL, 0), 0);
	return a;
}

static struct ip_prefix prefix(const char *s)
{
	struct ip_prefix p;

	ck_assert_int_eq(ip_prefix_parse(s, &p, NULL, 0), 0);
	return p;
}

static void fill_key(struct cfg_key *k, uint8_t *buf, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + 3 * i);
	k->data = buf;
	k->len = len;
}

static void tg_init(struct tgroup *t, const char *name, enum sadb_dir dir, const char *src_ts,
		    const char *dst_ts)
{
	memset(t, 0, sizeof(*t));
	t->g.name = (char *)name;
	t->g.dir = dir;
	t->g.reqid = REQID;
	t->g.want = CFG_DP_KERNEL;
	t->g.src_ts = t->src_ts;
	t->g.dst_ts = t->dst_ts;
	if (src_ts) {
		t->src_ts[t->g.nsrc_ts++] = prefix(src_ts);
		t->dst_ts[t->g.ndst_ts++] = prefix(dst_ts);
	}
}

/* Append an SA "said" from @src with the named algorithms (NULL = none). */
static struct sadb_sa *tg_sa(struct tgroup *t, const char *said, const char *src, const char *enc,
			     const char *auth)
{
	unsigned i = t->g.nsa;
	struct sadb_sa *sa = &t->sa[i];
	struct cfg_sa *c = &t->cs[i];

	ck_assert_uint_lt(i, CFG_MAX_GROUP_SAS);
	ck_assert_int_eq(said_parse(said, &c->said, NULL, 0), 0);
	c->src = addr(src);
	c->replay_window = 32;
	c->esn = false;
	c->ah_align = 32;
	if (c->said.proto == SAID_PROTO_COMP)
		c->comp = alg_find("deflate", ALG_COMP);
	if (enc) {
		c->enc = alg_find(enc, ALG_ENC);
		ck_assert_ptr_nonnull(c->enc);
		fill_key(&c->enckey, t->key[i][0], c->enc->key_bytes, (uint8_t)(0x10 * (i + 1)));
	}
	if (auth) {
		c->auth = alg_find(auth, ALG_AUTH);
		ck_assert_ptr_nonnull(c->auth);
		fill_key(&c->authkey, t->key[i][1], c->auth->key_bytes, (uint8_t)(0x11 * (i + 1)));
	}
	sa->cfg = c;
	sa->dir = t->g.dir;
	sa->group = &t->g;
	t->g.sa[t->g.nsa++] = sa;
	return sa;
}

/* The seed's IPv4 group: tun.3d0 comp.3d0 esp.187a101b ah.187a101a. */
static void seed4(struct tgroup *t, enum sadb_dir dir)
{
	const char *src = "192.168.2.100";

	tg_init(t, "seed4", dir, "10.0.1.0/24", "10.0.2.0/24");
	tg_sa(t, "tun.3d0@192.168.2.110", src, NULL, NULL);
	tg_sa(t, "comp.3d0@192.168.2.110", src, NULL, NULL);
	tg_sa(t, "esp.187a101b@192.168.2.110", src, "aes128", "sha256");
	tg_sa(t, "ah.187a101a@192.168.2.110", src, NULL, "sha1");
}

static void seed6(struct tgroup *t)
{
	tg_init(t, "seed6", SADB_DIR_OUT, "fd00:1::/64", "fd00:2::/64");
	tg_sa(t, "tun:3d0@3049:1::2", "3049:1::1", NULL, NULL);
	tg_sa(t, "comp:3d0@3049:1::2", "3049:1::1", NULL, NULL);
	tg_sa(t, "esp:187a101b@3049:1::2", "3049:1::1", "aes128", "sha256");
	tg_sa(t, "ah:187a101a@3049:1::2", "3049:1::1", NULL, "sha1");
}

/* ---- parsing the messages back ---------------------------------------- */

/* The request of object @i of the plan being checked, built once. */
static struct nlmsghdr *built[64];

static struct nlmsghdr *msg(const struct xfrm_plan *p, size_t i)
{
	ck_assert_uint_lt(i, p->n);
	ck_assert_uint_lt(i, sizeof(built) / sizeof(built[0]));
	if (!built[i])
		ck_assert_int_eq(xfrm_obj_add_request(&p->obj[i], &built[i]), 0);
	return built[i];
}

static void plan_done(struct xfrm_plan *p)
{
	size_t i;

	for (i = 0; i < sizeof(built) / sizeof(built[0]); i++) {
		xm_free(built[i]);
		built[i] = NULL;
	}
	xfrm_plan_free(p);
}

static struct xfrm_usersa_info *sa_of(const struct xfrm_plan *p, size_t i)
{
	struct nlmsghdr *h = msg(p, i);

	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_NEWSA);
	ck_assert_uint_ge(h->nlmsg_len, NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)));
	/* all or nothing: never replace an object that is already there */
	ck_assert_uint_eq(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE),
			  NLM_F_CREATE | NLM_F_EXCL);
	return nlmsg_data(h);
}

static struct xfrm_userpolicy_info *sp_of(const struct xfrm_plan *p, size_t i)
{
	struct nlmsghdr *h = msg(p, i);

	ck_assert_uint_eq(h->nlmsg_type, XFRM_MSG_NEWPOLICY);
	ck_assert_uint_ge(h->nlmsg_len, NLMSG_LENGTH(sizeof(struct xfrm_userpolicy_info)));
	ck_assert_uint_eq(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE),
			  NLM_F_CREATE | NLM_F_EXCL);
	return nlmsg_data(h);
}

static struct nlattr *attr(const struct xfrm_plan *p, size_t i, int type)
{
	struct nlmsghdr *h = msg(p, i);
	size_t hdr = h->nlmsg_type == XFRM_MSG_NEWSA ? sizeof(struct xfrm_usersa_info)
						     : sizeof(struct xfrm_userpolicy_info);
	struct nlattr *a, *found = NULL;
	int rem;

	/* exactly one of each type */
	nlmsg_for_each_attr(a, h, hdr, rem) {
		if (nla_type(a) != type)
			continue;
		ck_assert_ptr_null(found);
		found = a;
	}
	return found;
}

static void ck_addr(const xfrm_address_t *x, const char *text)
{
	struct ip_addr a;

	if (!text) {
		xfrm_address_t zero;

		memset(&zero, 0, sizeof(zero));
		ck_assert_mem_eq(x, &zero, sizeof(zero));
		return;
	}
	a = addr(text);
	ck_assert_mem_eq(x, a.b, ip_addr_len(&a));
}

static void ck_state(const struct xfrm_plan *p, size_t i, uint8_t proto, uint32_t spi,
		     const char *dst, const char *src, uint8_t mode, unsigned flags)
{
	struct xfrm_usersa_info *s = sa_of(p, i);
	struct ip_addr d = addr(dst);

	ck_assert_uint_eq(s->id.proto, proto);
	ck_assert_uint_eq(ntohl(s->id.spi), spi);
	ck_addr(&s->id.daddr, dst);
	ck_addr(&s->saddr, src);
	ck_assert_uint_eq(s->family, d.family);
	ck_assert_uint_eq(s->mode, mode);
	ck_assert_uint_eq(s->reqid, REQID);
	ck_assert_uint_eq(s->flags, flags);
}

static void ck_infinite(const struct xfrm_lifetime_cfg *l)
{
	ck_assert(l->soft_byte_limit == XFRM_INF);
	ck_assert(l->hard_byte_limit == XFRM_INF);
	ck_assert(l->soft_packet_limit == XFRM_INF);
	ck_assert(l->hard_packet_limit == XFRM_INF);
	ck_assert(l->soft_add_expires_seconds == 0);
	ck_assert(l->hard_add_expires_seconds == 0);
	ck_assert(l->soft_use_expires_seconds == 0);
	ck_assert(l->hard_use_expires_seconds == 0);
}

static void ck_empty_sel(const struct xfrm_selector *sel)
{
	struct xfrm_selector zero;

	memset(&zero, 0, sizeof(zero));
	ck_assert_mem_eq(sel, &zero, sizeof(zero));
}

static void ck_sel(const struct xfrm_selector *sel, const char *src, const char *dst,
		   uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct ip_prefix s = prefix(src), d = prefix(dst);

	ck_assert_uint_eq(sel->family, s.addr.family);
	ck_assert_mem_eq(&sel->saddr, s.addr.b, ip_addr_len(&s.addr));
	ck_assert_mem_eq(&sel->daddr, d.addr.b, ip_addr_len(&d.addr));
	ck_assert_uint_eq(sel->prefixlen_s, s.len);
	ck_assert_uint_eq(sel->prefixlen_d, d.len);
	ck_assert_uint_eq(sel->proto, proto);
	ck_assert_uint_eq(ntohs(sel->sport), sport);
	ck_assert_uint_eq(ntohs(sel->dport), dport);
	ck_assert_uint_eq(sel->sport_mask, sport ? 0xffff : 0);
	ck_assert_uint_eq(sel->dport_mask, dport ? 0xffff : 0);
	ck_assert_int_eq(sel->ifindex, 0);
	ck_assert_uint_eq(sel->user, 0);
}

/* An algorithm attribute: name, key bits, trunc/ICV bits, key bytes. */
static void ck_alg(const struct xfrm_plan *p, size_t i, int type, const char *name,
		   const struct cfg_key *key, unsigned bits)
{
	struct nlattr *a = attr(p, i, type);
	size_t klen = key ? key->len : 0, hdr;
	const char *n;
	uint32_t keybits, extra = 0;
	const uint8_t *k;

	ck_assert_msg(a != NULL, "message %zu lacks attribute %d", i, type);
	switch (type) {
	case XFRMA_ALG_AUTH_TRUNC: {
		struct xfrm_algo_auth *x = nla_data(a);

		hdr = sizeof(*x);
		n = x->alg_name;
		keybits = x->alg_key_len;
		extra = x->alg_trunc_len;
		k = (const uint8_t *)x->alg_key;
		break;
	}
	case XFRMA_ALG_AEAD: {
		struct xfrm_algo_aead *x = nla_data(a);

		hdr = sizeof(*x);
		n = x->alg_name;
		keybits = x->alg_key_len;
		extra = x->alg_icv_len;
		k = (const uint8_t *)x->alg_key;
		break;
	}
	default: {
		struct xfrm_algo *x = nla_data(a);

		hdr = sizeof(*x);
		n = x->alg_name;
		keybits = x->alg_key_len;
		k = (const uint8_t *)x->alg_key;
		break;
	}
	}
	ck_assert_uint_eq((size_t)nla_len(a), hdr + klen);
	ck_assert_str_eq(n, name);
	ck_assert_uint_eq(keybits, klen * 8);
	ck_assert_uint_eq(extra, bits);
	if (klen)
		ck_assert_mem_eq(k, key->data, klen);
}

/* Legacy replay field vs. XFRMA_REPLAY_ESN_VAL. */
static void ck_replay(const struct xfrm_plan *p, size_t i, unsigned legacy, unsigned esn_window)
{
	struct xfrm_usersa_info *s = sa_of(p, i);
	struct nlattr *a = attr(p, i, XFRMA_REPLAY_ESN_VAL);

	ck_assert_uint_eq(s->replay_window, legacy);
	if (!esn_window) {
		ck_assert_ptr_null(a);
	} else {
		struct xfrm_replay_state_esn *r;
		unsigned words = (esn_window + 31) / 32, w;

		ck_assert_ptr_nonnull(a);
		r = nla_data(a);
		ck_assert_uint_eq(r->replay_window, esn_window);
		ck_assert_uint_eq(r->bmp_len, words);
		ck_assert_uint_eq((size_t)nla_len(a), sizeof(*r) + words * sizeof(uint32_t));
		ck_assert_uint_eq(r->oseq | r->seq | r->oseq_hi | r->seq_hi, 0);
		for (w = 0; w < words; w++)
			ck_assert_uint_eq(r->bmp[w], 0);
	}
	ck_assert_ptr_null(attr(p, i, XFRMA_REPLAY_VAL));
}

static struct xfrm_user_tmpl *tmpls(const struct xfrm_plan *p, size_t i, size_t *n)
{
	struct nlattr *a = attr(p, i, XFRMA_TMPL);

	if (!a) {
		*n = 0;
		return NULL;
	}
	ck_assert_uint_eq(nla_len(a) % sizeof(struct xfrm_user_tmpl), 0);
	*n = nla_len(a) / sizeof(struct xfrm_user_tmpl);
	return nla_data(a);
}

static void ck_tmpl(const struct xfrm_user_tmpl *t, uint8_t proto, uint32_t spi, uint8_t mode,
		    const char *dst, const char *src, unsigned family, bool optional)
{
	ck_assert_uint_eq(t->id.proto, proto);
	ck_assert_uint_eq(ntohl(t->id.spi), spi);
	ck_assert_uint_eq(t->mode, mode);
	ck_addr(&t->id.daddr, dst);
	ck_addr(&t->saddr, src);
	ck_assert_uint_eq(t->family, family);
	ck_assert_uint_eq(t->reqid, REQID);
	ck_assert_uint_eq(t->optional, optional);
	ck_assert_uint_eq(t->share, XFRM_SHARE_ANY);
	/* libnl's calloc default 0 makes every inbound check fail */
	ck_assert_uint_eq(t->aalgos, ~0u);
	ck_assert_uint_eq(t->ealgos, ~0u);
	ck_assert_uint_eq(t->calgos, ~0u);
}

static void ck_policy(const struct xfrm_plan *p, size_t i, const struct sadb_group *g, uint8_t dir,
		      uint8_t action, const char *src, const char *dst)
{
	struct xfrm_userpolicy_info *sp = sp_of(p, i);
	struct ip_prefix s = prefix(src), d = prefix(dst);

	ck_assert_uint_eq(sp->dir, dir);
	ck_assert_uint_eq(sp->action, action);
	ck_assert_uint_eq(sp->priority, xfrm_policy_priority(g, &s, &d));
	ck_assert_uint_ge(sp->priority, XFRM_OWN_PRIO_BASE);
	ck_assert_uint_le(sp->priority, XFRM_OWN_PRIO_MAX);
	ck_assert_uint_eq(sp->index, 0);
	ck_assert_uint_eq(sp->share, XFRM_SHARE_ANY);
	ck_assert_uint_eq(sp->flags, 0);
	ck_infinite(&sp->lft);
	ck_sel(&sp->sel, src, dst, g->proto, g->sport, g->dport);
	ck_assert_ptr_null(attr(p, i, XFRMA_MARK));
	ck_assert_ptr_null(attr(p, i, XFRMA_POLICY_TYPE));
}

static void plan_ok(const struct sadb_group *g, struct xfrm_plan *p, size_t n)
{
	struct reason why = { "unset" };

	ck_assert_msg(xfrm_plan_group(g, p, &why) == 0, "plan failed: %s", why.text);
	ck_assert_uint_eq(p->n, n);
}

/* ---- group shapes ----------------------------------------------------- */

/* spec/xfrm-notes.md §1.3: COMP tunnel + ESP + AH transport, one out policy. */
START_TEST(seed_v4)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_usersa_info *s;
	struct xfrm_user_tmpl *v;
	size_t n;

	seed4(&t, SADB_DIR_OUT);
	plan_ok(&t.g, &p, 4);

	ck_state(&p, 0, IPPROTO_COMP, 0x3d0, "192.168.2.110", "192.168.2.100", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	s = sa_of(&p, 0);
	ck_empty_sel(&s->sel);
	ck_infinite(&s->lft);
	ck_replay(&p, 0, 0, 0);
	ck_alg(&p, 0, XFRMA_ALG_COMP, "deflate", NULL, 0);
	ck_assert_ptr_null(attr(&p, 0, XFRMA_ALG_CRYPT));
	ck_assert_ptr_null(attr(&p, 0, XFRMA_ALG_AUTH_TRUNC));

	/* behind the tunnel: transport, empty selector, no AF_UNSPEC needed
	 * (inner and outer family are the same) */
	ck_state(&p, 1, IPPROTO_ESP, 0x187a101b, "192.168.2.110", "192.168.2.100",
		 XFRM_MODE_TRANSPORT, 0);
	s = sa_of(&p, 1);
	ck_empty_sel(&s->sel);
	ck_infinite(&s->lft);
	ck_replay(&p, 1, 32, 0);
	ck_alg(&p, 1, XFRMA_ALG_CRYPT, "cbc(aes)", &t.sa[2].cfg->enckey, 0);
	ck_alg(&p, 1, XFRMA_ALG_AUTH_TRUNC, "hmac(sha256)", &t.sa[2].cfg->authkey, 128);
	ck_assert_ptr_null(attr(&p, 1, XFRMA_ALG_AUTH)); /* would mean 96-bit ICV */
	ck_assert_ptr_null(attr(&p, 1, XFRMA_ALG_AEAD));
	ck_assert_ptr_null(attr(&p, 1, XFRMA_ALG_COMP));

	ck_state(&p, 2, IPPROTO_AH, 0x187a101a, "192.168.2.110", "192.168.2.100",
		 XFRM_MODE_TRANSPORT, XFRM_STATE_ALIGN4);
	ck_replay(&p, 2, 32, 0);
	ck_alg(&p, 2, XFRMA_ALG_AUTH_TRUNC, "hmac(sha1)", &t.sa[3].cfg->authkey, 96);
	ck_assert_ptr_null(attr(&p, 2, XFRMA_ALG_CRYPT));
	ck_assert_ptr_null(attr(&p, 2, XFRMA_ALG_AUTH));

	ck_policy(&p, 3, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "10.0.1.0/24", "10.0.2.0/24");
	v = tmpls(&p, 3, &n);
	ck_assert_uint_eq(n, 3);
	ck_tmpl(&v[0], IPPROTO_COMP, 0x3d0, XFRM_MODE_TUNNEL, "192.168.2.110", "192.168.2.100",
		AF_INET, false);
	ck_tmpl(&v[1], IPPROTO_ESP, 0x187a101b, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
	ck_tmpl(&v[2], IPPROTO_AH, 0x187a101a, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
	plan_done(&p);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_ptr_null(p.obj);
}
END_TEST

START_TEST(seed_v6)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *v;
	size_t n;

	seed6(&t);
	plan_ok(&t.g, &p, 4);
	ck_state(&p, 0, IPPROTO_COMP, 0x3d0, "3049:1::2", "3049:1::1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_empty_sel(&sa_of(&p, 0)->sel);
	ck_state(&p, 1, IPPROTO_ESP, 0x187a101b, "3049:1::2", "3049:1::1", XFRM_MODE_TRANSPORT, 0);
	/* IPv6 AH: no align4 (RFC 4302 asks 64-bit alignment for IPv6) */
	ck_state(&p, 2, IPPROTO_AH, 0x187a101a, "3049:1::2", "3049:1::1", XFRM_MODE_TRANSPORT, 0);
	ck_alg(&p, 1, XFRMA_ALG_CRYPT, "cbc(aes)", &t.sa[2].cfg->enckey, 0);
	ck_alg(&p, 2, XFRMA_ALG_AUTH_TRUNC, "hmac(sha1)", &t.sa[3].cfg->authkey, 96);
	ck_policy(&p, 3, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "fd00:1::/64", "fd00:2::/64");
	v = tmpls(&p, 3, &n);
	ck_assert_uint_eq(n, 3);
	ck_tmpl(&v[0], IPPROTO_COMP, 0x3d0, XFRM_MODE_TUNNEL, "3049:1::2", "3049:1::1", AF_INET6,
		false);
	ck_tmpl(&v[1], IPPROTO_ESP, 0x187a101b, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET6, false);
	ck_tmpl(&v[2], IPPROTO_AH, 0x187a101a, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET6, false);
	plan_done(&p);
}
END_TEST

/* The receiving end of the seed group: in + fwd, COMP optional, no SPI in
 * the templates, states identical to the sender's. */
START_TEST(inbound_in_fwd)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *v;
	size_t n, i;

	seed4(&t, SADB_DIR_IN);
	plan_ok(&t.g, &p, 5);
	ck_state(&p, 0, IPPROTO_COMP, 0x3d0, "192.168.2.110", "192.168.2.100", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_state(&p, 1, IPPROTO_ESP, 0x187a101b, "192.168.2.110", "192.168.2.100",
		 XFRM_MODE_TRANSPORT, 0);
	ck_state(&p, 2, IPPROTO_AH, 0x187a101a, "192.168.2.110", "192.168.2.100",
		 XFRM_MODE_TRANSPORT, XFRM_STATE_ALIGN4);
	for (i = 3; i < 5; i++) {
		/* the group carries src-ts -> dst-ts on both ends */
		ck_policy(&p, i, &t.g, i == 3 ? XFRM_POLICY_IN : XFRM_POLICY_FWD, XFRM_POLICY_ALLOW,
			  "10.0.1.0/24", "10.0.2.0/24");
		v = tmpls(&p, i, &n);
		ck_assert_uint_eq(n, 3);
		ck_tmpl(&v[0], IPPROTO_COMP, 0, XFRM_MODE_TUNNEL, "192.168.2.110", "192.168.2.100",
			AF_INET, true);
		ck_tmpl(&v[1], IPPROTO_ESP, 0, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
		ck_tmpl(&v[2], IPPROTO_AH, 0, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
	}
	plan_done(&p);
}
END_TEST

/* Inbound without COMP: nothing optional. */
START_TEST(inbound_tunnel_esp)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *v;
	size_t n;

	tg_init(&t, "in-esp", SADB_DIR_IN, "10.9.0.0/16", "10.8.0.0/16");
	tg_sa(&t, "tun.1000@192.0.2.1", "192.0.2.2", NULL, NULL);
	tg_sa(&t, "esp.1000@192.0.2.1", "192.0.2.2", "aes256", "sha512");
	plan_ok(&t.g, &p, 3);
	ck_state(&p, 0, IPPROTO_ESP, 0x1000, "192.0.2.1", "192.0.2.2", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_alg(&p, 0, XFRMA_ALG_CRYPT, "cbc(aes)", &t.sa[1].cfg->enckey, 0);
	ck_alg(&p, 0, XFRMA_ALG_AUTH_TRUNC, "hmac(sha512)", &t.sa[1].cfg->authkey, 256);
	ck_policy(&p, 1, &t.g, XFRM_POLICY_IN, XFRM_POLICY_ALLOW, "10.9.0.0/16", "10.8.0.0/16");
	ck_policy(&p, 2, &t.g, XFRM_POLICY_FWD, XFRM_POLICY_ALLOW, "10.9.0.0/16", "10.8.0.0/16");
	v = tmpls(&p, 2, &n);
	ck_assert_uint_eq(n, 1);
	ck_tmpl(&v[0], IPPROTO_ESP, 0, XFRM_MODE_TUNNEL, "192.0.2.1", "192.0.2.2", AF_INET, false);
	plan_done(&p);
}
END_TEST

/* Transport ESP host to host with proto/port: the state gets the traffic
 * selector, the template no addresses. */
START_TEST(transport_esp_only)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_usersa_info *s;
	struct xfrm_user_tmpl *v;
	size_t n;

	tg_init(&t, "tr", SADB_DIR_OUT, "192.0.2.2/32", "192.0.2.1/32");
	t.g.proto = IPPROTO_TCP;
	t.g.dport = 443;
	tg_sa(&t, "esp.2000@192.0.2.1", "192.0.2.2", "aes192", "sha384");
	plan_ok(&t.g, &p, 2);
	ck_state(&p, 0, IPPROTO_ESP, 0x2000, "192.0.2.1", "192.0.2.2", XFRM_MODE_TRANSPORT, 0);
	s = sa_of(&p, 0);
	ck_sel(&s->sel, "192.0.2.2/32", "192.0.2.1/32", IPPROTO_TCP, 0, 443);
	ck_alg(&p, 0, XFRMA_ALG_CRYPT, "cbc(aes)", &t.sa[0].cfg->enckey, 0);
	ck_alg(&p, 0, XFRMA_ALG_AUTH_TRUNC, "hmac(sha384)", &t.sa[0].cfg->authkey, 192);
	ck_policy(&p, 1, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "192.0.2.2/32", "192.0.2.1/32");
	v = tmpls(&p, 1, &n);
	ck_assert_uint_eq(n, 1);
	ck_tmpl(&v[0], IPPROTO_ESP, 0x2000, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
	plan_done(&p);
}
END_TEST

/* Two selector pairs: a transport state cannot carry both, so no selector. */
START_TEST(transport_two_pairs)
{
	struct tgroup t;
	struct xfrm_plan p;

	tg_init(&t, "tr2", SADB_DIR_OUT, "192.0.2.2/32", "192.0.2.1/32");
	t.src_ts[t.g.nsrc_ts++] = prefix("192.0.2.3/32");
	tg_sa(&t, "esp.2001@192.0.2.1", "192.0.2.2", "aes128", "sha256");
	plan_ok(&t.g, &p, 3);
	ck_empty_sel(&sa_of(&p, 0)->sel);
	ck_policy(&p, 1, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "192.0.2.2/32", "192.0.2.1/32");
	ck_policy(&p, 2, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "192.0.2.3/32", "192.0.2.1/32");
	plan_done(&p);
}
END_TEST

/* AEAD: one XFRMA_ALG_AEAD with key||salt and the ICV length. */
START_TEST(aead_gcm)
{
	static const struct {
		const char *enc, *kname;
		unsigned key_bits;
	} v[] = {
		{ "aes128gcm16", "rfc4106(gcm(aes))", 160 },
		{ "aes256gcm16", "rfc4106(gcm(aes))", 288 },
		{ "chacha20poly1305", "rfc7539esp(chacha20,poly1305)", 288 },
	};
	struct tgroup t;
	struct xfrm_plan p;

	tg_init(&t, "gcm", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	tg_sa(&t, "tun.3000@198.51.100.2", "198.51.100.1", NULL, NULL);
	tg_sa(&t, "esp.3000@198.51.100.2", "198.51.100.1", v[_i].enc, NULL);
	ck_assert_uint_eq(t.sa[1].cfg->enckey.len * 8, v[_i].key_bits);
	plan_ok(&t.g, &p, 2);
	ck_state(&p, 0, IPPROTO_ESP, 0x3000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_alg(&p, 0, XFRMA_ALG_AEAD, v[_i].kname, &t.sa[1].cfg->enckey, 128);
	ck_assert_ptr_null(attr(&p, 0, XFRMA_ALG_CRYPT));
	ck_assert_ptr_null(attr(&p, 0, XFRMA_ALG_AUTH_TRUNC));
	ck_assert_ptr_null(attr(&p, 0, XFRMA_ALG_AUTH));
	plan_done(&p);
}
END_TEST

/* ah-align = 64 on IPv4: no align4 flag; 32 (the default): align4. */
START_TEST(ah_align)
{
	static const struct {
		unsigned align;
		unsigned flags;
	} v[] = { { 64, 0 }, { 32, XFRM_STATE_ALIGN4 } };
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *tm;
	size_t n;

	tg_init(&t, "ah", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	tg_sa(&t, "tun.4000@198.51.100.2", "198.51.100.1", NULL, NULL);
	tg_sa(&t, "ah.4000@198.51.100.2", "198.51.100.1", NULL, "sha256");
	t.cs[1].ah_align = v[_i].align;
	plan_ok(&t.g, &p, 2);
	ck_state(&p, 0, IPPROTO_AH, 0x4000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC | v[_i].flags);
	ck_alg(&p, 0, XFRMA_ALG_AUTH_TRUNC, "hmac(sha256)", &t.sa[1].cfg->authkey, 128);
	tm = tmpls(&p, 1, &n);
	ck_assert_uint_eq(n, 1);
	ck_tmpl(&tm[0], IPPROTO_AH, 0x4000, XFRM_MODE_TUNNEL, "198.51.100.2", "198.51.100.1",
		AF_INET, false);
	plan_done(&p);
}
END_TEST

/* Replay window and ESN: legacy field up to 32 without ESN, else the
 * bitmap attribute with the legacy field 0; ESN needs a window > 0. */
START_TEST(replay_esn)
{
	static const struct {
		unsigned window;
		bool esn;
		unsigned legacy, bitmap, flags;
	} v[] = {
		{ 32, false, 32, 0, 0 },
		{ 0, false, 0, 0, 0 },
		{ 16, false, 16, 0, 0 },
		{ 33, false, 0, 33, 0 },
		{ 128, true, 0, 128, XFRM_STATE_ESN },
		{ 32, true, 0, 32, XFRM_STATE_ESN },
		{ 0, true, 0, 1, XFRM_STATE_ESN },
		{ 4096, false, 0, 4096, 0 },
	};
	struct tgroup t;
	struct xfrm_plan p;
	struct sadb_sa *sa;

	tg_init(&t, "esn", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	tg_sa(&t, "tun.5000@198.51.100.2", "198.51.100.1", NULL, NULL);
	sa = tg_sa(&t, "esp.5000@198.51.100.2", "198.51.100.1", "aes128", "sha256");
	ck_assert_ptr_eq(sa->cfg, &t.cs[1]);
	t.cs[1].replay_window = v[_i].window;
	t.cs[1].esn = v[_i].esn;
	plan_ok(&t.g, &p, 2);
	ck_state(&p, 0, IPPROTO_ESP, 0x5000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC | v[_i].flags);
	ck_replay(&p, 0, v[_i].legacy, v[_i].bitmap);
	plan_done(&p);
}
END_TEST

/* ESN is for ESP/AH only: a COMP state of an ESN group has no replay. */
START_TEST(esn_not_on_comp)
{
	struct tgroup t;
	struct xfrm_plan p;

	seed4(&t, SADB_DIR_OUT);
	t.cs[1].esn = true; /* even if a COMP SA says so */
	t.cs[2].esn = true;
	t.cs[2].replay_window = 128;
	plan_ok(&t.g, &p, 4);
	ck_state(&p, 0, IPPROTO_COMP, 0x3d0, "192.168.2.110", "192.168.2.100", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_replay(&p, 0, 0, 0);
	ck_state(&p, 1, IPPROTO_ESP, 0x187a101b, "192.168.2.110", "192.168.2.100",
		 XFRM_MODE_TRANSPORT, XFRM_STATE_ESN);
	ck_replay(&p, 1, 0, 128);
	plan_done(&p);
}
END_TEST

/* Shunts: no state; in, fwd, out per selector pair, no templates. */
START_TEST(shunts)
{
	static const struct {
		const char *said;
		uint8_t action;
	} v[] = {
		{ "%drop", XFRM_POLICY_BLOCK },
		{ "%reject", XFRM_POLICY_BLOCK },
		{ "%pass", XFRM_POLICY_ALLOW },
	};
	static const uint8_t dirs[] = { XFRM_POLICY_IN, XFRM_POLICY_IN, XFRM_POLICY_FWD,
					XFRM_POLICY_FWD, XFRM_POLICY_OUT, XFRM_POLICY_OUT };
	static const char *const srcs[] = { "10.5.0.0/16", "10.6.0.0/16" };
	struct tgroup t;
	struct xfrm_plan p;
	size_t i, n;

	tg_init(&t, "shunt", SADB_DIR_NONE, srcs[0], "10.7.0.0/16");
	t.src_ts[t.g.nsrc_ts++] = prefix(srcs[1]);
	t.g.shunt = true;
	t.g.reqid = 0;
	ck_assert_int_eq(said_parse(v[_i].said, &t.g.shunt_said, NULL, 0), 0);
	plan_ok(&t.g, &p, 6);
	for (i = 0; i < 6; i++) {
		ck_policy(&p, i, &t.g, dirs[i], v[_i].action, srcs[i % 2], "10.7.0.0/16");
		ck_assert_ptr_null(tmpls(&p, i, &n));
		ck_assert_uint_eq(n, 0);
	}
	plan_done(&p);
}
END_TEST

START_TEST(configured_priority)
{
	struct tgroup t;
	struct xfrm_plan p;

	seed4(&t, SADB_DIR_OUT);
	t.g.priority = XFRM_OWN_PRIO_BASE + 42;
	plan_ok(&t.g, &p, 4);
	ck_assert_uint_eq(sp_of(&p, 3)->priority, XFRM_OWN_PRIO_BASE + 42);
	plan_done(&p);
}
END_TEST

/* Lifetimes: what the config limits, the rest XFRM_INF / 0. */
START_TEST(lifetimes)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_lifetime_cfg *l;
	struct sadb_sa *sa;

	tg_init(&t, "life", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	tg_sa(&t, "tun.6000@198.51.100.2", "198.51.100.1", NULL, NULL);
	sa = tg_sa(&t, "esp.6000@198.51.100.2", "198.51.100.1", "aes128", "sha256");
	ck_assert_ptr_eq(sa->cfg, &t.cs[1]);
	t.cs[1].life.soft_bytes = 1000000;
	t.cs[1].life.hard_bytes = 2000000;
	t.cs[1].life.hard_packets = 5000;
	t.cs[1].life.soft_seconds = 3000;
	t.cs[1].life.hard_seconds = 3600;
	plan_ok(&t.g, &p, 2);
	l = &sa_of(&p, 0)->lft;
	ck_assert(l->soft_byte_limit == 1000000);
	ck_assert(l->hard_byte_limit == 2000000);
	ck_assert(l->soft_packet_limit == XFRM_INF);
	ck_assert(l->hard_packet_limit == 5000);
	ck_assert(l->soft_add_expires_seconds == 3000);
	ck_assert(l->hard_add_expires_seconds == 3600);
	ck_assert(l->soft_use_expires_seconds == 0);
	ck_assert(l->hard_use_expires_seconds == 0);
	/* policies never expire */
	ck_infinite(&sp_of(&p, 1)->lft);
	plan_done(&p);
}
END_TEST

/* IPv6 traffic through an IPv4 tunnel: the template family changes at the
 * tunnel; a transport state behind it sees IPv6 inner flows, so it gets
 * AF_UNSPEC too. */
START_TEST(v6_over_v4)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *v;
	size_t n;

	tg_init(&t, "6in4", SADB_DIR_OUT, "fd00:1::/64", "fd00:2::/64");
	tg_sa(&t, "tun.7000@198.51.100.2", "198.51.100.1", NULL, NULL);
	tg_sa(&t, "comp.7000@198.51.100.2", "198.51.100.1", NULL, NULL);
	tg_sa(&t, "esp.7000@198.51.100.2", "198.51.100.1", "aes128", "sha256");
	plan_ok(&t.g, &p, 3);
	ck_state(&p, 0, IPPROTO_COMP, 0x7000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_state(&p, 1, IPPROTO_ESP, 0x7000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TRANSPORT,
		 XFRM_STATE_AF_UNSPEC);
	ck_empty_sel(&sa_of(&p, 1)->sel);
	ck_policy(&p, 2, &t.g, XFRM_POLICY_OUT, XFRM_POLICY_ALLOW, "fd00:1::/64", "fd00:2::/64");
	v = tmpls(&p, 2, &n);
	ck_assert_uint_eq(n, 2);
	ck_tmpl(&v[0], IPPROTO_COMP, 0x7000, XFRM_MODE_TUNNEL, "198.51.100.2", "198.51.100.1",
		AF_INET, false);
	ck_tmpl(&v[1], IPPROTO_ESP, 0x7000, XFRM_MODE_TRANSPORT, NULL, NULL, AF_INET, false);
	plan_done(&p);
}
END_TEST

/* Nested tunnels: two tunnel-mode templates. */
START_TEST(nested_tunnels)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct xfrm_user_tmpl *v;
	size_t n;

	tg_init(&t, "nest", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	tg_sa(&t, "tun.100@198.51.100.9", "198.51.100.8", NULL, NULL);
	tg_sa(&t, "esp.100@198.51.100.9", "198.51.100.8", "aes128", "sha1");
	tg_sa(&t, "tun.200@203.0.113.2", "203.0.113.1", NULL, NULL);
	tg_sa(&t, "esp.200@203.0.113.2", "203.0.113.1", "aes128", "sha1");
	plan_ok(&t.g, &p, 3);
	ck_state(&p, 0, IPPROTO_ESP, 0x100, "198.51.100.9", "198.51.100.8", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	ck_state(&p, 1, IPPROTO_ESP, 0x200, "203.0.113.2", "203.0.113.1", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	v = tmpls(&p, 2, &n);
	ck_assert_uint_eq(n, 2);
	ck_tmpl(&v[0], IPPROTO_ESP, 0x100, XFRM_MODE_TUNNEL, "198.51.100.9", "198.51.100.8",
		AF_INET, false);
	ck_tmpl(&v[1], IPPROTO_ESP, 0x200, XFRM_MODE_TUNNEL, "203.0.113.2", "203.0.113.1",
		AF_INET, false);
	plan_done(&p);
}
END_TEST

/* An SA in no group: its state only, no policy. */
START_TEST(implicit_group)
{
	struct tgroup t;
	struct xfrm_plan p;

	tg_init(&t, "esp.8000@198.51.100.2", SADB_DIR_OUT, NULL, NULL);
	t.g.implicit = true;
	tg_sa(&t, "esp.8000@198.51.100.2", "198.51.100.1", "aes128", "sha256");
	plan_ok(&t.g, &p, 1);
	ck_state(&p, 0, IPPROTO_ESP, 0x8000, "198.51.100.2", "198.51.100.1", XFRM_MODE_TRANSPORT, 0);
	ck_empty_sel(&sa_of(&p, 0)->sel);
	plan_done(&p);
}
END_TEST

/* A KLIPS runtime group no eroute routes into yet (spigrp before eroute):
 * no selectors, so its states only (tunnel mode from the tun SA), no
 * policy; a shunt without selectors is still refused. */
START_TEST(group_without_selectors)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct reason why = { "" };

	tg_init(&t, "tun.1001@192.168.2.110", SADB_DIR_OUT, NULL, NULL);
	tg_sa(&t, "tun.1001@192.168.2.110", "192.168.2.100", NULL, NULL);
	tg_sa(&t, "esp.1001@192.168.2.110", "192.168.2.100", "3des", "sha1");
	plan_ok(&t.g, &p, 1);
	ck_state(&p, 0, IPPROTO_ESP, 0x1001, "192.168.2.110", "192.168.2.100", XFRM_MODE_TUNNEL,
		 XFRM_STATE_AF_UNSPEC);
	plan_done(&p);

	tg_init(&t, "pass", SADB_DIR_NONE, NULL, NULL);
	t.g.shunt = true;
	ck_assert_int_eq(said_parse("%pass", &t.g.shunt_said, NULL, 0), 0);
	ck_assert_int_eq(xfrm_plan_group(&t.g, &p, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "no traffic selectors"));
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

/* What XFRM cannot express: refused with a reason, nothing left over. */
START_TEST(refused_shapes)
{
	static const struct {
		const char *said[3];
		uint32_t reqid;
		const char *err;
	} v[] = {
		{ { "tun.1@198.51.100.2", NULL }, REQID, "only tun SAs" },
		{ { "esp.100@198.51.100.2", "tun.100@198.51.100.2", NULL }, REQID, "a tun SA ends" },
		{ { "tun.1@198.51.100.2", "tun.2@198.51.100.2", "esp.100@198.51.100.2" }, REQID,
		  "two tun SAs" },
		{ { "esp.100@198.51.100.2", NULL }, 0, "no reqid" },
		{ { "comp.10000@198.51.100.2", NULL }, REQID, "16 bits" },
		{ { "int.100@198.51.100.2", NULL }, REQID, "protocol 61" },
	};
	struct tgroup t;
	struct xfrm_plan p = { (void *)1, 99 };
	struct reason why = { "" };
	unsigned i;

	tg_init(&t, "bad", SADB_DIR_OUT, "10.1.0.0/16", "10.2.0.0/16");
	for (i = 0; i < 3 && v[_i].said[i]; i++)
		tg_sa(&t, v[_i].said[i], "198.51.100.1", NULL, NULL);
	t.g.reqid = v[_i].reqid;
	ck_assert_int_eq(xfrm_plan_group(&t.g, &p, &why), -EINVAL);
	ck_assert_msg(strstr(why.text, v[_i].err) != NULL, "\"%s\" lacks \"%s\"", why.text,
		      v[_i].err);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_ptr_null(p.obj);
}
END_TEST

/* A shunt XFRM has no form for (%hold, %trap ...) is refused. */
START_TEST(refused_shunt)
{
	struct tgroup t;
	struct xfrm_plan p;
	struct reason why = { "" };

	tg_init(&t, "hold", SADB_DIR_NONE, "10.1.0.0/16", "10.2.0.0/16");
	t.g.shunt = true;
	ck_assert_int_eq(said_parse("%hold", &t.g.shunt_said, NULL, 0), 0);
	ck_assert_int_eq(xfrm_plan_group(&t.g, &p, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "%hold"));
	ck_assert_uint_eq(p.n, 0);
}
END_TEST

/* The policy priority: configured, or more specific selectors lower
 * (tried first), always inside our band. */
START_TEST(policy_priority)
{
	static const struct {
		const char *src, *dst;
		uint8_t proto;
		uint16_t sport, dport;
		uint32_t want;
	} v[] = {
		{ "0.0.0.0/0", "0.0.0.0/0", 0, 0, 0, XFRM_OWN_PRIO_BASE + 65792 },
		{ "10.0.1.0/24", "10.0.2.0/24", 0, 0, 0, XFRM_OWN_PRIO_BASE + 65792 - 48 * 256 },
		{ "10.0.1.0/24", "10.0.2.0/24", 17, 0, 0, XFRM_OWN_PRIO_BASE + 65792 - 48 * 256 - 128 },
		{ "10.0.1.0/24", "10.0.2.0/24", 6, 0, 443, XFRM_OWN_PRIO_BASE + 65792 - 48 * 256 - 192 },
		{ "10.0.1.0/24", "10.0.2.0/24", 0, 53, 0, XFRM_OWN_PRIO_BASE + 65792 - 48 * 256 - 64 },
		{ "fd00::1/128", "fd00::2/128", 6, 1, 2, XFRM_OWN_PRIO_BASE + 64 },
		{ "fd00:1::/64", "fd00:2::/64", 0, 0, 0, XFRM_OWN_PRIO_BASE + 65792 - 128 * 256 },
	};
	struct tgroup t;
	struct ip_prefix a, b;
	size_t i;

	tg_init(&t, "prio", SADB_DIR_OUT, NULL, NULL);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		a = prefix(v[i].src);
		b = prefix(v[i].dst);
		t.g.proto = v[i].proto;
		t.g.sport = v[i].sport;
		t.g.dport = v[i].dport;
		ck_assert_uint_eq(xfrm_policy_priority(&t.g, &a, &b), v[i].want);
		ck_assert(xfrm_own_priority(v[i].want));
	}
	t.g.proto = 0;
	t.g.sport = t.g.dport = 0;
	ck_assert_uint_eq(xfrm_policy_priority(&t.g, NULL, NULL), XFRM_OWN_PRIO_BASE + 65792);
	a.len = 200; /* not a prefix length: still inside the band */
	ck_assert(xfrm_own_priority(xfrm_policy_priority(&t.g, &a, &a)));
	t.g.priority = 1234567;
	ck_assert_uint_eq(xfrm_policy_priority(&t.g, &a, &b), 1234567);
	ck_assert(!xfrm_own_priority(XFRM_OWN_PRIO_BASE - 1));
	ck_assert(!xfrm_own_priority(XFRM_OWN_PRIO_MAX + 1));
	ck_assert(xfrm_own_reqid(XFRM_OWN_REQID_BASE + XFRM_OWN_REQID_COUNT - 1));
	ck_assert(!xfrm_own_reqid(XFRM_OWN_REQID_BASE + XFRM_OWN_REQID_COUNT));
	ck_assert(!xfrm_own_reqid(XFRM_OWN_REQID_BASE - 1));
}
END_TEST

/* ---- the whole chain: contrib/seed.conf -> cfg -> sadb -> requests ---- */

START_TEST(seed_conf)
{
	struct cfg *c;
	struct sadb *db;
	size_t i;
	static const struct {
		const char *name;
		enum sadb_dir dir;
		size_t nmsg;
		uint8_t first_dir;
	} want[] = {
		{ "seed4", SADB_DIR_OUT, 4, XFRM_POLICY_OUT },
		{ "seed6", SADB_DIR_OUT, 4, XFRM_POLICY_OUT },
		{ "seed4-reverse", SADB_DIR_IN, 5, XFRM_POLICY_IN },
		{ "seed6-reverse", SADB_DIR_IN, 5, XFRM_POLICY_IN },
	};

	db = fx_seed_model(NULL, &c);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct sadb_group *g = sadb_find_group(db, want[i].name);
		struct xfrm_plan p;
		struct xfrm_user_tmpl *v;
		size_t n, k;
		uint8_t daf = g && g->sa[0]->cfg->said.dst.family == AF_INET6 ? AF_INET6 : AF_INET;

		ck_assert_ptr_nonnull(g);
		ck_assert_int_eq(g->dir, want[i].dir);
		ck_assert(xfrm_own_reqid(g->reqid));
		ck_assert_int_eq(xfrm_plan_group(g, &p, NULL), 0);
		ck_assert_uint_eq(p.n, want[i].nmsg);
		/* comp tunnel (AF_UNSPEC), esp and ah transport, in group order */
		ck_assert_uint_eq(sa_of(&p, 0)->id.proto, IPPROTO_COMP);
		ck_assert_uint_eq(sa_of(&p, 0)->mode, XFRM_MODE_TUNNEL);
		ck_assert_uint_eq(sa_of(&p, 0)->flags, XFRM_STATE_AF_UNSPEC);
		ck_assert_uint_eq(sa_of(&p, 1)->id.proto, IPPROTO_ESP);
		ck_assert_uint_eq(sa_of(&p, 1)->mode, XFRM_MODE_TRANSPORT);
		ck_assert_uint_eq(sa_of(&p, 2)->id.proto, IPPROTO_AH);
		ck_assert_uint_eq(sa_of(&p, 2)->flags & XFRM_STATE_ALIGN4,
				  daf == AF_INET ? XFRM_STATE_ALIGN4 : 0);
		for (k = 0; k < 3; k++)
			ck_assert_uint_eq(sa_of(&p, k)->reqid, g->reqid);
		ck_alg(&p, 1, XFRMA_ALG_CRYPT, "cbc(aes)", &g->sa[2]->cfg->enckey, 0);
		ck_alg(&p, 1, XFRMA_ALG_AUTH_TRUNC, "hmac(sha256)", &g->sa[2]->cfg->authkey, 128);
		ck_alg(&p, 2, XFRMA_ALG_AUTH_TRUNC, "hmac(sha1)", &g->sa[3]->cfg->authkey, 96);
		ck_assert_uint_eq(sp_of(&p, 3)->dir, want[i].first_dir);
		v = tmpls(&p, 3, &n);
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(v[0].id.proto, IPPROTO_COMP);
		ck_assert_uint_eq(v[0].optional, want[i].dir == SADB_DIR_IN);
		ck_assert_uint_eq(v[1].id.proto, IPPROTO_ESP);
		ck_assert_uint_eq(v[2].id.proto, IPPROTO_AH);
		for (k = 0; k < 3; k++)
			ck_assert_uint_eq(v[k].reqid, g->reqid);
		if (want[i].nmsg == 5)
			ck_assert_uint_eq(sp_of(&p, 4)->dir, XFRM_POLICY_FWD);
		plan_done(&p);
	}
	sadb_free(db);
	cfg_free(c);
}
END_TEST

static Suite *xfrm_suite(void)
{
	Suite *s = suite_create("xfrm");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, seed_v4);
	tcase_add_test(tc, seed_v6);
	tcase_add_test(tc, inbound_in_fwd);
	tcase_add_test(tc, inbound_tunnel_esp);
	tcase_add_test(tc, transport_esp_only);
	tcase_add_test(tc, transport_two_pairs);
	tcase_add_loop_test(tc, aead_gcm, 0, 3);
	tcase_add_loop_test(tc, ah_align, 0, 2);
	tcase_add_loop_test(tc, replay_esn, 0, 8);
	tcase_add_test(tc, esn_not_on_comp);
	tcase_add_loop_test(tc, shunts, 0, 3);
	tcase_add_test(tc, configured_priority);
	tcase_add_test(tc, lifetimes);
	tcase_add_test(tc, v6_over_v4);
	tcase_add_test(tc, nested_tunnels);
	tcase_add_test(tc, implicit_group);
	tcase_add_test(tc, group_without_selectors);
	tcase_add_loop_test(tc, refused_shapes, 0, 6);
	tcase_add_test(tc, refused_shunt);
	tcase_add_test(tc, seed_conf);
	tcase_add_test(tc, policy_priority);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xfrm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
