/* check_xform.c: a group's transforms each way (xform.h) against the Linux
 * kernel: contrib/seed.conf's `tun comp esp ah` groups, IPv4 and IPv6,
 * placed in the UML kernel and captured on both ends (tests/data/dp/
 * seed-*.pcap).  Our decap turns every kernel packet into the inner packet
 * the receiving kernel delivered; our encap of that inner packet, with the
 * kernel's sequence numbers and CBC IV, gives the kernel's bytes.  Then
 * the inbound policy, the selectors, malformed packets of every kind with
 * their counters, anti-replay after the ICV, TFC padding, dummy packets,
 * the inner MTU and the ICMP "too big" errors; the groups of
 * tests/data/dp/xform.conf give the other shapes. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "ah.h"
#include "cfg.h"
#include "dp_test.h"
#include "esp.h"
#include "ipcomp.h"
#include "ipip.h"
#include "ipx.h"
#include "sadb.h"
#include "snap.h"
#include "xform.h"

static const char *const left[] = { "192.168.2.100", "3049:1::1", NULL };
static const char *const right[] = { "192.168.2.110", "3049:1::2", NULL };
static const char *const host1[] = { "192.0.2.1", "2001:db8::1", NULL };
static const char *const host2[] = { "192.0.2.2", "2001:db8::2", NULL };

static struct xf_scratch *scr;

#define XCONF "tests/data/dp/xform.conf"

static void setup(void)
{
	ck_assert_int_eq(xf_scratch_new(&scr), 0);
}

static void teardown(void)
{
	xf_scratch_free(scr);
	scr = NULL;
}

/* The group @name of @conf (NULL: the seed) as host @locals runs it: its
 * snapshot, live objects with contexts, sequence numbers reserved. */
static struct xf_group *group(const char *conf, const char *const *locals, const char *name)
{
	struct xf_group *g = calloc(1, sizeof(*g));
	struct cfg *c;
	struct sadb *db = seed_sadb(conf, locals, &c);
	struct sadb_group *sg = sadb_find_group(db, name);
	struct reason why;

	ck_assert_ptr_nonnull(g);
	ck_assert_msg(sg != NULL, "no group %s", name);
	g->snap = dpsnap_build(sg, NULL);
	ck_assert_ptr_nonnull(g->snap);
	g->g = dpsnap_group(g->snap);
	for (unsigned k = 0; k < g->g->nsa; k++) {
		const struct dpsnap_sa *sa = &g->g->sa[k];

		g->live[k] = sa_live_new(sa->replay_window, sa->esn);
		ck_assert_ptr_nonnull(g->live[k]);
		ck_assert_msg(xf_sa_setup(g->live[k], sa, &why) == 0, "%s", why.text);
		atomic_store(&g->live[k]->seq_limit, (uint64_t)1 << 40);
	}
	sadb_free(db);
	cfg_free(c);
	return g;
}

static void group_free(struct xf_group *g)
{
	for (unsigned k = 0; k < g->g->nsa; k++)
		sa_live_put(g->live[k]);
	snap_put(g->snap);
	free(g);
}

/* The index of @g's SA with protocol @proto. */
static unsigned sa_index(const struct xf_group *g, uint8_t proto)
{
	for (unsigned k = 0; k < g->g->nsa; k++)
		if (g->g->sa[k].said.proto == proto)
			return k;
	ck_abort_msg("no SA of protocol %u", proto);
	return 0;
}

static uint64_t dropped(const struct xf_group *g, uint8_t proto, enum dp_drop r)
{
	return atomic_load(&g->live[sa_index(g, proto)]->drop[r]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decap @d (@len bytes) with @g, entering at its outermost SA (checked
 * against xf_peek()); the result, the inner packet in @out (caller frees). */
static int decap(const struct xf_group *g, const uint8_t *d, size_t len, struct pkt *out)
{
	struct xf_key key;
	struct pkt p;
	unsigned k = g->g->nsa - 1;
	int r;

	pkt_buf(&p, d, len);
	if (xf_peek(&p, &key) == 0 && key.proto == g->g->sa[k].said.proto)
		ck_assert_uint_eq(key.spi, g->g->sa[k].said.spi);
	r = xf_decap(g, k, &p, scr);
	if (out)
		*out = p;
	else
		pkt_buf_free(&p);
	return r;
}

/* One direction of a seed group: every packet from @src to @dst in @cap
 * decaps (group @in, the receiver's) to the decapsulated copy the kernel
 * showed next, and encaps (group @out, the sender's) to the kernel's
 * bytes.  The number of packets. */
static size_t seed_dir(const char *cap, const char *src, const char *dst, const char *name,
		       size_t *ncomp)
{
	const struct cap_pkt *sel[64];
	bool rev = strstr(name, "reverse") != NULL;
	struct xf_group *in = group(NULL, rev ? left : right, name);
	struct xf_group *out = group(NULL, rev ? right : left, name);
	size_t n, k;
	struct cap_pkt *c = cap_read(cap, &n);
	bool v6 = strchr(src, ':') != NULL;
	size_t hl = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;

	k = cap_select(c, n, IPX_AH, src, dst, sel, 64);
	for (size_t i = 0; i < k; i++) {
		const struct cap_pkt *kp = sel[i];
		size_t j = (size_t)(kp - c) + 1, esp = hl + 24;
		struct pkt p;

		ck_assert_int_eq(decap(in, kp->ip, kp->len, &p), 0);
		while (j < n && (c[j].len != p.len || memcmp(c[j].ip, pkt_data(&p), p.len)))
			j++;
		ck_assert_msg(j < n, "%s packet %zu: not what the kernel decapsulated", cap, i);
		/* the same inner packet sent by us: the kernel's bytes */
		atomic_store(&out->live[sa_index(out, SAID_PROTO_AH)]->seq_next, be32(kp->ip + hl + 8));
		atomic_store(&out->live[sa_index(out, SAID_PROTO_ESP)]->seq_next,
			     be32(kp->ip + esp + 4));
		esp_sa_test_iv(out->live[sa_index(out, SAID_PROTO_ESP)]->ctx, kp->ip + esp + 8, 16);
		if (!v6) /* the kernel's identification (its hash, not ours) */
			xf_scratch_test_ip_id(scr, (uint16_t)(kp->ip[4] << 8 | kp->ip[5]));
		ck_assert_int_eq(xf_encap(out, &p, scr), 0);
		ck_assert_uint_eq(p.len, kp->len);
		ck_assert_mem_eq(pkt_data(&p), kp->ip, kp->len);
		pkt_buf_free(&p);
	}
	*ncomp = (size_t)atomic_load(&in->live[sa_index(in, SAID_PROTO_COMP)]->packets);
	/* counters: every SA saw every packet but IPComp, the compressed ones */
	ck_assert_uint_eq(atomic_load(&in->live[sa_index(in, SAID_PROTO_AH)]->packets), k);
	ck_assert_uint_eq(atomic_load(&in->live[0]->packets), k);
	ck_assert_uint_eq(atomic_load(&out->live[0]->packets), k);
	cap_free(c, n);
	group_free(in);
	group_free(out);
	return k;
}

START_TEST(test_seed4)
{
	size_t comp, n = seed_dir("seed-right.pcap", "192.168.2.100", "192.168.2.110", "seed4", &comp);

	ck_assert_uint_ge(n, 6);
	ck_assert_uint_ge(comp, 2);
	ck_assert_uint_lt(comp, n);
}
END_TEST

START_TEST(test_seed6)
{
	size_t comp, n = seed_dir("seed-right.pcap", "3049:1::1", "3049:1::2", "seed6", &comp);

	ck_assert_uint_ge(n, 5);
	ck_assert_uint_ge(comp, 2);
	ck_assert_uint_lt(comp, n);
}
END_TEST

/* The replies (right -> left), on the left's capture. */
START_TEST(test_seed_reverse)
{
	size_t comp;

	ck_assert_uint_ge(seed_dir("seed-left.pcap", "192.168.2.110", "192.168.2.100",
				   "seed4-reverse", &comp), 4);
	ck_assert_uint_ge(seed_dir("seed-left.pcap", "3049:1::2", "3049:1::1",
				   "seed6-reverse", &comp), 3);
}
END_TEST

/* A packet of the seed's inner networks, IPv4 ICMP echo of @len bytes in
 * all, source @src. */
static void inner4(struct pkt *p, const char *src, size_t len, uint8_t tos)
{
	uint8_t b[1500] = { 0x45, tos };
	struct ip_addr s = addr(src), d = addr("10.0.2.1");

	ck_assert_uint_le(len, sizeof(b));
	b[6] = 0x40;
	b[8] = 64;
	b[9] = IPX_ICMP;
	memcpy(b + 12, s.b, 4);
	memcpy(b + 16, d.b, 4);
	b[20] = 8;
	for (size_t i = 28; i < len; i++)
		b[i] = (uint8_t)(i * 131 >> 3 ^ i); /* not very compressible */
	ipx_fix_len(b, AF_INET, len);
	ipx_fix_csum(b);
	pkt_buf(p, b, len);
}

/* seed4 sent by left, received by right. */
struct pair {
	struct xf_group *tx, *rx;
};

static struct pair seed4(void)
{
	struct pair s = { group(NULL, left, "seed4"), group(NULL, right, "seed4") };

	return s;
}

/* Group @name of tests/data/dp/xform.conf: 192.0.2.1 sends, .2 receives. */
static struct pair xconf(const char *name)
{
	struct pair s = { group(XCONF, host1, name), group(XCONF, host2, name) };

	return s;
}

static void pair_free(struct pair s)
{
	group_free(s.tx);
	group_free(s.rx);
}

START_TEST(test_replay_after_icv)
{
	struct pair s = seed4();
	struct sa_live *ah = s.tx->live[sa_index(s.tx, SAID_PROTO_AH)];
	struct pkt p, q;
	uint8_t keep[2000];
	size_t klen;

	/* a bad-ICV packet with sequence number 1,000,000 ... */
	atomic_store(&ah->seq_next, 1000000);
	inner4(&p, "10.0.1.1", 200, 0);
	ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
	pkt_data(&p)[p.len - 1] ^= 1;
	ck_assert_int_eq(decap(s.rx, pkt_data(&p), p.len, NULL), -DP_DROP_ICV);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_ICV), 1);
	pkt_buf_free(&p);
	/* ... then a valid one with sequence number 5: accepted */
	atomic_store(&ah->seq_next, 5);
	inner4(&p, "10.0.1.1", 200, 0);
	ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
	memcpy(keep, pkt_data(&p), klen = p.len);
	ck_assert_int_eq(decap(s.rx, keep, klen, &q), 0);
	pkt_buf_free(&q);
	/* the same again: a replay, counted, nothing else */
	ck_assert_int_eq(decap(s.rx, keep, klen, NULL), -DP_DROP_REPLAY);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_REPLAY), 1);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_ICV), 1);
	pkt_buf_free(&p);
	pair_free(s);
}
END_TEST

/* Encapsulate a seed4 packet from @src, @len bytes; apply @mangle to the
 * result; decap it on the right: the result. */
static int mangled(struct pair s, const char *src, size_t len, void (*mangle)(struct pkt *))
{
	struct pkt p;
	int r;

	inner4(&p, src, len, 0);
	ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
	if (mangle)
		mangle(&p);
	r = decap(s.rx, pkt_data(&p), p.len, NULL);
	pkt_buf_free(&p);
	return r;
}

static void cut_short(struct pkt *p)
{
	pkt_trim(p, 20 + 12);
	ipx_fix_len(pkt_data(p), AF_INET, p->len);
}

/* AH removed: ESP arrives first */
static void strip_ah(struct pkt *p)
{
	uint8_t nh = pkt_data(p)[20];

	pkt_remove(p, 20, 24);
	pkt_data(p)[9] = nh;
	ipx_fix_len(pkt_data(p), AF_INET, p->len);
}

START_TEST(test_malformed_and_policy)
{
	struct pair s = seed4();

	ck_assert_int_eq(mangled(s, "10.0.1.1", 300, cut_short), -DP_DROP_MALFORMED);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_MALFORMED), 1);
	/* ESP alone where the group has AH outside it: the kernel's template
	 * check (XfrmInTmplMismatch) */
	{
		struct pkt p;

		inner4(&p, "10.0.1.1", 300, 0);
		ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
		strip_ah(&p);
		ck_assert_int_eq(xf_decap(s.rx, sa_index(s.rx, SAID_PROTO_ESP), &p, scr),
				 -DP_DROP_POLICY);
		ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_ESP, DP_DROP_POLICY), 1);
		pkt_buf_free(&p);
	}
	/* a correctly protected packet whose inner source is outside src-ts */
	ck_assert_int_eq(mangled(s, "10.0.9.1", 300, NULL), -DP_DROP_SELECTOR);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_SELECTOR), 1);
	/* and the group still works */
	ck_assert_int_eq(mangled(s, "10.0.1.7", 300, NULL), 0);
	pair_free(s);
}
END_TEST

/* AH directly around the tunnel packet (no ESP): AH verifies, then the
 * group's ESP is missing: policy, counted on ESP. */
START_TEST(test_missing_esp)
{
	struct pair s = seed4();
	unsigned ah = sa_index(s.tx, SAID_PROTO_AH);
	const struct dpsnap_sa *tun = &s.tx->g->sa[0];
	struct pkt p;

	inner4(&p, "10.0.1.1", 300, 0);
	ck_assert_int_eq(ipip_encap(&p, &tun->src, &tun->said.dst, 1), 0);
	ck_assert_int_eq(ah_encap(s.tx->live[ah]->ctx, &p, IPV4_HDR_LEN, 9, 1), 0);
	ck_assert_int_eq(xf_decap(s.rx, ah, &p, scr), -DP_DROP_POLICY);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_ESP, DP_DROP_POLICY), 1);
	ck_assert_uint_eq(dropped(s.rx, SAID_PROTO_AH, DP_DROP_ICV), 0);
	pkt_buf_free(&p);
	pair_free(s);
}
END_TEST

/* ESP's ICV: with AH outside it verified, a flipped ESP byte is ESP's. */
START_TEST(test_esp_icv)
{
	struct pair s = xconf("esp-gcm");
	struct xf_group *tx = s.tx, *rx = s.rx;
	struct pkt p, q;

	inner4(&p, "10.1.1.1", 100, 0);
	memcpy(pkt_data(&p) + 16, (uint8_t[]){ 10, 1, 2, 9 }, 4);
	ipx_fix_csum(pkt_data(&p));
	ck_assert_int_eq(xf_encap(tx, &p, scr), 0);
	ck_assert_uint_eq(pkt_data(&p)[9], IPX_ESP);
	q = p;
	pkt_buf(&q, pkt_data(&p), p.len);
	pkt_data(&q)[40] ^= 4;
	ck_assert_int_eq(xf_decap(rx, 1, &q, scr), -DP_DROP_ICV);
	ck_assert_uint_eq(dropped(rx, SAID_PROTO_ESP, DP_DROP_ICV), 1);
	/* a dropped packet is no packet of any SA of the group (the SA
	 * outside ESP verified it, yet counts it not either) */
	for (unsigned k = 0; k < rx->g->nsa; k++) {
		ck_assert_uint_eq(atomic_load(&rx->live[k]->packets), 0);
		ck_assert_uint_eq(atomic_load(&rx->live[k]->bytes), 0);
	}
	pkt_buf_free(&q);
	ck_assert_int_eq(xf_decap(rx, 1, &p, scr), 0);
	ck_assert_uint_eq(p.len, 100);
	/* the good one counts once, on each SA, with the bytes that SA got */
	for (unsigned k = 0; k < rx->g->nsa; k++) {
		ck_assert_uint_eq(atomic_load(&rx->live[k]->packets), 1);
		ck_assert_uint_gt(atomic_load(&rx->live[k]->bytes), 100);
	}
	pkt_buf_free(&p);
	pair_free(s);
}
END_TEST

/* TFC padding after the inner packet is trimmed; a dummy packet (next
 * header 59) is dropped silently. */
START_TEST(test_tfc_and_dummy)
{
	struct pair s = xconf("esp-gcm"), e = xconf("esp-enc");
	struct pkt p;
	uint8_t *pad;

	inner4(&p, "10.1.1.1", 100, 0);
	memcpy(pkt_data(&p) + 16, (uint8_t[]){ 10, 1, 2, 9 }, 4);
	ipx_fix_csum(pkt_data(&p));
	pad = pkt_put(&p, 37);
	memset(pad, 0, 37);
	ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
	ck_assert_int_eq(xf_decap(s.rx, 1, &p, scr), 0);
	ck_assert_uint_eq(p.len, 100);
	pkt_buf_free(&p);
	/* next header 59, ESP transport without ICV */
	{
		uint8_t b[60] = { 0x45 };
		struct ip_addr a1 = addr("192.0.2.1"), a2 = addr("192.0.2.2");

		b[8] = 64;
		b[9] = IPX_NONE;
		memcpy(b + 12, a1.b, 4);
		memcpy(b + 16, a2.b, 4);
		ipx_fix_len(b, AF_INET, sizeof(b));
		pkt_buf(&p, b, sizeof(b));
		ck_assert_int_eq(xf_encap(e.tx, &p, scr), 0);
		ck_assert_int_eq(xf_decap(e.rx, 0, &p, scr), 1);
		pkt_buf_free(&p);
	}
	pair_free(s);
	pair_free(e);
}
END_TEST

/* IPComp alone (tun comp, IPv6): a bomb is dropped as inflate; an
 * uncompressed packet (IPv6-in-IPv6) enters at the tun SA. */
START_TEST(test_comp_only)
{
	struct xf_group *rx = group(XCONF, host2, "comp6");
	static uint8_t zero[100000];
	uint8_t b[IPV6_HDR_LEN + 4 + 200] = { 0x60 };
	struct ip_addr a1 = addr("2001:db8::1"), a2 = addr("2001:db8::2");
	struct pkt p;
	z_stream zs = { 0 };
	size_t clen;

	b[6] = IPX_COMP;
	b[7] = 64;
	memcpy(b + 8, a1.b, 16);
	memcpy(b + 24, a2.b, 16);
	memcpy(b + IPV6_HDR_LEN, (uint8_t[]){ IPX_IPV6, 0, 0x10, 0x03 }, 4);
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = zero;
	zs.avail_in = sizeof(zero);
	zs.next_out = b + IPV6_HDR_LEN + 4;
	zs.avail_out = 200;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	clen = zs.total_out;
	deflateEnd(&zs);
	ipx_fix_len(b, AF_INET6, IPV6_HDR_LEN + 4 + clen);
	pkt_buf(&p, b, IPV6_HDR_LEN + 4 + clen);
	ck_assert_int_eq(xf_decap(rx, 1, &p, scr), -DP_DROP_INFLATE);
	ck_assert_uint_eq(dropped(rx, SAID_PROTO_COMP, DP_DROP_INFLATE), 1);
	pkt_buf_free(&p);
	group_free(rx);
}
END_TEST

START_TEST(test_truncated_exthdr)
{
	uint8_t b[IPV6_HDR_LEN + 8] = { 0x60 };
	struct xf_key key;
	struct pkt p;

	b[5] = 8;
	b[6] = IPX_HOPOPTS;
	b[IPV6_HDR_LEN] = IPX_AH;
	b[IPV6_HDR_LEN + 1] = 3; /* 32 bytes, 8 there */
	pkt_buf(&p, b, sizeof(b));
	ck_assert_int_eq(xf_peek(&p, &key), -DP_DROP_MALFORMED);
	pkt_buf_free(&p);
}
END_TEST

/* The tun header's IPv4 ID is never 0: a raw socket with IP_HDRINCL puts
 * its own ID in place of a 0, which AH's ICV covered. */
START_TEST(test_ip_id_never_zero)
{
	struct xf_group *tx = group(NULL, left, "seed4");
	uint8_t inner[100] = { 0x45 };
	struct pkt p;

	xf_scratch_test_ip_id(scr, 0xffff);
	inner[3] = sizeof(inner);
	inner[8] = 64;
	inner[9] = 17;
	inner[12] = 10, inner[13] = 0, inner[14] = 1, inner[15] = 1;
	inner[16] = 10, inner[17] = 0, inner[18] = 2, inner[19] = 1;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t id;

		pkt_buf(&p, inner, sizeof(inner));
		ck_assert_int_eq(xf_encap(tx, &p, scr), 0);
		id = (uint16_t)(pkt_data(&p)[4] << 8 | pkt_data(&p)[5]);
		ck_assert_uint_eq(id, i == 0 ? 0xffff : i);
		pkt_buf_free(&p);
	}
	group_free(tx);
}
END_TEST

/* A routing header with segments left: the datagram is not for this host
 * yet (the kernel forwards it): not taken as ours.  With none left it is. */
START_TEST(test_routing_segments_left)
{
	uint8_t b[IPV6_HDR_LEN + 24] = { 0x60 };
	struct xf_key key;
	struct pkt p;

	b[5] = 24;
	b[6] = IPX_ROUTING;
	b[IPV6_HDR_LEN] = IPX_ESP;
	b[IPV6_HDR_LEN + 1] = 0;     /* 8 bytes */
	b[IPV6_HDR_LEN + 2] = 4;     /* type 4 (segment routing) */
	b[IPV6_HDR_LEN + 3] = 1;     /* segments left */
	b[IPV6_HDR_LEN + 11] = 0x42; /* SPI 0x42, sequence number 1 */
	b[IPV6_HDR_LEN + 15] = 1;
	pkt_buf(&p, b, sizeof(b));
	ck_assert_int_eq(xf_peek(&p, &key), -DP_DROP_MALFORMED);
	pkt_buf_free(&p);
	b[IPV6_HDR_LEN + 3] = 0;
	pkt_buf(&p, b, sizeof(b));
	ck_assert_int_eq(xf_peek(&p, &key), 0);
	ck_assert_uint_eq(key.proto, IPX_ESP);
	ck_assert_uint_eq(key.spi, 0x42);
	pkt_buf_free(&p);
}
END_TEST

/* The inner MTU: a packet of that size (incompressible) leaves in
 * @path_mtu bytes, one byte more does not. */
START_TEST(test_inner_mtu)
{
	struct pair s = seed4();
	uint32_t mtu = xf_inner_mtu(s.tx->g, 1500);
	struct pkt p;

	ck_assert_uint_gt(mtu, 1400);
	ck_assert_uint_lt(mtu, 1500);
	for (uint32_t len = mtu - 16; len <= mtu + 1; len++) {
		inner4(&p, "10.0.1.1", len, 0);
		ck_assert_int_eq(xf_encap(s.tx, &p, scr), 0);
		if (len <= mtu)
			ck_assert_uint_le(p.len, 1500);
		else
			ck_assert_uint_gt(p.len, 1500);
		pkt_buf_free(&p);
	}
	s.tx->mtu = mtu;
	inner4(&p, "10.0.1.1", mtu + 1, 0);
	ck_assert_int_eq(xf_encap(s.tx, &p, scr), -DP_DROP_MTU);
	ck_assert_uint_eq(atomic_load(&s.tx->live[0]->drop[DP_DROP_MTU]), 1);
	pkt_buf_free(&p);
	pair_free(s);
}
END_TEST

START_TEST(test_icmp_too_big)
{
	struct pkt p, o;
	uint8_t *b = malloc(PKT_BUF_SIZE);

	pkt_init(&o, b, PKT_BUF_SIZE);
	inner4(&p, "10.0.1.1", 1400, 0);
	ck_assert_int_eq(xf_icmp_too_big(&p, 1300, &o), 0);
	ck_assert_uint_eq(o.len, 576);
	ck_assert_uint_eq(ipx_fold(ipx_sum(pkt_data(&o), 20, 0)), 0);
	ck_assert_uint_eq(ipx_fold(ipx_sum(pkt_data(&o) + 20, o.len - 20, 0)), 0);
	ck_assert_mem_eq(pkt_data(&o) + 20, "\x03\x04", 2);
	ck_assert_mem_eq(pkt_data(&o) + 26, "\x05\x14", 2);
	ck_assert_mem_eq(pkt_data(&o) + 12, pkt_data(&p) + 16, 4);
	ck_assert_mem_eq(pkt_data(&o) + 28, pkt_data(&p), 20);
	/* without DF: none */
	pkt_data(&p)[6] = 0;
	ck_assert_int_eq(xf_icmp_too_big(&p, 1300, &o), -1);
	pkt_buf_free(&p);
	/* an ICMP error: none */
	inner4(&p, "10.0.1.1", 600, 0);
	pkt_data(&p)[20] = 3;
	ck_assert_int_eq(xf_icmp_too_big(&p, 1300, &o), -1);
	pkt_buf_free(&p);
	/* IPv6: packet too big, checksum over the pseudo-header */
	{
		uint8_t v6[1400] = { 0x60 };
		struct ip_addr a = addr("fd00:1::1"), d = addr("fd00:2::1");
		uint32_t sum;

		v6[6] = IPX_UDP;
		v6[7] = 64;
		memcpy(v6 + 8, a.b, 16);
		memcpy(v6 + 24, d.b, 16);
		ipx_fix_len(v6, AF_INET6, sizeof(v6));
		pkt_buf(&p, v6, sizeof(v6));
		ck_assert_int_eq(xf_icmp_too_big(&p, 1000, &o), 0);
		ck_assert_uint_eq(o.len, 1280);
		ck_assert_uint_eq(pkt_data(&o)[40], 2);
		ck_assert_uint_eq(be32(pkt_data(&o) + 44), 1280); /* at least the IPv6 minimum */
		sum = ipx_sum(pkt_data(&o) + 8, 32, 0) + (1280 - 40) + IPX_ICMPV6;
		ck_assert_uint_eq(ipx_fold(ipx_sum(pkt_data(&o) + 40, 1240, sum)), 0);
		pkt_buf_free(&p);
	}
	free(b);
}
END_TEST

/* RFC 6040 section 4.2's table, and its drop in the tun SA. */
START_TEST(test_ecn)
{
	/* rows: inner Not-ECT, ECT(0), ECT(1), CE; columns: outer the same */
	static const int want[4][4] = {
		{ 0, 0, 0, -1 }, { 2, 2, 1, 3 }, { 1, 1, 1, 3 }, { 3, 3, 3, 3 },
	};
	static const uint8_t code[4] = { 0, 2, 1, 3 };
	struct ip_addr o1 = addr("192.0.2.1"), o2 = addr("192.0.2.2");
	struct pkt p;

	for (unsigned i = 0; i < 4; i++)
		for (unsigned j = 0; j < 4; j++)
			ck_assert_int_eq(ipip_ecn_decap(code[i], code[j]), want[i][j]);
	/* CE inside becomes ECT(0) outside; DSCP copied */
	inner4(&p, "10.0.1.1", 100, 0x2b);
	ck_assert_int_eq(ipip_encap(&p, &o1, &o2, 7), 0);
	ck_assert_uint_eq(pkt_data(&p)[1], 0x2a);
	ck_assert_uint_eq(pkt_data(&p)[6], 0x40); /* DF copied */
	ck_assert_int_eq(ipip_decap(&p, IPV4_HDR_LEN, IPX_IPIP, 0x2a), 0);
	ck_assert_uint_eq(pkt_data(&p)[1], 0x2b);
	pkt_buf_free(&p);
	/* CE outside, Not-ECT inside: dropped */
	inner4(&p, "10.0.1.1", 100, 0x28);
	ck_assert_int_eq(ipip_encap(&p, &o1, &o2, 7), 0);
	ck_assert_int_eq(ipip_decap(&p, IPV4_HDR_LEN, IPX_IPIP, 0x2b), -DP_DROP_MALFORMED);
	pkt_buf_free(&p);
	/* CE outside, ECT(1) inside: CE, checksum still right */
	inner4(&p, "10.0.1.1", 100, 0x01);
	ck_assert_int_eq(ipip_encap(&p, &o1, &o2, 7), 0);
	ck_assert_int_eq(ipip_decap(&p, IPV4_HDR_LEN, IPX_IPIP, 0x03), 0);
	ck_assert_uint_eq(pkt_data(&p)[1], 0x03);
	ck_assert_uint_eq(ipx_csum4(pkt_data(&p), 20),
			  (uint16_t)(pkt_data(&p)[10] << 8 | pkt_data(&p)[11]));
	pkt_buf_free(&p);
}
END_TEST

/* The other shapes, each way: ESP 4in6 with ChaCha20-Poly1305, AH with
 * port selectors. */
START_TEST(test_shapes)
{
	struct pair e = xconf("esp-4in6"), a = xconf("ah-udp");
	struct pkt p;

	inner4(&p, "10.5.1.1", 300, 0);
	memcpy(pkt_data(&p) + 16, (uint8_t[]){ 10, 5, 2, 1 }, 4);
	ipx_fix_csum(pkt_data(&p));
	ck_assert_int_eq(xf_encap(e.tx, &p, scr), 0);
	ck_assert_uint_eq(pkt_data(&p)[0] >> 4, 6);
	ck_assert_uint_eq(pkt_data(&p)[6], IPX_ESP);
	ck_assert_int_eq(xf_decap(e.rx, 1, &p, scr), 0);
	ck_assert_uint_eq(p.len, 300);
	pkt_buf_free(&p);
	for (unsigned port = 6999; port <= 7000; port++) {
		uint8_t b[64] = { 0x45 };
		struct ip_addr a1 = addr("192.0.2.1"), a2 = addr("192.0.2.2");

		b[8] = 64;
		b[9] = IPX_UDP;
		memcpy(b + 12, a1.b, 4);
		memcpy(b + 16, a2.b, 4);
		b[22] = (uint8_t)(port >> 8);
		b[23] = (uint8_t)port;
		ipx_fix_len(b, AF_INET, sizeof(b));
		pkt_buf(&p, b, sizeof(b));
		ck_assert_int_eq(xf_encap(a.tx, &p, scr), 0);
		ck_assert_int_eq(xf_decap(a.rx, 0, &p, scr), port == 7000 ? 0 : -DP_DROP_SELECTOR);
		pkt_buf_free(&p);
	}
	pair_free(e);
	pair_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xform");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seed4);
	tcase_add_test(tc, test_seed6);
	tcase_add_test(tc, test_seed_reverse);
	tcase_add_test(tc, test_replay_after_icv);
	tcase_add_test(tc, test_malformed_and_policy);
	tcase_add_test(tc, test_missing_esp);
	tcase_add_test(tc, test_esp_icv);
	tcase_add_test(tc, test_tfc_and_dummy);
	tcase_add_test(tc, test_comp_only);
	tcase_add_test(tc, test_truncated_exthdr);
	tcase_add_test(tc, test_routing_segments_left);
	tcase_add_test(tc, test_ip_id_never_zero);
	tcase_add_test(tc, test_inner_mtu);
	tcase_add_test(tc, test_icmp_too_big);
	tcase_add_test(tc, test_ecn);
	tcase_add_test(tc, test_shapes);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
