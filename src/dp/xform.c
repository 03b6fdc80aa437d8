/* xform.c: a group's transforms on one packet each way (xform.h). */
#include "xform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/rand.h>

#include "ah.h"
#include "esp.h"
#include "ipcomp.h"
#include "ipip.h"
#include "ipx.h"

struct xf_scratch {
	struct ipcomp_z *z;  /* deflate/inflate streams and their buffer */
	uint16_t ip_id;      /* next IPv4 identification of a tun header
				(a counter from a random start: ipip.h) */
};

int xf_scratch_new(struct xf_scratch **out)
{
	struct xf_scratch *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if (ipcomp_z_new(&s->z) < 0) {
		free(s);
		return -ENOMEM;
	}
	if (RAND_bytes((unsigned char *)&s->ip_id, sizeof(s->ip_id)) != 1)
		s->ip_id = (uint16_t)(uintptr_t)s;
	*out = s;
	return 0;
}

void xf_scratch_free(struct xf_scratch *s)
{
	if (!s)
		return;
	ipcomp_z_free(s->z);
	free(s);
}

void xf_scratch_test_ip_id(struct xf_scratch *s, uint16_t id)
{
	s->ip_id = id;
}

static void esp_ctx_free(void *c)
{
	esp_sa_free(c);
}

static void ah_ctx_free(void *c)
{
	ah_sa_free(c);
}

int xf_sa_setup(struct sa_live *l, const struct dpsnap_sa *sa, struct reason *why)
{
	struct esp_sa *e;
	struct ah_sa *a;
	int r;

	if (l->ctx)
		return 0;
	switch (sa->said.proto) {
	case SAID_PROTO_ESP:
		r = esp_sa_new(&e, sa, sa->dir == SADB_DIR_OUT, why);
		if (r < 0)
			return r;
		l->ctx = e;
		l->ctx_free = esp_ctx_free;
		return 0;
	case SAID_PROTO_AH:
		r = ah_sa_new(&a, sa, why);
		if (r < 0)
			return r;
		l->ctx = a;
		l->ctx_free = ah_ctx_free;
		return 0;
	default:
		return 0; /* tun and comp: the worker's scratch does it */
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void drop(struct sa_live *l, int r)
{
	if (l && r < 0 && -r < DP_DROP_NR)
		atomic_fetch_add_explicit(&l->drop[-r], 1, memory_order_relaxed);
}

static void passed(struct sa_live *l, size_t bytes)
{
	atomic_fetch_add_explicit(&l->packets, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->bytes, bytes, memory_order_relaxed);
}

int xf_peek(const struct pkt *p, struct xf_key *key)
{
	const uint8_t *d = pkt_data(p);
	size_t alen;
	struct ipx x;

	if (ipx_parse(d, p->len, IPX_IN, &x) < 0 || x.frag || x.rh_left)
		return -DP_DROP_MALFORMED;
	memset(key, 0, sizeof(*key));
	key->family = x.family;
	key->proto = x.nh;
	key->src.family = key->dst.family = x.family;
	alen = x.family == AF_INET ? 4 : 16;
	memcpy(key->src.b, ipx_src(d, x.family), alen);
	memcpy(key->dst.b, ipx_dst(d, x.family), alen);
	switch (x.nh) {
	case IPX_ESP:
		if (x.len < x.hlen + ESP_HDR_LEN)
			return -DP_DROP_MALFORMED;
		key->spi = be32(d + x.hlen);
		return 0;
	case IPX_AH:
		if (x.len < x.hlen + AH_FIXED_LEN)
			return -DP_DROP_MALFORMED;
		key->spi = be32(d + x.hlen + 4);
		return 0;
	case IPX_COMP:
		if (x.len < x.hlen + IPCOMP_HDR_LEN)
			return -DP_DROP_MALFORMED;
		key->spi = (uint32_t)(d[x.hlen + 2] << 8 | d[x.hlen + 3]);
		return 0;
	case IPX_IPIP:
	case IPX_IPV6:
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

/* The next outbound sequence number of @l, or -1 when none is reserved
 * (or the 32-bit space is used up without ESN).  Only the outbound worker
 * writes seq_next. */
static int next_seq(struct sa_live *l, const struct dpsnap_sa *sa, uint64_t *seq)
{
	uint64_t s = atomic_load_explicit(&l->seq_next, memory_order_relaxed);

	if (s >= atomic_load_explicit(&l->seq_limit, memory_order_acquire) ||
	    (!sa->esn && s > UINT32_MAX) || s == 0)
		return -1;
	atomic_store_explicit(&l->seq_next, s + 1, memory_order_relaxed);
	*seq = s;
	return 0;
}

/* Apply @sa (live @l) to the datagram in @p.  0, or -enum dp_drop. */
static int encap_one(const struct dpsnap_sa *sa, struct sa_live *l, struct pkt *p,
		     struct xf_scratch *s)
{
	uint64_t seq = 0;
	struct ipx x;
	int r;

	if (sa->said.proto == SAID_PROTO_TUN) {
		/* never 0: a raw socket with IP_HDRINCL replaces an ID of 0
		 * with its own, after AH's ICV covered the 0 */
		if (!s->ip_id)
			s->ip_id = 1;
		return ipip_encap(p, &sa->src, &sa->said.dst, s->ip_id++);
	}
	if (ipx_parse(pkt_data(p), p->len, IPX_OUT, &x) < 0 || x.len != p->len)
		return -DP_DROP_MALFORMED;
	switch (sa->said.proto) {
	case SAID_PROTO_COMP:
		ipcomp_encap(s->z, p, x.hlen, x.nh_off, (uint16_t)sa->said.spi);
		r = 0; /* too short or no gain: sent as it is, as the kernel */
		break;
	case SAID_PROTO_ESP:
		if (!l->ctx)
			return -DP_DROP_MALFORMED;
		if (next_seq(l, sa, &seq) < 0)
			return -DP_DROP_SEQ;
		if (p->len + esp_overhead(sa, p->len - x.hlen) > PKT_MAX_IP)
			return -DP_DROP_MTU;
		r = esp_encap(l->ctx, p, x.hlen, x.nh_off, seq);
		break;
	case SAID_PROTO_AH:
		if (!l->ctx)
			return -DP_DROP_MALFORMED;
		if (next_seq(l, sa, &seq) < 0)
			return -DP_DROP_SEQ;
		r = ah_encap(l->ctx, p, x.hlen, x.nh_off, seq);
		break;
	default:
		return -DP_DROP_POLICY;
	}
	if (r == 0)
		ipx_fix_len(pkt_data(p), x.family, p->len);
	return r;
}

int xf_encap(const struct xf_group *g, struct pkt *p, struct xf_scratch *s)
{
	const struct dpsnap_group *gr = g->g;
	unsigned k;
	int r;

	if (gr->nsa == 0)
		return -DP_DROP_POLICY;
	if (g->mtu && p->len > g->mtu) {
		drop(g->live[0], -DP_DROP_MTU);
		return -DP_DROP_MTU;
	}
	for (k = 0; k < gr->nsa; k++) {
		size_t in = p->len;

		r = encap_one(&gr->sa[k], g->live[k], p, s);
		if (r < 0) {
			drop(g->live[k], r);
			return r;
		}
		passed(g->live[k], in);
	}
	ipx_fix_csum(pkt_data(p));
	return 0;
}

/* The protocol that carries SA @sa on the wire. */
static bool carries(const struct dpsnap_sa *sa, uint8_t nh)
{
	if (sa->said.proto == SAID_PROTO_TUN)
		return nh == IPX_IPIP || nh == IPX_IPV6;
	return nh == sa->said.proto;
}

/* ESP or AH of @sa at @x.hlen: anti-replay, ICV, window, strip. */
static int decap_auth(const struct dpsnap_sa *sa, struct sa_live *l, struct pkt *p,
		      const struct ipx *x)
{
	bool esp = sa->said.proto == SAID_PROTO_ESP;
	const uint8_t *h = pkt_data(p) + x->hlen;
	uint64_t seq;
	int r;

	if (p->len < x->hlen + (esp ? ESP_HDR_LEN : AH_FIXED_LEN))
		return -DP_DROP_MALFORMED;
	if (be32(esp ? h : h + 4) != sa->said.spi)
		return -DP_DROP_POLICY; /* another SA in this SA's place */
	if (!l->ctx)
		return -DP_DROP_MALFORMED;
	if (!replay_check(&l->replay, be32(esp ? h + 4 : h + 8), &seq))
		return -DP_DROP_REPLAY;
	if (esp)
		r = esp_decap(l->ctx, p, x->hlen, x->nh_off, seq);
	else
		r = ah_decap(l->ctx, p, x->hlen, x->nh_off, seq);
	if (r < 0)
		return r;
	/* verified (or, encryption-only ESP, decrypted with good padding:
	 * the kernel's xfrm_input() advances the window then too) */
	replay_update(&l->replay, seq);
	return r;
}

/* Remove SA @sa (live @l) from the front of @p.  0; 1 for ESP's dummy
 * packets (next header 59); 2 when @sa is an IPComp SA the packet skipped
 * (sent uncompressed); -enum dp_drop. */
static int decap_one(const struct dpsnap_sa *sa, struct sa_live *l, struct pkt *p,
		     struct xf_scratch *s)
{
	uint8_t *d = pkt_data(p);
	struct ipx x;
	int r;

	if (ipx_parse(d, p->len, IPX_IN, &x) < 0 || x.frag || x.rh_left)
		return -DP_DROP_MALFORMED;
	pkt_trim(p, x.len);
	if (!carries(sa, x.nh))
		return sa->said.proto == SAID_PROTO_COMP ? 2 : -DP_DROP_POLICY;
	switch (sa->said.proto) {
	case SAID_PROTO_TUN:
		return ipip_decap(p, x.hlen, x.nh, ipx_dsfield(d, x.family));
	case SAID_PROTO_COMP:
		if (p->len < x.hlen + IPCOMP_HDR_LEN)
			return -DP_DROP_MALFORMED;
		if ((uint32_t)(d[x.hlen + 2] << 8 | d[x.hlen + 3]) != sa->said.spi)
			return -DP_DROP_POLICY;
		r = ipcomp_decap(s->z, p, x.hlen, x.nh_off);
		break;
	default:
		r = decap_auth(sa, l, p, &x);
		break;
	}
	if (r >= 0)
		ipx_fix_len(pkt_data(p), x.family, p->len);
	return r;
}

static bool prefix_has(const struct ip_prefix *pf, const uint8_t *a, uint8_t family)
{
	unsigned bits = pf->len, i;

	if (pf->addr.family != family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (pf->addr.b[i] != a[i])
			return false;
	return bits == 0 || ((pf->addr.b[i] ^ a[i]) & (0xff00 >> bits)) == 0;
}

static bool in_ts(const struct ip_prefix *ts, unsigned n, const uint8_t *a, uint8_t family)
{
	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (prefix_has(&ts[i], a, family))
			return true;
	return false;
}

/* RFC 4301 section 5.2: the inner packet @d (@len bytes) against @g's
 * selectors, as XFRM matches them (ICMP type and code as ports). */
static int selector_check(const struct dpsnap_group *g, const uint8_t *d, size_t len)
{
	uint16_t sp, dp;
	struct ipx x;

	if (ipx_parse(d, len, IPX_L4, &x) < 0)
		return -DP_DROP_MALFORMED;
	if (!in_ts(g->src_ts, g->nsrc_ts, ipx_src(d, x.family), x.family) ||
	    !in_ts(g->dst_ts, g->ndst_ts, ipx_dst(d, x.family), x.family) ||
	    (g->proto && x.nh != g->proto))
		return -DP_DROP_SELECTOR;
	if (!g->sport && !g->dport)
		return 0;
	if (!x.first || !ipx_ports(d + x.hlen, x.len - x.hlen, x.nh, &sp, &dp) ||
	    (g->sport && sp != g->sport) || (g->dport && dp != g->dport))
		return -DP_DROP_SELECTOR;
	return 0;
}

int xf_decap(const struct xf_group *g, unsigned k, struct pkt *p, struct xf_scratch *s)
{
	const struct dpsnap_group *gr = g->g;
	size_t in[CFG_MAX_GROUP_SAS + 1];
	bool used[CFG_MAX_GROUP_SAS + 1] = { false };
	unsigned j;
	int r = 0;

	if (k >= gr->nsa)
		return -DP_DROP_POLICY;
	/* entering at SA k: every SA outside it must be optional (IPComp) */
	for (j = k + 1; j < gr->nsa; j++) {
		if (gr->sa[j].said.proto != SAID_PROTO_COMP) {
			drop(g->live[k], -DP_DROP_POLICY);
			return -DP_DROP_POLICY;
		}
	}
	for (j = k + 1; j-- > 0;) {
		in[j] = p->len;
		r = decap_one(&gr->sa[j], g->live[j], p, s);
		if (r < 0) {
			drop(g->live[j], r);
			return r;
		}
		used[j] = r != 2;
		if (r == 1)
			break; /* a dummy packet: nothing inside */
	}
	if (r != 1) {
		r = selector_check(gr, pkt_data(p), p->len);
		if (r < 0) {
			drop(g->live[k], r);
			return r;
		}
	}
	for (j = 0; j <= k; j++)
		if (used[j])
			passed(g->live[j], in[j]);
	if (r == 1)
		return 1;
	ipx_fix_csum(pkt_data(p)); /* transport mode changed the header */
	return 0;
}

/* The largest payload (bytes after an @h-byte header) that ESP SA @sa
 * turns into a datagram of at most @budget bytes. */
static size_t esp_fit(const struct dpsnap_sa *sa, size_t h, size_t budget)
{
	size_t n;

	if (budget <= h)
		return 0;
	n = budget - h;
	while (n > 0 && n + esp_overhead(sa, n) > budget - h)
		n--;
	return n;
}

uint32_t xf_inner_mtu(const struct dpsnap_group *g, uint32_t path_mtu)
{
	size_t budget = path_mtu;
	unsigned j;

	for (j = g->nsa; j-- > 0;) {
		const struct dpsnap_sa *sa = &g->sa[j];
		size_t h = ipip_overhead(sa->said.dst.family), o;

		switch (sa->said.proto) {
		case SAID_PROTO_TUN:
			budget = budget > h ? budget - h : 0;
			break;
		case SAID_PROTO_ESP:
			budget = h + esp_fit(sa, h, budget);
			break;
		case SAID_PROTO_AH:
			o = ah_overhead(sa);
			budget = budget > o ? budget - o : 0;
			break;
		default:
			break; /* IPComp never makes a packet bigger */
		}
	}
	return (uint32_t)budget;
}

/* Is the IPv4 packet @d (@x) one that may get an ICMP error (RFC 1122
 * section 3.2.2, RFC 1812 section 4.3.2.7): not an ICMP error itself, not
 * a later fragment, from a unicast source? */
static bool may_icmp4(const uint8_t *d, const struct ipx *x)
{
	if (!x->first || d[12] == 0 || d[12] >= 224)
		return false;
	if (x->nh == IPX_ICMP) {
		uint8_t t = x->len > x->hlen ? d[x->hlen] : 3;

		return t == 0 || t == 8 || t == 13 || t == 14 || t > 18;
	}
	return true;
}

static bool may_icmp6(const uint8_t *d, const struct ipx *x)
{
	static const uint8_t any[16];

	if (!x->first || d[8] == 0xff || !memcmp(d + 8, any, 16))
		return false;
	if (x->nh == IPX_ICMPV6)
		return x->len > x->hlen && d[x->hlen] >= 128; /* informational */
	return true;
}

int xf_icmp_too_big(const struct pkt *in, uint32_t mtu, struct pkt *out)
{
	const uint8_t *d = pkt_data(in);
	size_t hl, quote, max;
	struct ipx x;
	uint8_t *o, *m;
	uint32_t sum;

	if (ipx_parse(d, in->len, IPX_L4, &x) < 0)
		return -1;
	if (x.family == AF_INET ? !(d[6] & 0x40) || !may_icmp4(d, &x) : !may_icmp6(d, &x))
		return -1;
	hl = x.family == AF_INET ? IPV4_HDR_LEN : IPV6_HDR_LEN;
	/* as much as fits the minimum MTU: 576 (RFC 1812), 1280 (RFC 4443) */
	max = x.family == AF_INET ? 576 : 1280;
	quote = x.len < max - hl - 8 ? x.len : max - hl - 8;
	pkt_reset(out);
	if (!(o = pkt_put(out, hl + 8 + quote)))
		return -1;
	memset(o, 0, hl + 8);
	m = o + hl;
	memcpy(m + 8, d, quote);
	if (x.family == AF_INET) {
		mtu = mtu < 68 ? 68 : mtu > 0xffff ? 0xffff : mtu;
		o[0] = 0x45;
		o[8] = 64;
		o[9] = IPX_ICMP;
		memcpy(o + 12, d + 16, 4);
		memcpy(o + 16, d + 12, 4);
		m[0] = 3; /* destination unreachable: fragmentation needed */
		m[1] = 4;
		m[6] = (uint8_t)(mtu >> 8);
		m[7] = (uint8_t)mtu;
		sum = ipx_sum(m, 8 + quote, 0);
	} else {
		mtu = mtu < 1280 ? 1280 : mtu;
		o[0] = 0x60;
		o[6] = IPX_ICMPV6;
		o[7] = 64;
		memcpy(o + 8, d + 24, 16);
		memcpy(o + 24, d + 8, 16);
		m[0] = 2; /* packet too big */
		m[4] = (uint8_t)(mtu >> 24);
		m[5] = (uint8_t)(mtu >> 16);
		m[6] = (uint8_t)(mtu >> 8);
		m[7] = (uint8_t)mtu;
		/* pseudo-header: addresses, length, next header */
		sum = ipx_sum(o + 8, 32, 0) + (uint32_t)(8 + quote) + IPX_ICMPV6;
		sum = ipx_sum(m, 8 + quote, sum);
	}
	sum = ipx_fold(sum);
	m[2] = (uint8_t)(sum >> 8);
	m[3] = (uint8_t)sum;
	ipx_fix_len(o, x.family, out->len);
	ipx_fix_csum(o);
	return 0;
}
