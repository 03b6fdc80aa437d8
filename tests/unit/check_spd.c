/* check_spd.c: the datapath's lookup tables (src/dp/spd.h): inner packets
 * to groups with many groups, overlapping prefixes, priorities, protocols
 * and ports, IPv4 and IPv6 (checked against a brute-force scan of every
 * rule); inbound keys (SPI, CPI, IPIP by addresses); flow parsing. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spd.h"

/* A hand-made group: one tun or ESP SA per letter of its shape. */
struct tgroup {
	struct xf_group xg;
	struct dpsnap_group g;
	struct dpsnap_sa sa[CFG_MAX_GROUP_SAS + 1];
	struct ip_prefix src[CFG_MAX_TS], dst[CFG_MAX_TS];
	char name[32];
};

static struct ip_prefix pfx(const char *text)
{
	struct ip_prefix p;
	char buf[64], *slash;

	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	*slash = '\0';
	ck_assert_int_eq(ip_addr_parse(buf, &p.addr, NULL, 0), 0);
	p.len = (uint8_t)atoi(slash + 1);
	return p;
}

static struct ip_addr addr(const char *text)
{
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(text, &a, NULL, 0), 0);
	return a;
}

static uint64_t next_order;

/* An outbound group with one src and one dst prefix (text) and an ESP SA. */
static void tg_out(struct tgroup *t, const char *src, const char *dst)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "g%llu", (unsigned long long)next_order);
	t->g.name = t->name;
	t->g.order = next_order++;
	t->g.dir = SADB_DIR_OUT;
	t->src[0] = pfx(src);
	t->dst[0] = pfx(dst);
	t->g.src_ts = t->src;
	t->g.dst_ts = t->dst;
	t->g.nsrc_ts = t->g.ndst_ts = 1;
	t->sa[0].said.proto = SAID_PROTO_ESP;
	t->sa[0].said.spi = 0x1000 + (uint32_t)t->g.order;
	t->sa[0].said.dst = t->dst[0].addr;
	t->g.sa = t->sa;
	t->g.nsa = 1;
	t->xg.g = &t->g;
}

/* An inbound group of SAs by shape letters: t tun, c comp, e esp, a ah,
 * all to @dst from @src, SPIs from @spi up. */
static void tg_in(struct tgroup *t, const char *shape, const char *src, const char *dst,
		  uint32_t spi)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "in%llu", (unsigned long long)next_order);
	t->g.name = t->name;
	t->g.order = next_order++;
	t->g.dir = SADB_DIR_IN;
	for (unsigned i = 0; shape[i]; i++) {
		struct dpsnap_sa *sa = &t->sa[i];

		sa->said.proto = shape[i] == 't' ? SAID_PROTO_TUN : shape[i] == 'c' ? SAID_PROTO_COMP :
				 shape[i] == 'e' ? SAID_PROTO_ESP : SAID_PROTO_AH;
		sa->said.spi = spi + i;
		sa->said.dst = addr(dst);
		sa->src = addr(src);
		t->g.nsa++;
	}
	t->g.sa = t->sa;
	t->xg.g = &t->g;
}

static struct spd *build(struct tgroup *t, size_t n)
{
	const struct xf_group **v = calloc(n, sizeof(*v));
	struct reason why = { "" };
	struct spd *s = NULL;

	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < n; i++)
		v[i] = &t[i].xg;
	ck_assert_msg(spd_build(&s, v, n, &why) == 0, "%s", why.text);
	free(v);
	return s;
}

static struct spd_flow flow(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			    uint16_t dport)
{
	struct spd_flow f = { .src = addr(src), .dst = addr(dst), .proto = proto,
			      .sport = sport, .dport = dport };
	return f;
}

static const char *out_name(const struct spd *s, const struct spd_flow *f)
{
	const struct xf_group *g = spd_out_lookup(s, f);

	return g ? g->g->name : "none";
}

START_TEST(test_many_v4)
{
	enum { N = 10000 };
	struct tgroup *t = calloc(N + 2, sizeof(*t));
	struct spd *s;
	char src[32], dst[32];

	next_order = 0;
	for (unsigned i = 0; i < N; i++) {
		snprintf(dst, sizeof(dst), "10.%u.%u.0/24", i / 256, i % 256);
		tg_out(&t[i], "192.168.0.0/16", dst);
	}
	tg_out(&t[N], "0.0.0.0/0", "10.0.0.0/8");       /* catches the rest of 10/8 */
	tg_out(&t[N + 1], "192.168.7.7/32", "10.1.2.3/32"); /* more specific */
	s = build(t, N + 2);
	ck_assert_uint_eq(spd_out_rules(s), N + 2);
	for (unsigned i = 0; i < N; i += 37) {
		struct spd_flow f;

		snprintf(dst, sizeof(dst), "10.%u.%u.9", i / 256, i % 256);
		snprintf(src, sizeof(src), "192.168.%u.1", i % 200);
		f = flow(src, dst, 6, 1000, 80);
		ck_assert_str_eq(out_name(s, &f), t[i].name);
	}
	/* outside every /24: the /8 */
	struct spd_flow f = flow("192.168.1.1", "10.200.0.1", 17, 1, 2);
	ck_assert_str_eq(out_name(s, &f), t[N].name);
	/* src outside 192.168/16: the /8 (src 0/0) */
	f = flow("172.16.0.1", "10.1.2.3", 17, 1, 2);
	ck_assert_str_eq(out_name(s, &f), t[N].name);
	/* the /32 pair beats 10.1.2.0/24 */
	f = flow("192.168.7.7", "10.1.2.3", 17, 1, 2);
	ck_assert_str_eq(out_name(s, &f), t[N + 1].name);
	f = flow("192.168.7.8", "10.1.2.3", 17, 1, 2);
	ck_assert_str_eq(out_name(s, &f), t[256 + 2].name);
	/* nothing at all */
	f = flow("192.168.7.8", "11.1.2.3", 17, 1, 2);
	ck_assert_ptr_null(spd_out_lookup(s, &f));
	f = flow("fd00::1", "fd00::2", 17, 1, 2);
	ck_assert_ptr_null(spd_out_lookup(s, &f));
	spd_free(s);
	free(t);
}
END_TEST

START_TEST(test_rank)
{
	struct tgroup t[7];
	struct spd *s;
	struct spd_flow f;

	next_order = 0;
	tg_out(&t[0], "0.0.0.0/0", "10.0.0.0/16");        /* 16 bits */
	tg_out(&t[1], "172.16.0.0/24", "10.0.0.0/8");     /* 32 bits: beats t0 */
	tg_out(&t[2], "172.16.0.0/24", "10.0.0.0/8");     /* same as t1, later: never */
	tg_out(&t[3], "172.16.0.0/24", "10.0.0.0/8");     /* same prefixes + proto 6 */
	t[3].g.proto = 6;
	tg_out(&t[4], "172.16.0.0/24", "10.0.0.0/8");     /* + proto 6 + port 22 */
	t[4].g.proto = 6;
	t[4].g.dport = 22;
	tg_out(&t[5], "0.0.0.0/0", "0.0.0.0/0");          /* configured priority beats all */
	t[5].g.proto = 17;
	t[5].g.priority = CFG_PRIORITY_MIN;
	tg_out(&t[6], "0.0.0.0/0", "0.0.0.0/0");          /* the default route */
	s = build(t, 7);
	f = flow("172.16.0.9", "10.0.1.1", 1, 8, 0);
	ck_assert_str_eq(out_name(s, &f), t[1].name);
	f = flow("172.16.1.9", "10.0.1.1", 1, 8, 0);
	ck_assert_str_eq(out_name(s, &f), t[0].name);
	f = flow("172.16.0.9", "10.0.1.1", 6, 1000, 80);
	ck_assert_str_eq(out_name(s, &f), t[3].name);
	f = flow("172.16.0.9", "10.0.1.1", 6, 1000, 22);
	ck_assert_str_eq(out_name(s, &f), t[4].name);
	f = flow("172.16.0.9", "10.0.1.1", 17, 1000, 22);
	ck_assert_str_eq(out_name(s, &f), t[5].name);
	f = flow("1.2.3.4", "5.6.7.8", 6, 1, 2);
	ck_assert_str_eq(out_name(s, &f), t[6].name);
	spd_free(s);
}
END_TEST

/* Zero the bits of the 16-byte address @b from bit @len on. */
static void clear_from(uint8_t *b, unsigned len)
{
	if (len % 8)
		b[len / 8] &= (uint8_t)(0xff00u >> (len % 8));
	for (unsigned i = (len + 7) / 8; i < 16; i++)
		b[i] = 0;
}

/* A linear scan with the same rank: the reference for the random case. */
static const char *scan(struct tgroup *t, size_t n, const struct spd_flow *f)
{
	const struct tgroup *best = NULL;
	uint32_t bprio = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dpsnap_group *g = &t[i].g;
		const struct ip_prefix *d = &g->dst_ts[0], *sp = &g->src_ts[0];
		uint32_t prio;
		struct spd_flow m = *f;

		if (d->addr.family != f->dst.family)
			continue;
		clear_from(m.dst.b, d->len);
		clear_from(m.src.b, sp->len);
		if (memcmp(m.dst.b, d->addr.b, 16) || memcmp(m.src.b, sp->addr.b, 16))
			continue;
		if ((g->proto && g->proto != f->proto) || (g->dport && g->dport != f->dport))
			continue;
		prio = g->priority ? g->priority :
		       CFG_PRIORITY_MIN + 0x10100u - 256u * (d->len + sp->len) -
		       (g->proto ? 128u : 0) - (g->dport ? 64u : 0);
		if (!best || prio < bprio) {
			best = &t[i];
			bprio = prio;
		}
	}
	return best ? best->name : "none";
}

/* Random overlapping IPv6 prefixes of many lengths, protocols, ports and a
 * few configured priorities, against the scan. */
START_TEST(test_random_v6)
{
	enum { N = 3000, FLOWS = 5000 };
	struct tgroup *t = calloc(N, sizeof(*t));
	struct spd *s;
	unsigned seed = 12345;

	next_order = 0;
	for (unsigned i = 0; i < N; i++) {
		char src[64], dst[64];
		unsigned dl = (unsigned[]){ 0, 16, 32, 48, 56, 64, 96, 127, 128 }[rand_r(&seed) % 9];
		unsigned sl = (unsigned[]){ 0, 8, 48, 64, 128 }[rand_r(&seed) % 5];

		snprintf(dst, sizeof(dst), "fd00:%x:%x::%x/128", rand_r(&seed) % 4,
			 rand_r(&seed) % 4, rand_r(&seed) % 4);
		snprintf(src, sizeof(src), "fd01:%x::%x/128", rand_r(&seed) % 4, rand_r(&seed) % 4);
		tg_out(&t[i], src, dst);
		clear_from(t[i].dst[0].addr.b, dl);
		clear_from(t[i].src[0].addr.b, sl);
		t[i].dst[0].len = (uint8_t)dl;
		t[i].src[0].len = (uint8_t)sl;
		if (rand_r(&seed) % 4 == 0)
			t[i].g.proto = (uint8_t)(rand_r(&seed) % 2 ? 6 : 17);
		if (t[i].g.proto && rand_r(&seed) % 2)
			t[i].g.dport = (uint16_t)(rand_r(&seed) % 3 + 1);
		if (rand_r(&seed) % 50 == 0) /* distinct: no ties between configured ones */
			t[i].g.priority = CFG_PRIORITY_MIN + 1000 + i;
	}
	s = build(t, N);
	for (unsigned i = 0; i < FLOWS; i++) {
		char src[64], dst[64];
		struct spd_flow f;

		snprintf(dst, sizeof(dst), "fd00:%x:%x::%x", rand_r(&seed) % 4, rand_r(&seed) % 4,
			 rand_r(&seed) % 4);
		snprintf(src, sizeof(src), "fd01:%x::%x", rand_r(&seed) % 4, rand_r(&seed) % 4);
		f = flow(src, dst, rand_r(&seed) % 2 ? 6 : 17, 7, (uint16_t)(rand_r(&seed) % 4));
		ck_assert_str_eq(out_name(s, &f), scan(t, N, &f));
	}
	spd_free(s);
	free(t);
}
END_TEST

static const char *in_name(const struct spd *s, uint8_t family, uint8_t proto, uint32_t spi,
			   const char *src, const char *dst, unsigned *k)
{
	struct xf_key key = { .family = family, .proto = proto, .spi = spi,
			      .dst = addr(dst), .src = addr(src) };
	const struct xf_group *g = spd_in_lookup(s, &key, k);

	return g ? g->g->name : "none";
}

START_TEST(test_inbound)
{
	struct tgroup t[5];
	struct spd *s;
	unsigned k = 99;

	next_order = 0;
	tg_in(&t[0], "tcea", "192.168.2.100", "192.168.2.110", 0x100);  /* seed4 */
	tg_in(&t[1], "tcea", "3049:1::1", "3049:1::2", 0x100);          /* seed6 */
	tg_in(&t[2], "t", "192.168.2.1", "192.168.2.110", 0x3d0);       /* tun only */
	tg_in(&t[3], "tc", "192.168.2.2", "192.168.2.110", 0x3d0);      /* tun comp */
	tg_in(&t[4], "te", "192.168.2.1", "192.168.2.111", 0x200);
	t[4].g.dir = SADB_DIR_OUT; /* outbound: no inbound key */
	t[4].dst[0] = t[4].src[0] = pfx("0.0.0.0/0");
	t[4].g.src_ts = t[4].src;
	t[4].g.dst_ts = t[4].dst;
	t[4].g.nsrc_ts = t[4].g.ndst_ts = 1;
	s = build(t, 5);
	ck_assert_uint_eq(spd_in_keys(s), 1 + 1 + 2 + 3);
	/* the outermost SA (AH, index 3), not the inner ones */
	ck_assert_str_eq(in_name(s, AF_INET, 51, 0x103, "0.0.0.0", "192.168.2.110", &k), t[0].name);
	ck_assert_uint_eq(k, 3);
	ck_assert_str_eq(in_name(s, AF_INET, 50, 0x102, "0.0.0.0", "192.168.2.110", &k), "none");
	ck_assert_str_eq(in_name(s, AF_INET, 51, 0x103, "0.0.0.0", "192.168.2.111", &k), "none");
	ck_assert_str_eq(in_name(s, AF_INET, 51, 0x104, "0.0.0.0", "192.168.2.110", &k), "none");
	ck_assert_str_eq(in_name(s, AF_INET6, 51, 0x103, "::", "3049:1::2", &k), t[1].name);
	ck_assert_str_eq(in_name(s, AF_INET6, 51, 0x103, "::", "3049:1::3", &k), "none");
	/* IPIP by addresses, both inner families; the source counts */
	ck_assert_str_eq(in_name(s, AF_INET, 4, 0, "192.168.2.1", "192.168.2.110", &k), t[2].name);
	ck_assert_uint_eq(k, 0);
	ck_assert_str_eq(in_name(s, AF_INET, 41, 0, "192.168.2.1", "192.168.2.110", &k), t[2].name);
	ck_assert_str_eq(in_name(s, AF_INET, 4, 0, "192.168.2.9", "192.168.2.110", &k), "none");
	/* tun comp: IPComp by CPI, or bare IPIP (small packets) */
	ck_assert_str_eq(in_name(s, AF_INET, 108, 0x3d1, "1.1.1.1", "192.168.2.110", &k), t[3].name);
	ck_assert_uint_eq(k, 1);
	ck_assert_str_eq(in_name(s, AF_INET, 4, 0, "192.168.2.2", "192.168.2.110", &k), t[3].name);
	ck_assert_uint_eq(k, 0);
	spd_free(s);
}
END_TEST

START_TEST(test_refused)
{
	struct tgroup t[2];
	const struct xf_group *v[2] = { &t[0].xg, &t[1].xg };
	struct reason why = { "" };
	struct spd *s = NULL;

	tg_in(&t[0], "e", "192.168.2.1", "192.168.2.110", 0x500);
	tg_in(&t[1], "ea", "192.168.2.2", "192.168.2.110", 0x4ff); /* ah 0x500 is fine */
	ck_assert_int_eq(spd_build(&s, v, 2, &why), 0);
	spd_free(s);
	tg_in(&t[1], "ae", "192.168.2.2", "192.168.2.110", 0x4ff); /* esp 0x500 twice */
	ck_assert_int_eq(spd_build(&s, v, 2, &why), -EEXIST);
	ck_assert_ptr_nonnull(strstr(why.text, "ESP packets with SPI 0x500"));
	t[1].g.nsa = 0;
	t[1].g.shunt = true;
	ck_assert_int_eq(spd_build(&s, v, 2, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why.text, "shunt"));
}
END_TEST

/* Packets as bytes (hex) and the flows they give. */
static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		while (*h == ' ')
			h++;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

START_TEST(test_flow_parse)
{
	uint8_t p[256];
	struct spd_flow f;
	size_t n;

	/* IPv4 TCP 1234 -> 80 */
	n = unhex("4500002800004000400600000a0001010a000202" "04d2005000000000", p);
	ck_assert_int_eq(spd_flow_parse(p, n, &f), 0);
	ck_assert_uint_eq(f.proto, 6);
	ck_assert_uint_eq(f.sport, 1234);
	ck_assert_uint_eq(f.dport, 80);
	ck_assert(ip_addr_equal(&f.dst, &(struct ip_addr){ .family = AF_INET,
							    .b = { 10, 0, 2, 2 } }));
	/* the same as a later fragment: no ports */
	p[6] = 0x20;
	p[7] = 0x10;
	ck_assert_int_eq(spd_flow_parse(p, n, &f), 0);
	ck_assert_uint_eq(f.sport, 0);
	ck_assert_uint_eq(f.dport, 0);
	/* ICMP echo request: type 8 code 0 */
	n = unhex("4500001c000040004001000001010101020202020800f7ff00000000", p);
	ck_assert_int_eq(spd_flow_parse(p, n, &f), 0);
	ck_assert_uint_eq(f.proto, 1);
	ck_assert_uint_eq(f.sport, 8);
	/* IPv6, hop-by-hop, first fragment, UDP 53 -> 5353 */
	n = unhex("6000000000180040" "fd000000000000000000000000000001"
		  "fd000000000000000000000000000002" "2c00010400000000"
		  "1100000100000001" "003514e900080000", p);
	ck_assert_int_eq(spd_flow_parse(p, n, &f), 0);
	ck_assert_uint_eq(f.proto, 17);
	ck_assert_uint_eq(f.sport, 53);
	ck_assert_uint_eq(f.dport, 5353);
	/* cut short inside the extension headers */
	ck_assert_int_eq(spd_flow_parse(p, 44, &f), -1);
	ck_assert_int_eq(spd_flow_parse(p, 10, &f), -1);
	/* not IP */
	p[0] = 0x50;
	ck_assert_int_eq(spd_flow_parse(p, n, &f), -1);
	ck_assert_int_eq(spd_flow_parse(p, 0, &f), -1);
}
END_TEST

static Suite *spd_suite(void)
{
	Suite *s = suite_create("spd");
	TCase *tc = tcase_create("spd");

	tcase_add_test(tc, test_many_v4);
	tcase_add_test(tc, test_rank);
	tcase_add_test(tc, test_random_v6);
	tcase_add_test(tc, test_inbound);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_flow_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
