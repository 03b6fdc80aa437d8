/* check_ah.c: AH (ah.h) against the Linux kernel's AH (tests/data/dp/
 * ah-*.pcap, recorded in UML by tests/tools/record-dp.sh): transport-mode
 * AH over IPv4 with options (Router Alert: immutable; Record Route:
 * mutable), ah-align 32 and 64, and over IPv6 with a hop-by-hop header
 * (one mutable, one immutable option) and a destination options header,
 * ESN.  Our decap accepts every kernel packet, our encap of the same
 * packet gives the kernel's bytes; a flipped immutable byte is an ICV
 * failure, a changed mutable field is not; malformed headers are.  Every
 * auth row both ways; the per-packet path allocates nothing.  And for
 * every auth row (HMAC-MD5-96 among them), without and with ESN, a
 * tunnel-mode AH packet of the kernel (tests/data/esp/ah-*.txt, recorded
 * by tests/tools/record-esp.sh): decapsulated, and encapsulated again to
 * the kernel's bytes. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ah.h"
#include "alg.h"
#include "alloc_count.h"
#include "dp_test.h"
#include "ipx.h"
#include "salive.h"

static uint8_t key4[32], key6[32];

/* The SAs of tests/uml/rec-dp.sh: SPI 0x1004 (IPv4, align4), 0x1008
 * (IPv4, ESN), 0x1006 (IPv6, ESN), HMAC-SHA-256-128. */
static struct dpsnap_sa sa_of(uint32_t spi)
{
	struct dpsnap_sa sa = { 0 };
	bool v6 = spi == 0x1006;

	for (unsigned i = 0; i < 32; i++) {
		key4[i] = (uint8_t)i;
		key6[i] = (uint8_t)(0x20 + i);
	}
	sa.said.proto = SAID_PROTO_AH;
	sa.said.spi = spi;
	sa.said.dst = addr(v6 ? "3049:1::2" : "192.168.2.110");
	sa.src = addr(v6 ? "3049:1::1" : "192.168.2.100");
	sa.dir = SADB_DIR_IN;
	sa.auth = alg_find("sha256", ALG_AUTH);
	sa.authkey = v6 ? key6 : key4;
	sa.authkey_len = 32;
	sa.replay_window = 32;
	sa.esn = spi != 0x1004;
	sa.ah_align = spi == 0x1004 ? 32 : 64;
	return sa;
}

static struct ah_sa *ah_of(uint32_t spi)
{
	struct dpsnap_sa sa = sa_of(spi);
	struct ah_sa *a;
	struct reason why;

	ck_assert_int_eq(ah_sa_new(&a, &sa, &why), 0);
	return a;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decap of @len bytes at @d; the result. */
static int decap(struct ah_sa *a, const uint8_t *d, size_t len, uint64_t hi)
{
	struct pkt p;
	struct ipx x;
	int r;

	pkt_buf(&p, d, len);
	ck_assert_int_eq(ipx_parse(d, len, IPX_IN, &x), 0);
	ck_assert_uint_eq(x.nh, IPX_AH);
	r = ah_decap(a, &p, x.hlen, x.nh_off, hi << 32 | be32(d + x.hlen + 8));
	pkt_buf_free(&p);
	return r;
}

/* Our AH packet @p equals the kernel's @k, AH at @hlen of @hdr bytes.
 * The kernel does not clear AH's padding (it holds what was in the buffer
 * before: ah6.c), and the ICV covers it: where it is not zero, the bytes
 * outside the ICV field are compared (our padding is zero, RFC 4302
 * section 3.3.3.2.1), and the ICV by decapsulating ours. */
static void same_as_kernel(const struct pkt *p, const struct cap_pkt *k, size_t hlen, size_t hdr)
{
	const uint8_t *d = pkt_data(p);
	size_t icv = hlen + AH_FIXED_LEN, pad = icv + 16;
	bool zero_pad = true;

	for (size_t i = pad; i < hlen + hdr; i++)
		zero_pad &= k->ip[i] == 0;
	if (zero_pad) {
		ck_assert_mem_eq(d, k->ip, k->len);
		return;
	}
	ck_assert_mem_eq(d, k->ip, icv);
	ck_assert_mem_eq(d + hlen + hdr, k->ip + hlen + hdr, k->len - hlen - hdr);
	for (size_t i = pad; i < hlen + hdr; i++)
		ck_assert_uint_eq(d[i], 0);
}

/* Every kernel AH packet of SPI @spi: accepted; our encap of what is left
 * gives the kernel's bytes; returns the first such packet (for the flips). */
static void kernel_ah(uint32_t spi, size_t want_hdr, struct cap_pkt *out)
{
	const struct cap_pkt *sel[16];
	struct ah_sa *a = ah_of(spi);
	size_t n, k, seen = 0;
	struct cap_pkt *c = cap_read("ah-right.pcap", &n);

	ck_assert_uint_eq(ah_hdr_len(a), want_hdr);
	k = cap_select(c, n, IPX_AH, NULL, NULL, sel, 16);
	for (size_t i = 0; i < k; i++) {
		struct pkt p;
		struct ipx x, o;
		uint64_t seq;

		ck_assert_int_eq(ipx_parse(sel[i]->ip, sel[i]->len, IPX_IN, &x), 0);
		if (be32(sel[i]->ip + x.hlen + 4) != spi)
			continue;
		seen++;
		seq = be32(sel[i]->ip + x.hlen + 8);
		pkt_buf(&p, sel[i]->ip, sel[i]->len);
		ck_assert_int_eq(ah_decap(a, &p, x.hlen, x.nh_off, seq), 0);
		ck_assert_uint_eq(p.len, sel[i]->len - want_hdr);
		ck_assert_uint_eq(pkt_data(&p)[x.nh_off], IPX_UDP);
		ipx_fix_len(pkt_data(&p), x.family, p.len); /* the caller's part */
		/* the same packet sent by us: the kernel's placement and bytes */
		ck_assert_int_eq(ipx_parse(pkt_data(&p), p.len, IPX_OUT, &o), 0);
		ck_assert_uint_eq(o.hlen, x.hlen);
		ck_assert_int_eq(ah_encap(a, &p, o.hlen, o.nh_off, seq), 0);
		ipx_fix_csum(pkt_data(&p));
		ck_assert_uint_eq(p.len, sel[i]->len);
		same_as_kernel(&p, sel[i], x.hlen, want_hdr);
		ck_assert_int_eq(ah_decap(a, &p, x.hlen, x.nh_off, seq), 0);
		if (out && !out->ip) {
			out->ip = malloc(sel[i]->len);
			memcpy(out->ip, sel[i]->ip, sel[i]->len);
			out->len = sel[i]->len;
		}
		pkt_buf_free(&p);
	}
	ck_assert_uint_ge(seen, 1);
	cap_free(c, n);
	ah_sa_free(a);
}

START_TEST(test_kernel_v4_align4)
{
	struct cap_pkt k = { 0 };
	struct ah_sa *a = ah_of(0x1004);
	struct ipx x;
	size_t ra, rr;

	kernel_ah(0x1004, 28, &k);
	ck_assert_int_eq(ipx_parse(k.ip, k.len, IPX_IN, &x), 0);
	ck_assert_uint_gt(x.hlen, IPV4_HDR_LEN); /* options came through */
	/* option bytes: NOP, Router Alert (94 04 00 00), Record Route (07 ...) */
	ra = IPV4_HDR_LEN + 1;
	rr = ra + 4;
	ck_assert_uint_eq(k.ip[ra], 0x94);
	ck_assert_uint_eq(k.ip[rr], 0x07);
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	/* mutable: TOS, TTL, checksum, flags/offset, Record Route */
	for (size_t off = 0; off < 12; off++) {
		int want = off == 1 || off == 6 || off == 7 || off == 8 || off == 10 || off == 11
				   ? 0 : -DP_DROP_ICV;

		if (off == 0 || off == 2 || off == 3 || off == 9)
			continue; /* IHL, length, protocol: the parse would change */
		k.ip[off] ^= 0x01;
		ck_assert_msg(decap(a, k.ip, k.len, 0) == want, "IPv4 header byte %zu", off);
		k.ip[off] ^= 0x01;
	}
	k.ip[rr + 3] ^= 0x10; /* Record Route data */
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	k.ip[rr + 3] ^= 0x10;
	k.ip[ra + 2] ^= 0x01; /* Router Alert value: immutable */
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_ICV);
	k.ip[ra + 2] ^= 0x01;
	k.ip[k.len - 1] ^= 0x80; /* payload */
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_ICV);
	k.ip[k.len - 1] ^= 0x80;
	/* a broken option length */
	k.ip[rr + 1] = 60;
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_MALFORMED);
	free(k.ip);
	ah_sa_free(a);
}
END_TEST

START_TEST(test_kernel_v4_esn)
{
	struct cap_pkt k = { 0 };
	struct ah_sa *a = ah_of(0x1008);

	kernel_ah(0x1008, 32, &k);
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	/* the ICV covers the high half of the sequence number */
	ck_assert_int_eq(decap(a, k.ip, k.len, 1), -DP_DROP_ICV);
	free(k.ip);
	ah_sa_free(a);
}
END_TEST

START_TEST(test_kernel_v6_exthdrs)
{
	struct cap_pkt k = { 0 };
	struct ah_sa *a = ah_of(0x1006);
	size_t hbh = IPV6_HDR_LEN, dst;
	struct ipx x;

	kernel_ah(0x1006, 32, &k);
	/* IPv6, hop-by-hop (16 bytes), destination options (8), AH */
	ck_assert_uint_eq(k.ip[6], IPX_HOPOPTS);
	ck_assert_uint_eq(k.ip[hbh], IPX_DSTOPTS);
	dst = hbh + 16;
	ck_assert_uint_eq(k.ip[dst], IPX_AH);
	ck_assert_int_eq(ipx_parse(k.ip, k.len, IPX_IN, &x), 0);
	ck_assert_uint_eq(x.hlen, dst + 8);
	ck_assert_mem_eq(k.ip + hbh + 2, "\x3e\x04\xaa\xbb\xcc\xdd\x1e\x04\x11\x22\x33\x44", 12);
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	/* mutable: traffic class, flow label, hop limit, option 0x3e's data,
	 * option 0x3f's data */
	for (size_t off = 0; off < 8; off++) {
		int want = off <= 3 || off == 7 ? 0 : -DP_DROP_ICV;

		if (off == 4 || off == 5 || off == 6)
			continue; /* lengths and next header: the parse would change */
		k.ip[off] ^= off == 0 ? 0x01 : 0x10;
		ck_assert_msg(decap(a, k.ip, k.len, 0) == want, "IPv6 header byte %zu", off);
		k.ip[off] ^= off == 0 ? 0x01 : 0x10;
	}
	for (size_t i = 0; i < 4; i++) {
		k.ip[hbh + 4 + i] ^= 0xff; /* 0x3e: may change en route */
		ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
		k.ip[hbh + 4 + i] ^= 0xff;
		k.ip[hbh + 10 + i] ^= 0x01; /* 0x1e: may not */
		ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_ICV);
		k.ip[hbh + 10 + i] ^= 0x01;
	}
	k.ip[dst + 4] ^= 0xff; /* 0x3f's data */
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	k.ip[dst + 4] ^= 0xff;
	k.ip[dst + 2] ^= 0x20; /* its type: immutable (and now 0x1f) */
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_ICV);
	k.ip[dst + 2] ^= 0x20;
	/* an option running past its header */
	k.ip[hbh + 9] = 9;
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_MALFORMED);
	k.ip[hbh + 9] = 4;
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), 0);
	free(k.ip);
	ah_sa_free(a);
}
END_TEST

/* AH headers that do not fit: short, a length for neither ICV size. */
START_TEST(test_malformed)
{
	struct cap_pkt k = { 0 };
	struct ah_sa *a = ah_of(0x1006);
	struct ipx x;
	struct pkt p;

	kernel_ah(0x1006, 32, &k);
	ck_assert_int_eq(ipx_parse(k.ip, k.len, IPX_IN, &x), 0);
	k.ip[x.hlen + 1]++;
	ck_assert_int_eq(decap(a, k.ip, k.len, 0), -DP_DROP_MALFORMED);
	k.ip[x.hlen + 1]--;
	/* cut inside AH */
	pkt_buf(&p, k.ip, x.hlen + 20);
	ck_assert_int_eq(ah_decap(a, &p, x.hlen, x.nh_off, 1), -DP_DROP_MALFORMED);
	pkt_buf_free(&p);
	/* a truncated extension header: the parse refuses it */
	ck_assert_int_eq(ipx_parse(k.ip, IPV6_HDR_LEN + 12, IPX_IN, &x), -1);
	free(k.ip);
	ah_sa_free(a);
}
END_TEST

/* Our own round trip with SHA-1-96 (the seed's AH) and SHA-512-256, over
 * a bare IPv4 and IPv6 header; lengths as RFC 4302 section 2.2 asks. */
START_TEST(test_round_trip)
{
	static const char *const algs[] = { "sha1", "sha512" };
	static const size_t want[2][2] = { { 24, 24 }, { 44, 48 } };
	uint8_t key[64];

	memset(key, 0x5a, sizeof(key));
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned v6 = 0; v6 < 2; v6++) {
			struct dpsnap_sa sa = sa_of(v6 ? 0x1006 : 0x1004);
			uint8_t b[100] = { 0 };
			size_t hl = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
			struct ah_sa *a;
			struct reason why;
			struct pkt p;

			sa.auth = alg_find(algs[i], ALG_AUTH);
			sa.authkey = key;
			sa.authkey_len = sa.auth->key_bytes;
			ck_assert_int_eq(ah_sa_new(&a, &sa, &why), 0);
			ck_assert_uint_eq(ah_hdr_len(a), want[i][v6]);
			ck_assert_uint_eq(ah_overhead(&sa), want[i][v6]);
			b[0] = v6 ? 0x60 : 0x45;
			b[v6 ? 6 : 9] = IPX_UDP;
			ipx_fix_len(b, v6 ? AF_INET6 : AF_INET, sizeof(b));
			pkt_buf(&p, b, sizeof(b));
			ck_assert_int_eq(ah_encap(a, &p, hl, v6 ? 6 : 9, 7), 0);
			ck_assert_uint_eq(p.len, sizeof(b) + want[i][v6]);
			ck_assert_uint_eq(pkt_data(&p)[v6 ? 6 : 9], IPX_AH);
			ck_assert_int_eq(ah_decap(a, &p, hl, v6 ? 6 : 9, 7), 0);
			ck_assert_uint_eq(p.len, sizeof(b));
			ck_assert_uint_eq(pkt_data(&p)[v6 ? 6 : 9], IPX_UDP);
			pkt_buf_free(&p);
			ah_sa_free(a);
		}
	}
}
END_TEST

/* Every auth row of the table, IPv4 and IPv6, without and with ESN,
 * over a packet with an IPv4 option or an IPv6 hop-by-hop header (the
 * mutable-field paths): round trip, and no OpenSSL allocation in 10
 * packets (the HMAC restarts by a struct copy, hmac.h). */
START_TEST(test_every_auth_no_alloc)
{
	const struct alg_desc *al;
	uint8_t key[64];

	if (alloc_count() < 0)
		return; /* the hooks could not be set (see main()) */
	memset(key, 0xa5, sizeof(key));
	for (al = alg_table; al->name; al++) {
		if (al->kind != ALG_AUTH)
			continue;
		for (unsigned k = 0; k < 4; k++) {
			bool v6 = k & 1;
			struct dpsnap_sa sa = sa_of(v6 ? 0x1006 : 0x1004);
			uint8_t b[1400] = { 0 };
			size_t hl = v6 ? IPV6_HDR_LEN + 8 : IPV4_HDR_LEN + 4;
			size_t nh = v6 ? IPV6_HDR_LEN : 9;
			struct ah_sa *a;
			struct reason why;
			struct pkt p;
			long before;

			sa.auth = al;
			sa.authkey = key;
			sa.authkey_len = al->key_bytes;
			sa.esn = k & 2;
			ck_assert_int_eq(ah_sa_new(&a, &sa, &why), 0);
			if (v6) {
				b[0] = 0x60;
				b[6] = IPX_HOPOPTS;
				b[40] = IPX_UDP;
				b[42] = 0x3e; /* a mutable option (0x20 bit), 4 bytes of data */
				b[43] = 4;
			} else {
				b[0] = 0x46;
				b[9] = IPX_UDP;
				b[20] = 148; /* Router Alert: immutable */
				b[21] = 4;
			}
			ipx_fix_len(b, v6 ? AF_INET6 : AF_INET, sizeof(b));
			pkt_buf(&p, b, sizeof(b));
			before = alloc_count();
			for (uint64_t seq = 1; seq <= 10; seq++) {
				ck_assert_int_eq(ah_encap(a, &p, hl, nh, seq), 0);
				ck_assert_int_eq(ah_decap(a, &p, hl, nh, seq), 0);
				ipx_fix_len(pkt_data(&p), v6 ? AF_INET6 : AF_INET, p.len);
			}
			ck_assert_msg(alloc_count() == before, "%s %s%s: %ld allocations in 10 packets",
				      al->name, v6 ? "IPv6" : "IPv4", sa.esn ? " esn" : "",
				      alloc_count() - before);
			ck_assert_uint_eq(p.len, sizeof(b));
			ck_assert(!memcmp(pkt_data(&p), b, sizeof(b)));
			pkt_buf_free(&p);
			ah_sa_free(a);
		}
	}
}
END_TEST

/* The kernel's tunnel-mode AH packet for auth row @_i / 2, ESN if @_i is
 * odd (tests/uml/rec-esp.sh: outer 192.0.2.1 -> 192.0.2.2, align4, a UDP
 * datagram 10.1.0.1:40000 -> 10.2.0.1:9 inside). */
START_TEST(test_kernel_tunnel_captures)
{
	const struct alg_desc *al = alg_table;
	char name[64], *v;
	struct dpsnap_sa sa = sa_of(0x1004);
	uint8_t *pkt, *key, *payload, *ip;
	size_t plen, klen, paylen;
	uint64_t seq;
	struct ah_sa *a;
	struct reason why;
	struct pkt p;
	bool esn = _i & 1;
	int n = _i / 2;

	for (; al->name; al++)
		if (al->kind == ALG_AUTH && n-- == 0)
			break;
	if (!al->name)
		return; /* past the auth rows */
	snprintf(name, sizeof(name), "esp/ah-%s%s.txt", al->name, esn ? "-esn" : "");
	v = cap_text(name, "auth");
	ck_assert_msg(v && !strcmp(v, al->name), "%s: auth %s", name, v);
	free(v);
	v = cap_text(name, "esn");
	ck_assert(v && (v[0] == '1') == esn);
	free(v);
	v = cap_text(name, "authkey");
	ck_assert(v && !strncmp(v, "0x", 2));
	key = unhex(v + 2, &klen);
	free(v);
	pkt = unhex(v = cap_text(name, "packet"), &plen);
	free(v);
	payload = unhex(v = cap_text(name, "payload"), &paylen);
	free(v);
	ck_assert(plen > 20 + AH_FIXED_LEN);

	sa.said.dst = addr("192.0.2.2");
	sa.src = addr("192.0.2.1");
	sa.said.spi = be32(pkt + 20 + 4);
	sa.auth = al;
	sa.authkey = key;
	sa.authkey_len = klen;
	sa.esn = esn;
	sa.ah_align = 32;
	ck_assert_int_eq(ah_sa_new(&a, &sa, &why), 0);
	seq = (esn ? UINT64_C(5) << 32 : 0) | be32(pkt + 20 + 8);
	ck_assert_uint_eq(ah_hdr_len(a), AH_FIXED_LEN + al->icv_bits / 8);

	pkt_buf(&p, pkt, plen);
	ck_assert_msg(ah_decap(a, &p, 20, 9, seq) == 0, "%s: the kernel's packet does not decap", name);
	ipx_fix_len(pkt_data(&p), AF_INET, p.len);
	ip = pkt_data(&p);
	ck_assert_uint_eq(ip[9], IPX_IPIP);
	ck_assert_uint_eq(p.len, 20 + 20 + 8 + paylen);
	ck_assert_uint_eq(ip[20 + 9], IPX_UDP);
	ck_assert_mem_eq(ip + 20 + 12, "\x0a\x01\x00\x01\x0a\x02\x00\x01", 8);
	ck_assert_mem_eq(ip + 20 + 28, payload, paylen);
	/* the same packet sent by us: the kernel's bytes */
	ck_assert_int_eq(ah_encap(a, &p, 20, 9, seq), 0);
	ipx_fix_csum(pkt_data(&p));
	ck_assert_uint_eq(p.len, plen);
	ck_assert_msg(!memcmp(pkt_data(&p), pkt, plen), "%s: our packet differs", name);
	/* with another high half (ESN) or a flipped payload byte: ICV failure */
	if (esn)
		ck_assert_int_eq(ah_decap(a, &p, 20, 9, seq - (UINT64_C(1) << 32)), -DP_DROP_ICV);
	pkt_buf_free(&p);
	pkt[plen - 1] ^= 1;
	pkt_buf(&p, pkt, plen);
	ck_assert_int_eq(ah_decap(a, &p, 20, 9, seq), -DP_DROP_ICV);
	pkt_buf_free(&p);
	ah_sa_free(a);
	free(pkt);
	free(key);
	free(payload);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ah");
	TCase *tc = tcase_create("core");

	alloc_count_start();

	tcase_add_test(tc, test_kernel_v4_align4);
	tcase_add_test(tc, test_kernel_v4_esn);
	tcase_add_test(tc, test_kernel_v6_exthdrs);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_every_auth_no_alloc);
	tcase_add_loop_test(tc, test_kernel_tunnel_captures, 0, 2 * 5); /* 5 auth rows */
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
