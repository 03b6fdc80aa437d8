/* xfrm_msg.c: XFRM messages <-> plain structs (xfrm_msg.h).
 *
 * Parsing copies every field out with memcpy (a message in a receive
 * buffer is 4-byte aligned only, and the kernel's headers hold 64-bit
 * counters) and checks each length against the bytes given before reading.
 * Building runs twice over the same code: once to count the bytes, once to
 * write them into one zeroed allocation, so a buffer that holds keys is
 * never reallocated (which would leave an unwiped copy behind).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "hash.h"
#include "xfrm_msg.h"

size_t xm_addr_len(unsigned family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

const char *xm_dir_name(unsigned dir)
{
	switch (dir) {
	case XFRM_POLICY_IN:
		return "in";
	case XFRM_POLICY_OUT:
		return "out";
	case XFRM_POLICY_FWD:
		return "fwd";
	default:
		return "?";
	}
}

/* ------------------------------------------------------------------ */
/* parsing */

#define XM_NATTR (XFRMA_MAX + 1)

/* The first attribute of each known type in a range of a message. */
struct attrs {
	const uint8_t *p[XM_NATTR]; /* payload, or NULL */
	size_t len[XM_NATTR];       /* payload bytes */
};

static int attrs_parse(const uint8_t *b, size_t off, size_t end, struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	while (off + NLA_HDRLEN <= end) {
		struct nlattr na;
		unsigned type;

		memcpy(&na, b + off, sizeof(na));
		if (na.nla_len < NLA_HDRLEN || na.nla_len > end - off)
			return -EINVAL;
		type = na.nla_type & NLA_TYPE_MASK;
		if (type < XM_NATTR && !a->p[type]) {
			a->p[type] = b + off + NLA_HDRLEN;
			a->len[type] = na.nla_len - NLA_HDRLEN;
		}
		off += NLA_ALIGN(na.nla_len);
	}
	return 0;
}

/* Copy attribute @type (at least @min bytes) into @out; false when absent.
 * *@err is set to -EINVAL when present but too short. */
static bool attr_get(const struct attrs *a, int type, void *out, size_t min, int *err)
{
	if (!a->p[type])
		return false;
	if (a->len[type] < min) {
		*err = -EINVAL;
		return false;
	}
	memcpy(out, a->p[type], min);
	return true;
}

/* An algorithm attribute: xfrm_algo (@hdr 68), xfrm_algo_auth or
 * xfrm_algo_aead (72: a 32-bit length after key_len), then the key. */
static int alg_parse(const struct attrs *a, int type, size_t hdr, struct xm_alg *out)
{
	const uint8_t *p = a->p[type];
	uint64_t klen;

	if (!p)
		return 0;
	if (a->len[type] < hdr)
		return -EINVAL;
	memcpy(out->name, p, XM_ALG_NAME);
	if (!memchr(out->name, 0, XM_ALG_NAME))
		return -EINVAL;
	memcpy(&out->key_bits, p + XM_ALG_NAME, sizeof(uint32_t));
	if (hdr > sizeof(struct xfrm_algo))
		memcpy(&out->icv_bits, p + XM_ALG_NAME + sizeof(uint32_t), sizeof(uint32_t));
	klen = ((uint64_t)out->key_bits + 7) / 8;
	if (klen > a->len[type] - hdr)
		return -EINVAL;
	out->key = klen ? p + hdr : NULL;
	out->present = true;
	return 0;
}

static void state_from_info(const struct xfrm_usersa_info *i, struct xm_state *s)
{
	s->family = i->family;
	s->daddr = i->id.daddr;
	s->saddr = i->saddr;
	s->spi = i->id.spi;
	s->proto = i->id.proto;
	s->mode = i->mode;
	s->flags = i->flags;
	s->replay_window = i->replay_window;
	s->reqid = i->reqid;
	s->seq = i->seq;
	s->sel = i->sel;
	s->lft = i->lft;
	s->curlft = i->curlft;
	s->stats = i->stats;
}

static int state_attrs(const struct attrs *a, struct xm_state *s)
{
	int err = 0;

	if (alg_parse(a, XFRMA_ALG_CRYPT, sizeof(struct xfrm_algo), &s->crypt) ||
	    alg_parse(a, XFRMA_ALG_AEAD, sizeof(struct xfrm_algo_aead), &s->aead) ||
	    alg_parse(a, XFRMA_ALG_COMP, sizeof(struct xfrm_algo), &s->comp))
		return -EINVAL;
	if (a->p[XFRMA_ALG_AUTH_TRUNC]) {
		if (alg_parse(a, XFRMA_ALG_AUTH_TRUNC, sizeof(struct xfrm_algo_auth), &s->auth))
			return -EINVAL;
		s->auth_trunc = true;
	} else if (alg_parse(a, XFRMA_ALG_AUTH, sizeof(struct xfrm_algo), &s->auth)) {
		return -EINVAL;
	}
	if (a->p[XFRMA_REPLAY_ESN_VAL]) {
		struct xm_replay_esn *r = &s->replay_esn;

		if (!attr_get(a, XFRMA_REPLAY_ESN_VAL, r, sizeof(*r), &err) ||
		    (uint64_t)r->bmp_len * sizeof(uint32_t) > a->len[XFRMA_REPLAY_ESN_VAL] - sizeof(*r))
			return -EINVAL;
		s->has_replay_esn = true;
	}
	s->has_replay = attr_get(a, XFRMA_REPLAY_VAL, &s->replay, sizeof(s->replay), &err);
	s->has_mark = attr_get(a, XFRMA_MARK, &s->mark, sizeof(s->mark), &err);
	s->has_encap = attr_get(a, XFRMA_ENCAP, &s->encap, sizeof(s->encap), &err);
	s->has_coaddr = attr_get(a, XFRMA_COADDR, &s->coaddr, sizeof(s->coaddr), &err);
	s->has_sec_ctx = a->p[XFRMA_SEC_CTX] != NULL;
	if (s->has_sec_ctx && a->len[XFRMA_SEC_CTX] < sizeof(struct xfrm_user_sec_ctx))
		return -EINVAL;
	attr_get(a, XFRMA_IF_ID, &s->if_id, sizeof(s->if_id), &err);
	attr_get(a, XFRMA_SA_EXTRA_FLAGS, &s->extra_flags, sizeof(s->extra_flags), &err);
	attr_get(a, XFRMA_TFCPAD, &s->tfcpad, sizeof(s->tfcpad), &err);
	attr_get(a, XFRMA_LASTUSED, &s->lastused, sizeof(s->lastused), &err);
	return err;
}

static void tmpl_from_user(const struct xfrm_user_tmpl *u, struct xm_tmpl *t)
{
	t->family = u->family;
	t->daddr = u->id.daddr;
	t->saddr = u->saddr;
	t->spi = u->id.spi;
	t->proto = u->id.proto;
	t->mode = u->mode;
	t->share = u->share;
	t->optional = u->optional;
	t->reqid = u->reqid;
	t->aalgos = u->aalgos;
	t->ealgos = u->ealgos;
	t->calgos = u->calgos;
}

static void policy_from_info(const struct xfrm_userpolicy_info *i, struct xm_policy *p)
{
	p->sel = i->sel;
	p->lft = i->lft;
	p->curlft = i->curlft;
	p->priority = i->priority;
	p->index = i->index;
	p->dir = i->dir;
	p->action = i->action;
	p->flags = i->flags;
	p->share = i->share;
}

static int policy_attrs(const struct attrs *a, struct xm_policy *p)
{
	struct xfrm_userpolicy_type ty;
	size_t i, n;
	int err = 0;

	p->ptype = XFRM_POLICY_TYPE_MAIN;
	if (a->p[XFRMA_TMPL]) {
		n = a->len[XFRMA_TMPL] / sizeof(struct xfrm_user_tmpl);
		if (a->len[XFRMA_TMPL] % sizeof(struct xfrm_user_tmpl) || n > XM_MAX_TMPL)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			struct xfrm_user_tmpl u;

			memcpy(&u, a->p[XFRMA_TMPL] + i * sizeof(u), sizeof(u));
			tmpl_from_user(&u, &p->tmpl[i]);
		}
		p->ntmpl = (unsigned)n;
	}
	if (attr_get(a, XFRMA_POLICY_TYPE, &ty, sizeof(ty), &err)) {
		p->has_ptype = true;
		p->ptype = ty.type;
	}
	p->has_mark = attr_get(a, XFRMA_MARK, &p->mark, sizeof(p->mark), &err);
	attr_get(a, XFRMA_IF_ID, &p->if_id, sizeof(p->if_id), &err);
	p->has_sec_ctx = a->p[XFRMA_SEC_CTX] != NULL;
	if (p->has_sec_ctx && a->len[XFRMA_SEC_CTX] < sizeof(struct xfrm_user_sec_ctx))
		return -EINVAL;
	return err;
}

/* A message body: @blen bytes at @b holding a header of @hdr bytes, then
 * attributes. */
struct body {
	const uint8_t *b;
	size_t blen;
};

static int body_attrs(const struct body *y, size_t hdr, struct attrs *a)
{
	if (y->blen < hdr)
		return -EINVAL;
	return attrs_parse(y->b, NLMSG_ALIGN(hdr), y->blen, a);
}

/* A state message: a fixed header of @hdr bytes starting with the state's
 * xfrm_usersa_info, or (@info_attr) an id, with the info in that
 * attribute when it came along; then attributes. */
static int parse_state(const struct body *y, size_t hdr, int info_attr, struct xm_msg *m)
{
	const uint8_t *ip = info_attr ? NULL : y->b;
	struct xfrm_usersa_info i;
	struct attrs a;

	if (body_attrs(y, hdr, &a))
		return -EINVAL;
	if (info_attr && a.p[info_attr]) {
		if (a.len[info_attr] < sizeof(i))
			return -EINVAL;
		ip = a.p[info_attr];
		m->full = true;
	}
	if (ip) {
		memcpy(&i, ip, sizeof(i));
		state_from_info(&i, &m->sa);
	}
	return state_attrs(&a, &m->sa);
}

/* The same for a policy (xfrm_userpolicy_info). */
static int parse_policy(const struct body *y, size_t hdr, int info_attr, struct xm_msg *m)
{
	const uint8_t *ip = info_attr ? NULL : y->b;
	struct xfrm_userpolicy_info i;
	struct attrs a;

	if (body_attrs(y, hdr, &a))
		return -EINVAL;
	if (info_attr && a.p[info_attr]) {
		if (a.len[info_attr] < sizeof(i))
			return -EINVAL;
		ip = a.p[info_attr];
		m->full = true;
	}
	if (ip) {
		memcpy(&i, ip, sizeof(i));
		policy_from_info(&i, &m->sp);
	}
	return policy_attrs(&a, &m->sp);
}

/* DELSA / GETSA: an id, and (a DELSA event) the whole state in XFRMA_SA. */
static int parse_sa_id(const struct body *y, struct xm_msg *m)
{
	struct xfrm_usersa_id id;
	int r;

	if ((m->nlflags & NLM_F_DUMP) == NLM_F_DUMP && y->blen == 0)
		return 0;
	r = parse_state(y, sizeof(id), XFRMA_SA, m);
	if (r)
		return r;
	memcpy(&id, y->b, sizeof(id));
	m->sa.daddr = id.daddr;
	m->sa.spi = id.spi;
	m->sa.family = id.family;
	m->sa.proto = id.proto;
	return 0;
}

/* DELPOLICY / GETPOLICY: an id, and (a DELPOLICY event) the whole policy
 * in XFRMA_POLICY; the id's direction counts (a delete by index has an
 * empty selector in the id). */
static int parse_policy_id(const struct body *y, struct xm_msg *m)
{
	struct xfrm_userpolicy_id id;
	int r;

	if ((m->nlflags & NLM_F_DUMP) == NLM_F_DUMP && y->blen == 0)
		return 0;
	r = parse_policy(y, sizeof(id), XFRMA_POLICY, m);
	if (r)
		return r;
	memcpy(&id, y->b, sizeof(id));
	if (!m->full) {
		m->sp.sel = id.sel;
		m->sp.index = id.index;
	}
	m->sp.dir = id.dir;
	return 0;
}

/* EXPIRE / POLEXPIRE: the object, then the hard byte. */
static int parse_expire(const struct body *y, struct xm_msg *m)
{
	size_t hard = m->type == XFRM_MSG_EXPIRE ? offsetof(struct xfrm_user_expire, hard)
						 : offsetof(struct xfrm_user_polexpire, hard);
	int r = m->type == XFRM_MSG_EXPIRE ?
			parse_state(y, sizeof(struct xfrm_user_expire), 0, m) :
			parse_policy(y, sizeof(struct xfrm_user_polexpire), 0, m);

	if (!r)
		m->hard = y->b[hard] != 0;
	return r;
}

static int parse_flush(const struct body *y, struct xm_msg *m)
{
	struct xfrm_usersa_flush f;
	struct attrs a;

	if (m->type == XFRM_MSG_FLUSHSA) {
		if (y->blen < sizeof(f))
			return -EINVAL;
		memcpy(&f, y->b, sizeof(f));
		m->flush_proto = f.proto;
		return 0;
	}
	if (attrs_parse(y->b, 0, y->blen, &a))
		return -EINVAL;
	return policy_attrs(&a, &m->sp);
}

/* ACQUIRE: xfrm_user_acquire, then the policy's templates, type, mark,
 * if_id. */
static int parse_acquire(const struct body *y, struct xm_msg *m)
{
	struct xfrm_user_acquire ua;
	struct xm_acquire *q = &m->acq;
	struct attrs a;

	if (body_attrs(y, sizeof(ua), &a))
		return -EINVAL;
	memcpy(&ua, y->b, sizeof(ua));
	q->daddr = ua.id.daddr;
	q->spi = ua.id.spi;
	q->proto = ua.id.proto;
	q->saddr = ua.saddr;
	q->sel = ua.sel;
	q->seq = ua.seq;
	policy_from_info(&ua.policy, &q->sp);
	return policy_attrs(&a, &q->sp);
}

/* NEWAE: xfrm_aevent_id (the state's key, saddr, the event's flags,
 * reqid), then the replay state, the current lifetime and the mark. */
static int parse_aevent(const struct body *y, struct xm_msg *m)
{
	struct xfrm_aevent_id id;
	struct attrs a;
	int err = 0, r;

	if (body_attrs(y, sizeof(id), &a))
		return -EINVAL;
	memcpy(&id, y->b, sizeof(id));
	m->sa.daddr = id.sa_id.daddr;
	m->sa.spi = id.sa_id.spi;
	m->sa.family = id.sa_id.family;
	m->sa.proto = id.sa_id.proto;
	m->sa.saddr = id.saddr;
	m->sa.reqid = id.reqid;
	m->ae_flags = id.flags;
	r = state_attrs(&a, &m->sa);
	if (r)
		return r;
	m->ae_ltime = attr_get(&a, XFRMA_LTIME_VAL, &m->sa.curlft, sizeof(m->sa.curlft), &err);
	return err;
}

int xm_parse(const void *buf, size_t len, struct xm_msg *m)
{
	struct nlmsghdr h;
	struct body y;

	memset(m, 0, sizeof(*m));
	if (!buf || len < sizeof(h))
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
		return -EINVAL;
	m->type = h.nlmsg_type;
	m->nlflags = h.nlmsg_flags;
	m->seq = h.nlmsg_seq;
	m->pid = h.nlmsg_pid;
	y.b = (const uint8_t *)buf + NLMSG_HDRLEN;
	y.blen = h.nlmsg_len - NLMSG_HDRLEN;
	switch (h.nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		return parse_state(&y, sizeof(struct xfrm_usersa_info), 0, m);
	case XFRM_MSG_DELSA:
	case XFRM_MSG_GETSA:
		return parse_sa_id(&y, m);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		return parse_policy(&y, sizeof(struct xfrm_userpolicy_info), 0, m);
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_GETPOLICY:
		return parse_policy_id(&y, m);
	case XFRM_MSG_EXPIRE:
	case XFRM_MSG_POLEXPIRE:
		return parse_expire(&y, m);
	case XFRM_MSG_FLUSHSA:
	case XFRM_MSG_FLUSHPOLICY:
		return parse_flush(&y, m);
	case XFRM_MSG_ACQUIRE:
		return parse_acquire(&y, m);
	case XFRM_MSG_NEWAE:
		return parse_aevent(&y, m);
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------------------------------ */
/* building */

/* A message being written; b NULL: only count (len). */
struct mb {
	uint8_t *b;
	size_t len;
	int err;
};

static void mb_put(struct mb *m, const void *p, size_t n)
{
	if (m->b && n)
		memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void mb_align(struct mb *m)
{
	size_t a = NLMSG_ALIGN(m->len);

	if (m->b)
		memset(m->b + m->len, 0, a - m->len);
	m->len = a;
}

/* An attribute of @hlen bytes at @h followed by @tlen bytes at @t. */
static void mb_attr2(struct mb *m, uint16_t type, const void *h, size_t hlen, const void *t,
		     size_t tlen)
{
	struct nlattr na = { .nla_len = (uint16_t)(NLA_HDRLEN + hlen + tlen), .nla_type = type };

	if (NLA_HDRLEN + hlen + tlen > UINT16_MAX) {
		m->err = -EINVAL;
		return;
	}
	mb_put(m, &na, sizeof(na));
	mb_put(m, h, hlen);
	mb_put(m, t, tlen);
	mb_align(m);
}

static void mb_attr(struct mb *m, uint16_t type, const void *p, size_t n)
{
	mb_attr2(m, type, p, n, NULL, 0);
}

/* The bitmap words of an ESN replay state: zeroes. */
static void mb_zero_attr(struct mb *m, uint16_t type, const void *h, size_t hlen, size_t zeroes)
{
	struct nlattr na = { .nla_len = (uint16_t)(NLA_HDRLEN + hlen + zeroes), .nla_type = type };

	if (NLA_HDRLEN + hlen + zeroes > UINT16_MAX) {
		m->err = -EINVAL;
		return;
	}
	mb_put(m, &na, sizeof(na));
	mb_put(m, h, hlen);
	if (m->b)
		memset(m->b + m->len, 0, zeroes);
	m->len += zeroes;
	mb_align(m);
}

static void mb_alg(struct mb *m, uint16_t type, const struct xm_alg *a)
{
	struct xfrm_algo_auth h; /* the longest header: name, key_len, trunc/icv */
	size_t hlen = type == XFRMA_ALG_AUTH_TRUNC || type == XFRMA_ALG_AEAD ?
			      sizeof(struct xfrm_algo_auth) : sizeof(struct xfrm_algo);
	size_t klen = ((size_t)a->key_bits + 7) / 8;

	if (!a->present)
		return;
	if (strnlen(a->name, XM_ALG_NAME) >= XM_ALG_NAME || (klen && !a->key)) {
		m->err = -EINVAL;
		return;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.alg_name, a->name, strlen(a->name));
	h.alg_key_len = a->key_bits;
	h.alg_trunc_len = a->icv_bits; /* alg_icv_len of xfrm_algo_aead: same place */
	mb_attr2(m, type, &h, hlen, a->key, klen);
}

static void info_of_state(const struct xm_state *s, struct xfrm_usersa_info *i)
{
	memset(i, 0, sizeof(*i));
	i->sel = s->sel;
	i->id.daddr = s->daddr;
	i->id.spi = s->spi;
	i->id.proto = s->proto;
	i->saddr = s->saddr;
	i->lft = s->lft;
	i->curlft = s->curlft;
	i->stats = s->stats;
	i->seq = s->seq;
	i->reqid = s->reqid;
	i->family = s->family;
	i->mode = s->mode;
	i->replay_window = s->replay_window;
	i->flags = s->flags;
}

static void mb_state_attrs(struct mb *m, const struct xm_state *s)
{
	if (s->has_replay_esn)
		mb_zero_attr(m, XFRMA_REPLAY_ESN_VAL, &s->replay_esn, sizeof(s->replay_esn),
			     (size_t)s->replay_esn.bmp_len * sizeof(uint32_t));
	if (s->has_replay)
		mb_attr(m, XFRMA_REPLAY_VAL, &s->replay, sizeof(s->replay));
	mb_alg(m, XFRMA_ALG_CRYPT, &s->crypt);
	mb_alg(m, XFRMA_ALG_AEAD, &s->aead);
	mb_alg(m, XFRMA_ALG_COMP, &s->comp);
	mb_alg(m, s->auth_trunc ? XFRMA_ALG_AUTH_TRUNC : XFRMA_ALG_AUTH, &s->auth);
	if (s->has_mark)
		mb_attr(m, XFRMA_MARK, &s->mark, sizeof(s->mark));
	if (s->if_id)
		mb_attr(m, XFRMA_IF_ID, &s->if_id, sizeof(s->if_id));
	if (s->has_encap)
		mb_attr(m, XFRMA_ENCAP, &s->encap, sizeof(s->encap));
	if (s->has_coaddr)
		mb_attr(m, XFRMA_COADDR, &s->coaddr, sizeof(s->coaddr));
	if (s->extra_flags)
		mb_attr(m, XFRMA_SA_EXTRA_FLAGS, &s->extra_flags, sizeof(s->extra_flags));
	if (s->tfcpad)
		mb_attr(m, XFRMA_TFCPAD, &s->tfcpad, sizeof(s->tfcpad));
	if (s->lastused)
		mb_attr(m, XFRMA_LASTUSED, &s->lastused, sizeof(s->lastused));
	if (s->has_sec_ctx) {
		struct xfrm_user_sec_ctx c = { .len = sizeof(c) };

		mb_attr(m, XFRMA_SEC_CTX, &c, sizeof(c));
	}
}

static void info_of_policy(const struct xm_policy *p, struct xfrm_userpolicy_info *i)
{
	memset(i, 0, sizeof(*i));
	i->sel = p->sel;
	i->lft = p->lft;
	i->curlft = p->curlft;
	i->priority = p->priority;
	i->index = p->index;
	i->dir = p->dir;
	i->action = p->action;
	i->flags = p->flags;
	i->share = p->share;
}

static void mb_policy_attrs(struct mb *m, const struct xm_policy *p, bool with_tmpl)
{
	struct xfrm_user_tmpl u[XM_MAX_TMPL];
	unsigned i;

	if (p->ntmpl > XM_MAX_TMPL) {
		m->err = -EINVAL;
		return;
	}
	if (with_tmpl && p->ntmpl) {
		memset(u, 0, sizeof(u));
		for (i = 0; i < p->ntmpl; i++) {
			const struct xm_tmpl *t = &p->tmpl[i];

			u[i].id.daddr = t->daddr;
			u[i].id.spi = t->spi;
			u[i].id.proto = t->proto;
			u[i].family = t->family;
			u[i].saddr = t->saddr;
			u[i].reqid = t->reqid;
			u[i].mode = t->mode;
			u[i].share = t->share;
			u[i].optional = t->optional;
			u[i].aalgos = t->aalgos;
			u[i].ealgos = t->ealgos;
			u[i].calgos = t->calgos;
		}
		mb_attr(m, XFRMA_TMPL, u, p->ntmpl * sizeof(u[0]));
	}
	if (p->has_ptype) {
		struct xfrm_userpolicy_type ty;

		memset(&ty, 0, sizeof(ty));
		ty.type = p->ptype;
		mb_attr(m, XFRMA_POLICY_TYPE, &ty, sizeof(ty));
	}
	if (p->has_mark)
		mb_attr(m, XFRMA_MARK, &p->mark, sizeof(p->mark));
	if (p->if_id)
		mb_attr(m, XFRMA_IF_ID, &p->if_id, sizeof(p->if_id));
	if (p->has_sec_ctx) {
		struct xfrm_user_sec_ctx c = { .len = sizeof(c) };

		mb_attr(m, XFRMA_SEC_CTX, &c, sizeof(c));
	}
}

static void mb_sa_body(struct mb *b, const struct xm_msg *m)
{
	struct xfrm_usersa_info i;

	info_of_state(&m->sa, &i);
	switch (m->type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		mb_put(b, &i, sizeof(i));
		mb_align(b);
		mb_state_attrs(b, &m->sa);
		break;
	case XFRM_MSG_EXPIRE: {
		struct xfrm_user_expire e;

		memset(&e, 0, sizeof(e));
		e.state = i;
		e.hard = m->hard;
		mb_put(b, &e, sizeof(e));
		mb_align(b);
		mb_state_attrs(b, &m->sa);
		break;
	}
	default: { /* DELSA, GETSA */
		struct xfrm_usersa_id id;

		memset(&id, 0, sizeof(id));
		id.daddr = m->sa.daddr;
		id.spi = m->sa.spi;
		id.family = m->sa.family;
		id.proto = m->sa.proto;
		mb_put(b, &id, sizeof(id));
		mb_align(b);
		if (m->full) {
			mb_attr(b, XFRMA_SA, &i, sizeof(i));
			mb_state_attrs(b, &m->sa);
		} else if (m->sa.has_mark) {
			mb_attr(b, XFRMA_MARK, &m->sa.mark, sizeof(m->sa.mark));
		}
		break;
	}
	}
}

static void mb_policy_body(struct mb *b, const struct xm_msg *m)
{
	struct xfrm_userpolicy_info i;

	info_of_policy(&m->sp, &i);
	switch (m->type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		mb_put(b, &i, sizeof(i));
		mb_align(b);
		mb_policy_attrs(b, &m->sp, true);
		break;
	case XFRM_MSG_POLEXPIRE: {
		struct xfrm_user_polexpire e;

		memset(&e, 0, sizeof(e));
		e.pol = i;
		e.hard = m->hard;
		mb_put(b, &e, sizeof(e));
		mb_align(b);
		mb_policy_attrs(b, &m->sp, true);
		break;
	}
	default: { /* DELPOLICY, GETPOLICY */
		struct xfrm_userpolicy_id id;

		memset(&id, 0, sizeof(id));
		id.sel = m->sp.sel;
		id.index = m->sp.index;
		id.dir = m->sp.dir;
		mb_put(b, &id, sizeof(id));
		mb_align(b);
		if (m->full)
			mb_attr(b, XFRMA_POLICY, &i, sizeof(i));
		mb_policy_attrs(b, &m->sp, m->full);
		break;
	}
	}
}

/* Write (or count) the whole of @m. */
static void mb_msg(struct mb *b, const struct xm_msg *m)
{
	struct nlmsghdr h = { .nlmsg_type = m->type, .nlmsg_flags = m->nlflags,
			      .nlmsg_seq = m->seq, .nlmsg_pid = m->pid };
	bool dump = (m->nlflags & NLM_F_DUMP) == NLM_F_DUMP &&
		    (m->type == XFRM_MSG_GETSA || m->type == XFRM_MSG_GETPOLICY);

	mb_put(b, &h, sizeof(h));
	if (dump)
		return;
	switch (m->type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_GETSA:
	case XFRM_MSG_EXPIRE:
		mb_sa_body(b, m);
		break;
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_GETPOLICY:
	case XFRM_MSG_POLEXPIRE:
		mb_policy_body(b, m);
		break;
	case XFRM_MSG_FLUSHSA: {
		struct xfrm_usersa_flush f = { .proto = m->flush_proto };

		mb_put(b, &f, sizeof(f));
		mb_align(b);
		break;
	}
	case XFRM_MSG_FLUSHPOLICY:
		if (m->sp.has_ptype)
			mb_policy_attrs(b, &(struct xm_policy){ .has_ptype = true,
								.ptype = m->sp.ptype }, false);
		break;
	default:
		b->err = -EINVAL;
		break;
	}
}

int xm_build(const struct xm_msg *m, struct nlmsghdr **out)
{
	struct mb count = { 0 }, w = { 0 };

	*out = NULL;
	mb_msg(&count, m);
	if (count.err)
		return count.err;
	if (count.len > UINT32_MAX)
		return -EINVAL;
	w.b = calloc(1, count.len);
	if (!w.b)
		return -ENOMEM;
	mb_msg(&w, m);
	((struct nlmsghdr *)(void *)w.b)->nlmsg_len = (uint32_t)w.len;
	*out = (struct nlmsghdr *)(void *)w.b;
	return 0;
}

void xm_free(struct nlmsghdr *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h, h->nlmsg_len);
	free(h);
}

/* ------------------------------------------------------------------ */
/* keys */

static bool addr_equal(const xfrm_address_t *a, const xfrm_address_t *b, unsigned family)
{
	return !memcmp(a, b, xm_addr_len(family));
}

bool xm_sel_equal(const struct xfrm_selector *a, const struct xfrm_selector *b)
{
	return a->family == b->family && a->prefixlen_d == b->prefixlen_d &&
	       a->prefixlen_s == b->prefixlen_s && a->proto == b->proto && a->dport == b->dport &&
	       a->dport_mask == b->dport_mask && a->sport == b->sport &&
	       a->sport_mask == b->sport_mask && a->ifindex == b->ifindex && a->user == b->user &&
	       addr_equal(&a->daddr, &b->daddr, a->family) &&
	       addr_equal(&a->saddr, &b->saddr, a->family);
}

/* Every byte of @out defined: the fields one by one (a struct copy may
 * carry the source's padding bytes). */
static void sel_key(struct xfrm_selector *out, const struct xfrm_selector *in)
{
	size_t al = xm_addr_len(in->family);

	memset(out, 0, sizeof(*out));
	memcpy(&out->daddr, &in->daddr, al);
	memcpy(&out->saddr, &in->saddr, al);
	out->dport = in->dport;
	out->dport_mask = in->dport_mask;
	out->sport = in->sport;
	out->sport_mask = in->sport_mask;
	out->family = in->family;
	out->prefixlen_d = in->prefixlen_d;
	out->prefixlen_s = in->prefixlen_s;
	out->proto = in->proto;
	out->ifindex = in->ifindex;
	out->user = in->user;
}

void xm_state_key(const struct xm_state *s, struct xm_key *k)
{
	memset(k, 0, sizeof(*k));
	k->proto = s->proto;
	k->family = s->family;
	k->spi = s->spi;
	memcpy(&k->daddr, &s->daddr, xm_addr_len(s->family));
	if (s->has_mark) {
		k->mark.v = s->mark.v;
		k->mark.m = s->mark.m;
	}
}

void xm_policy_key(const struct xm_policy *p, struct xm_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy = 1;
	k->dir = p->dir;
	k->ptype = p->ptype;
	k->if_id = p->if_id;
	sel_key(&k->sel, &p->sel);
	if (p->has_mark) {
		k->mark.v = p->mark.v;
		k->mark.m = p->mark.m;
	}
}

bool xm_key_equal(const struct xm_key *a, const struct xm_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

uint64_t xm_key_hash(const struct xm_key *k)
{
	return hash_bytes(HASH_INIT, k, sizeof(*k));
}

uint64_t xm_state_oseq(const struct xm_state *s)
{
	if (s->has_replay_esn)
		return (s->flags & XFRM_STATE_ESN ? (uint64_t)s->replay_esn.oseq_hi << 32 : 0) |
		       s->replay_esn.oseq;
	return s->has_replay ? s->replay.oseq : 0;
}

uint64_t xm_state_iseq(const struct xm_state *s)
{
	if (s->has_replay_esn)
		return (s->flags & XFRM_STATE_ESN ? (uint64_t)s->replay_esn.seq_hi << 32 : 0) |
		       s->replay_esn.seq;
	return s->has_replay ? s->replay.seq : 0;
}

int xm_state_set_oseq(struct xm_state *s, uint64_t last)
{
	if (s->flags & XFRM_STATE_ESN) {
		if (!s->has_replay_esn)
			return -EINVAL;
		if (last == UINT64_MAX)
			return -ERANGE;
		s->replay_esn.oseq = (uint32_t)last;
		s->replay_esn.oseq_hi = (uint32_t)(last >> 32);
		return 0;
	}
	if (last >= UINT32_MAX)
		return -ERANGE;
	if (s->has_replay_esn) {
		s->replay_esn.oseq = (uint32_t)last;
		s->replay_esn.oseq_hi = 0;
	} else {
		s->has_replay = true;
		memset(&s->replay, 0, sizeof(s->replay));
		s->replay.oseq = (uint32_t)last;
	}
	return 0;
}
