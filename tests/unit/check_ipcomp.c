/* check_ipcomp.c: IPComp with deflate (ipcomp.h): the kernel's rules
 * (threshold, no gain), bounded inflate, flags, and the kernel's own
 * IPComp packets (tests/data/dp/comp-*.pcap, a `tun comp` group in the
 * UML kernel): ours inflate them to the kernel's inner packets, and our
 * deflate of those inner packets gives the kernel's bytes. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "dp_test.h"
#include "ipcomp.h"
#include "ipx.h"
#include "salive.h"

static struct ipcomp_z *z;

static void setup(void)
{
	ck_assert_int_eq(ipcomp_z_new(&z), 0);
}

static void teardown(void)
{
	ipcomp_z_free(z);
	z = NULL;
}

/* An IPv4 packet (20-byte header, protocol 17) with @len bytes of payload
 * from @fill (NULL: a counter modulo 7, compressible). */
static void make4(struct pkt *p, size_t len, const uint8_t *fill)
{
	uint8_t *b = malloc(IPV4_HDR_LEN + len);

	ck_assert_ptr_nonnull(b);
	memset(b, 0, IPV4_HDR_LEN);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = 17;
	memcpy(b + 12, (uint8_t[]){ 10, 0, 1, 1, 10, 0, 2, 1 }, 8);
	for (size_t i = 0; i < len; i++)
		b[IPV4_HDR_LEN + i] = fill ? fill[i] : (uint8_t)(i % 7);
	ipx_fix_len(b, AF_INET, IPV4_HDR_LEN + len);
	ipx_fix_csum(b);
	pkt_buf(p, b, IPV4_HDR_LEN + len);
	free(b);
}

START_TEST(test_round_trip)
{
	struct pkt p;
	uint8_t orig[IPV4_HDR_LEN + 1000];

	make4(&p, 1000, NULL);
	memcpy(orig, pkt_data(&p), p.len);
	ck_assert_int_eq(ipcomp_encap(z, &p, IPV4_HDR_LEN, 9, 0x3d0), 0);
	ck_assert_uint_lt(p.len, 200);
	ck_assert_uint_eq(pkt_data(&p)[9], 108);
	ck_assert_mem_eq(pkt_data(&p) + IPV4_HDR_LEN, "\x11\x00\x03\xd0", 4);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), 0);
	/* the header is the caller's to fix: payload and protocol restored */
	ck_assert_uint_eq(p.len, sizeof(orig));
	ck_assert_mem_eq(pkt_data(&p) + 9, orig + 9, 1);
	ck_assert_mem_eq(pkt_data(&p) + IPV4_HDR_LEN, orig + IPV4_HDR_LEN, 1000);
	pkt_buf_free(&p);
}
END_TEST

/* The kernel's rules: below 90 bytes of payload, or no gain: untouched. */
START_TEST(test_threshold_and_gain)
{
	uint8_t rnd[600];
	struct pkt p;

	make4(&p, 89, NULL);
	ck_assert_int_eq(ipcomp_encap(z, &p, IPV4_HDR_LEN, 9, 1), 1);
	ck_assert_uint_eq(p.len, IPV4_HDR_LEN + 89);
	ck_assert_uint_eq(pkt_data(&p)[9], 17);
	pkt_buf_free(&p);
	make4(&p, 90, NULL);
	ck_assert_int_eq(ipcomp_encap(z, &p, IPV4_HDR_LEN, 9, 1), 0);
	pkt_buf_free(&p);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)((i * 2654435761u) >> 13 ^ i * 7);
	make4(&p, sizeof(rnd), rnd);
	ck_assert_int_eq(ipcomp_encap(z, &p, IPV4_HDR_LEN, 9, 1), 1);
	ck_assert_uint_eq(p.len, IPV4_HDR_LEN + sizeof(rnd));
	ck_assert_mem_eq(pkt_data(&p) + IPV4_HDR_LEN, rnd, sizeof(rnd));
	pkt_buf_free(&p);
}
END_TEST

/* An IPComp packet: IPv4 header, IPComp header with @flags, then @n bytes
 * of deflate stream of @plain (@plen bytes). */
static void make_comp(struct pkt *p, const uint8_t *plain, size_t plen, uint8_t flags, size_t cut)
{
	static uint8_t out[70000];
	uLongf olen = sizeof(out);
	z_stream s = { 0 };
	uint8_t *b;

	ck_assert_int_eq(deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = (uint8_t *)plain;
	s.avail_in = (uInt)plen;
	s.next_out = out;
	s.avail_out = (uInt)olen;
	ck_assert_int_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
	olen = s.total_out - cut;
	deflateEnd(&s);
	b = malloc(IPV4_HDR_LEN + 4 + olen);
	memset(b, 0, IPV4_HDR_LEN);
	b[0] = 0x45;
	b[9] = 108;
	memcpy(b + IPV4_HDR_LEN, (uint8_t[]){ 4, flags, 0x03, 0xd0 }, 4);
	memcpy(b + IPV4_HDR_LEN + 4, out, olen);
	ipx_fix_len(b, AF_INET, IPV4_HDR_LEN + 4 + olen);
	pkt_buf(p, b, IPV4_HDR_LEN + 4 + olen);
	free(b);
}

START_TEST(test_inflate_bounds)
{
	static uint8_t big[200000];
	size_t max = PKT_MAX_IP - IPV4_HDR_LEN;
	struct pkt p;

	/* a bomb: 200,000 zero bytes from a few hundred */
	make_comp(&p, big, sizeof(big), 0, 0);
	ck_assert_uint_lt(p.len, 400);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_INFLATE);
	ck_assert_uint_eq(pkt_data(&p)[9], 108); /* unchanged */
	pkt_buf_free(&p);
	/* the most a datagram holds after a 20-byte header: accepted */
	make_comp(&p, big, max, 0, 0);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), 0);
	ck_assert_uint_eq(p.len, PKT_MAX_IP);
	pkt_buf_free(&p);
	/* one byte more: dropped */
	make_comp(&p, big, max + 1, 0, 0);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_INFLATE);
	pkt_buf_free(&p);
}
END_TEST

START_TEST(test_bad_streams)
{
	uint8_t plain[500] = { 0x45 };
	struct pkt p;

	/* non-zero flags: refused (RFC 3173 section 2.2) */
	make_comp(&p, plain, sizeof(plain), 1, 0);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_INFLATE);
	pkt_buf_free(&p);
	/* a stream cut short */
	make_comp(&p, plain, sizeof(plain), 0, 2);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_INFLATE);
	pkt_buf_free(&p);
	/* garbage */
	make_comp(&p, plain, sizeof(plain), 0, 0);
	memset(pkt_data(&p) + IPV4_HDR_LEN + 4, 0xff, p.len - IPV4_HDR_LEN - 4);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_INFLATE);
	/* shorter than the header */
	pkt_trim(&p, IPV4_HDR_LEN + 3);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), -DP_DROP_MALFORMED);
	pkt_buf_free(&p);
	/* and the stream still works after all that */
	make_comp(&p, plain, sizeof(plain), 0, 0);
	ck_assert_int_eq(ipcomp_decap(z, &p, IPV4_HDR_LEN, 9), 0);
	ck_assert_uint_eq(p.len, IPV4_HDR_LEN + sizeof(plain));
	ck_assert_uint_eq(pkt_data(&p)[9], 4);
	pkt_buf_free(&p);
}
END_TEST

/* The kernel's IPComp (tun comp, IPv4 and IPv6): every IPComp packet
 * inflates to the inner packet the receiving kernel decapsulated (seen on
 * its veth after the IPComp packet); deflating that inner packet again
 * gives the kernel's bytes (the same zlib parameters), and the inner
 * packets the kernel left uncompressed (IPIP) stay uncompressed here. */
static void kernel_comp(const char *cap, const char *src, const char *dst)
{
	const struct cap_pkt *comp[64], *ipip[64];
	size_t n, ncomp, nipip;
	struct cap_pkt *c = cap_read(cap, &n);
	bool v6 = strchr(src, ':') != NULL;
	unsigned same = 0;

	ncomp = cap_select(c, n, IPX_COMP, src, dst, comp, 64);
	nipip = cap_select(c, n, v6 ? IPX_IPV6 : IPX_IPIP, src, dst, ipip, 64);
	ck_assert_uint_ge(ncomp, 2);
	ck_assert_uint_ge(nipip, 1);
	for (size_t i = 0; i < ncomp; i++) {
		size_t hl = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN, nh = v6 ? 6 : 9;
		struct pkt p, q;
		const struct cap_pkt *k = comp[i];
		size_t j = (size_t)(k - c) + 1;

		pkt_buf(&p, k->ip, k->len);
		ck_assert_int_eq(ipcomp_decap(z, &p, hl, nh), 0);
		ck_assert_uint_eq(pkt_data(&p)[nh], v6 ? 41 : 4);
		/* the receiving kernel's decapsulated copy follows it */
		while (j < n && (c[j].len != p.len - hl || memcmp(c[j].ip, pkt_data(&p) + hl, c[j].len)))
			j++;
		ck_assert_msg(j < n, "%s: IPComp packet %zu: no decapsulated copy", cap, i);
		/* our deflate of the inner packet */
		pkt_buf(&q, k->ip, hl);
		memcpy(pkt_put(&q, c[j].len), c[j].ip, c[j].len);
		pkt_data(&q)[nh] = v6 ? 41 : 4;
		ck_assert_int_eq(ipcomp_encap(z, &q, hl, nh, 0x3d0), 0);
		ipx_fix_len(pkt_data(&q), v6 ? AF_INET6 : AF_INET, q.len);
		ipx_fix_csum(pkt_data(&q));
		same += q.len == k->len && !memcmp(pkt_data(&q), k->ip, k->len);
		pkt_buf_free(&q);
		pkt_buf_free(&p);
	}
	ck_assert_uint_eq(same, ncomp);
	for (size_t i = 0; i < nipip; i++) {
		size_t hl = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
		struct pkt p;

		pkt_buf(&p, ipip[i]->ip, ipip[i]->len);
		ck_assert_int_eq(ipcomp_encap(z, &p, hl, v6 ? 6 : 9, 0x3d0), 1);
		pkt_buf_free(&p);
	}
	cap_free(c, n);
}

START_TEST(test_kernel4)
{
	kernel_comp("comp-right.pcap", "192.168.2.100", "192.168.2.110");
}
END_TEST

START_TEST(test_kernel6)
{
	kernel_comp("comp-right.pcap", "3049:1::1", "3049:1::2");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipcomp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_threshold_and_gain);
	tcase_add_test(tc, test_inflate_bounds);
	tcase_add_test(tc, test_bad_streams);
	tcase_add_test(tc, test_kernel4);
	tcase_add_test(tc, test_kernel6);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
