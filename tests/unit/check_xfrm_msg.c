/* check_xfrm_msg.c: xfrm_msg.h against the kernel's own bytes
 * (tests/data/xfrm/, recorded from the UML 6.1 kernel), build/parse round
 * trips of every message type, and truncated or malformed input. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "xfrm_fake.h"
#include "xfrm_msg.h"

#define MAXMSG 64

static const char *const fixtures[] = {
	"ours-sa-dump.bin", "ours-policy-dump.bin", "ours-stop-events.bin",
	"libreswan-sa-dump.bin", "libreswan-policy-dump.bin", "charon-sa-dump.bin",
	"charon-policy-dump.bin", "shunt-policy-dump.bin", "events-new.bin", "events-del.bin",
	"expire-sa.bin", "expire-policy.bin", "flush.bin", "error-getsa-esrch.bin",
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* A loaded fixture and its messages. */
struct fx {
	uint8_t *b;
	size_t len, n;
	struct fx_msg m[MAXMSG];
};

static void fx_open(struct fx *x, const char *name)
{
	x->b = fx_load(name, &x->len);
	x->n = fx_split(x->b, x->len, x->m, MAXMSG);
}

/* Parse message @i of @x, expecting @ret. */
static void fx_parse(const struct fx *x, size_t i, struct xm_msg *m, int ret)
{
	ck_assert_uint_lt(i, x->n);
	ck_assert_int_eq(xm_parse(x->m[i].p, x->m[i].len, m), ret);
}

static void ck_addr(const xfrm_address_t *a, unsigned family, const char *text)
{
	uint8_t want[16];

	ck_assert_int_eq(inet_pton(family, text, want), 1);
	ck_assert_mem_eq(a, want, xm_addr_len(family));
}

static void ck_key(const struct xm_alg *a, const char *name, uint32_t bits, uint32_t icv,
		   const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	ck_assert(a->present);
	ck_assert_str_eq(a->name, name);
	ck_assert_uint_eq(a->key_bits, bits);
	ck_assert_uint_eq(a->icv_bits, icv);
	ck_assert_uint_eq(n, (bits + 7) / 8);
	for (i = 0; i < n; i++) {
		unsigned byte;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &byte), 1);
		ck_assert_uint_eq(a->key[i], byte);
	}
}

static void ck_sel(const struct xfrm_selector *s, unsigned family, const char *src,
		   unsigned slen, const char *dst, unsigned dlen)
{
	ck_assert_uint_eq(s->family, family);
	ck_addr(&s->saddr, family, src);
	ck_addr(&s->daddr, family, dst);
	ck_assert_uint_eq(s->prefixlen_s, slen);
	ck_assert_uint_eq(s->prefixlen_d, dlen);
}

/* ---- the kernel's bytes ------------------------------------------------ */

/* spigrpd's own states after traffic: AH (ESN, align4 on IPv4), ESP, the
 * tunnel COMP state and the kernel-made IPIP / IPv6 state. */
START_TEST(ours_sa_dump)
{
	struct fx x;
	struct xm_msg m;
	size_t i;

	fx_open(&x, "ours-sa-dump.bin");
	ck_assert_uint_eq(x.n, 17);
	for (i = 0; i < 16; i++) {
		fx_parse(&x, i, &m, 0);
		ck_assert_uint_eq(m.type, XFRM_MSG_NEWSA);
		ck_assert(m.nlflags & NLM_F_MULTI);
	}
	fx_parse(&x, 16, &m, -EOPNOTSUPP); /* NLMSG_DONE */

	fx_parse(&x, 12, &m, 0); /* ah.187a101a@192.168.2.110 */
	ck_assert_uint_eq(m.sa.family, AF_INET);
	ck_assert_uint_eq(m.sa.proto, IPPROTO_AH);
	ck_assert_uint_eq(m.sa.spi, htonl(0x187a101a));
	ck_addr(&m.sa.daddr, AF_INET, "192.168.2.110");
	ck_addr(&m.sa.saddr, AF_INET, "192.168.2.100");
	ck_assert_uint_eq(m.sa.reqid, 0x53400000);
	ck_assert_uint_eq(m.sa.mode, XFRM_MODE_TRANSPORT);
	ck_assert_uint_eq(m.sa.flags, XFRM_STATE_ESN | XFRM_STATE_ALIGN4);
	ck_assert(m.sa.auth_trunc);
	ck_key(&m.sa.auth, "hmac(sha1)", 160, 96, "fedcba9876543210fedcba9876543210fedcba98");
	ck_assert(!m.sa.crypt.present && !m.sa.aead.present && !m.sa.comp.present);
	ck_assert(m.sa.has_replay_esn);
	ck_assert_uint_eq(m.sa.replay_esn.replay_window, 32);
	ck_assert_uint_eq(m.sa.replay_esn.bmp_len, 1);
	ck_assert_uint_eq(m.sa.replay_window, 0);
	ck_assert(m.sa.lft.hard_byte_limit == XFRM_INF);
	ck_assert_uint_eq(m.sa.sel.family, AF_INET); /* the kernel's default */

	fx_parse(&x, 13, &m, 0); /* esp.187a101b@192.168.2.110, outbound */
	ck_assert_uint_eq(m.sa.proto, IPPROTO_ESP);
	ck_key(&m.sa.crypt, "cbc(aes)", 128, 0, "0123456789abcdef0123456789abcdef");
	ck_key(&m.sa.auth, "hmac(sha256)", 256, 128,
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	ck_assert(m.sa.curlft.packets > 0);
	ck_assert(m.sa.curlft.bytes > 0);
	ck_assert(m.sa.replay_esn.oseq > 0);

	fx_parse(&x, 14, &m, 0); /* comp.3d0@192.168.2.110 */
	ck_assert_uint_eq(m.sa.proto, IPPROTO_COMP);
	ck_assert_uint_eq(m.sa.spi, htonl(0x3d0));
	ck_assert_uint_eq(m.sa.mode, XFRM_MODE_TUNNEL);
	ck_assert_uint_eq(m.sa.flags, XFRM_STATE_AF_UNSPEC);
	ck_assert_uint_eq(m.sa.sel.family, 0);
	ck_key(&m.sa.comp, "deflate", 0, 0, "");
	ck_assert_ptr_null(m.sa.comp.key);
	ck_assert(!m.sa.has_replay_esn);

	fx_parse(&x, 15, &m, 0); /* kernel-made IPIP: SPI = source address */
	ck_assert_uint_eq(m.sa.proto, IPPROTO_IPIP);
	ck_assert_uint_eq(m.sa.reqid, 0);
	ck_addr((const xfrm_address_t *)&m.sa.spi, AF_INET, "192.168.2.100");

	fx_parse(&x, 0, &m, 0); /* ah:187a101c@3049:1::1, inbound, IPv6: no align4 */
	ck_assert_uint_eq(m.sa.family, AF_INET6);
	ck_addr(&m.sa.daddr, AF_INET6, "3049:1::1");
	ck_assert_uint_eq(m.sa.flags, XFRM_STATE_ESN);
	ck_assert_uint_eq(m.sa.reqid, 0x53400003);
	fx_parse(&x, 3, &m, 0);
	ck_assert_uint_eq(m.sa.proto, IPPROTO_IPV6);
	free(x.b);
}
END_TEST

START_TEST(ours_policy_dump)
{
	struct fx x;
	struct xm_msg m;
	size_t i;

	fx_open(&x, "ours-policy-dump.bin");
	ck_assert_uint_eq(x.n, 13);
	fx_parse(&x, 12, &m, -EOPNOTSUPP);
	for (i = 0; i < 12; i++) {
		fx_parse(&x, i, &m, 0);
		ck_assert_uint_eq(m.type, XFRM_MSG_NEWPOLICY);
		ck_assert(m.sp.has_ptype);
		ck_assert_uint_eq(m.sp.ptype, XFRM_POLICY_TYPE_MAIN);
		ck_assert(!m.sp.has_mark || (!m.sp.mark.v && !m.sp.mark.m));
		ck_assert_uint_eq(m.sp.if_id, 0);
		ck_assert_uint_eq(m.sp.ntmpl, i < 6 ? 0 : 3);
	}
	fx_parse(&x, 0, &m, 0); /* drop6 out */
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(m.sp.action, XFRM_POLICY_BLOCK);
	ck_assert_uint_eq(m.sp.priority, 1033024);
	ck_assert_uint_eq(m.sp.index, 89);
	ck_sel(&m.sp.sel, AF_INET6, "fd00:9:1::", 64, "fd00:9:2::", 64);
	ck_assert(m.sp.lft.hard_byte_limit == XFRM_INF);

	fx_parse(&x, 6, &m, 0); /* seed6-reverse fwd */
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_FWD);
	ck_assert_uint_eq(m.sp.action, XFRM_POLICY_ALLOW);
	ck_assert_uint_eq(m.sp.tmpl[0].proto, IPPROTO_COMP);
	ck_assert_uint_eq(m.sp.tmpl[0].mode, XFRM_MODE_TUNNEL);
	ck_assert_uint_eq(m.sp.tmpl[0].optional, 1);
	ck_assert_uint_eq(m.sp.tmpl[0].family, AF_INET6);
	ck_addr(&m.sp.tmpl[0].daddr, AF_INET6, "3049:1::1");
	ck_addr(&m.sp.tmpl[0].saddr, AF_INET6, "3049:1::2");
	ck_assert_uint_eq(m.sp.tmpl[1].proto, IPPROTO_ESP);
	ck_assert_uint_eq(m.sp.tmpl[1].spi, 0);
	ck_assert_uint_eq(m.sp.tmpl[1].optional, 0);
	ck_assert_uint_eq(m.sp.tmpl[2].proto, IPPROTO_AH);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(m.sp.tmpl[i].reqid, 0x53400003);
		ck_assert_uint_eq(m.sp.tmpl[i].aalgos, ~0u);
		ck_assert_uint_eq(m.sp.tmpl[i].share, XFRM_SHARE_ANY);
	}
	fx_parse(&x, 11, &m, 0); /* seed4 out: SPIs pinned */
	ck_assert_uint_eq(m.sp.tmpl[0].spi, htonl(0x3d0));
	ck_assert_uint_eq(m.sp.tmpl[1].spi, htonl(0x187a101b));
	ck_assert_uint_eq(m.sp.tmpl[2].spi, htonl(0x187a101a));
	ck_assert_uint_eq(m.sp.priority, 1053504);
	free(x.b);
}
END_TEST

/* DELPOLICY: id + XFRMA_POLICY; DELSA: id + XFRMA_SA + attributes. */
START_TEST(ours_stop_events)
{
	struct fx x;
	struct xm_msg m;
	size_t i, ndelsa = 0, ndelpol = 0;

	fx_open(&x, "ours-stop-events.bin");
	ck_assert_uint_eq(x.n, 24);
	for (i = 0; i < x.n; i++) {
		fx_parse(&x, i, &m, 0);
		ck_assert(m.full);
		ndelsa += m.type == XFRM_MSG_DELSA;
		ndelpol += m.type == XFRM_MSG_DELPOLICY;
	}
	ck_assert_uint_eq(ndelsa, 12);
	ck_assert_uint_eq(ndelpol, 12);
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(m.sp.priority, 1033024);
	ck_assert_uint_eq(m.sp.index, 89);
	ck_sel(&m.sp.sel, AF_INET6, "fd00:9:1::", 64, "fd00:9:2::", 64);
	fx_parse(&x, 23, &m, 0); /* comp.3d0@192.168.2.110 */
	ck_assert_uint_eq(m.type, XFRM_MSG_DELSA);
	ck_assert_uint_eq(m.sa.proto, IPPROTO_COMP);
	ck_assert_uint_eq(m.sa.spi, htonl(0x3d0));
	ck_assert_uint_eq(m.sa.reqid, 0x53400000);
	ck_addr(&m.sa.daddr, AF_INET, "192.168.2.110");
	ck_key(&m.sa.comp, "deflate", 0, 0, "");
	fx_parse(&x, 22, &m, 0);
	ck_key(&m.sa.crypt, "cbc(aes)", 128, 0, "0123456789abcdef0123456789abcdef");
	free(x.b);
}
END_TEST

/* libreswan: COMP and ESP with separate reqids; ESN window 128. */
START_TEST(libreswan_bundle)
{
	struct fx x;
	struct xm_msg m;

	fx_open(&x, "libreswan-sa-dump.bin");
	ck_assert_uint_eq(x.n, 7);
	fx_parse(&x, 3, &m, 0);
	ck_assert_uint_eq(m.sa.spi, htonl(0x8c1f0a01));
	ck_assert_uint_eq(m.sa.reqid, 16389);
	ck_assert_uint_eq(m.sa.flags, XFRM_STATE_ESN);
	ck_assert_uint_eq(m.sa.replay_esn.replay_window, 128);
	ck_assert_uint_eq(m.sa.replay_esn.bmp_len, 4);
	ck_key(&m.sa.crypt, "cbc(aes)", 256, 0,
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	ck_key(&m.sa.auth, "hmac(sha256)", 256, 128,
	       "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
	fx_parse(&x, 4, &m, 0);
	ck_assert_uint_eq(m.sa.proto, IPPROTO_COMP);
	ck_assert_uint_eq(m.sa.reqid, 16390);
	ck_assert_uint_eq(m.sa.spi, htonl(0x3e81));
	free(x.b);

	fx_open(&x, "libreswan-policy-dump.bin");
	ck_assert_uint_eq(x.n, 4);
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_FWD);
	ck_assert_uint_eq(m.sp.priority, 2084814);
	ck_assert_uint_eq(m.sp.ntmpl, 2);
	ck_assert_uint_eq(m.sp.tmpl[0].reqid, 16390);
	ck_assert_uint_eq(m.sp.tmpl[0].optional, 1);
	ck_assert_uint_eq(m.sp.tmpl[1].reqid, 16389);
	ck_assert_uint_eq(m.sp.tmpl[1].mode, XFRM_MODE_TRANSPORT);
	fx_parse(&x, 2, &m, 0);
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_OUT);
	ck_assert_uint_eq(m.sp.tmpl[0].optional, 0);
	free(x.b);
}
END_TEST

/* charon: AEAD, lifetimes, mark and if_id. */
START_TEST(charon_children)
{
	struct fx x;
	struct xm_msg m;

	fx_open(&x, "charon-sa-dump.bin");
	ck_assert_uint_eq(x.n, 5);
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.sa.family, AF_INET6);
	ck_assert(m.sa.has_mark);
	ck_assert_uint_eq(m.sa.mark.v, 0x2a);
	ck_assert_uint_eq(m.sa.mark.m, 0xff);
	ck_assert_uint_eq(m.sa.if_id, 7);
	ck_key(&m.sa.aead, "rfc4106(gcm(aes))", 288, 128,
	       "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5ff0f1f2f3");
	ck_assert(!m.sa.crypt.present && !m.sa.auth.present);
	fx_parse(&x, 3, &m, 0); /* 203.0.113.5 -> .9, outbound, window 0 */
	ck_assert_uint_eq(m.sa.spi, htonl(0xc8a1b2c3));
	ck_assert_uint_eq(m.sa.flags, XFRM_STATE_AF_UNSPEC);
	ck_assert(m.sa.lft.soft_add_expires_seconds == 3236);
	ck_assert(m.sa.lft.hard_add_expires_seconds == 3600);
	ck_key(&m.sa.aead, "rfc4106(gcm(aes))", 160, 128, "000102030405060708090a0b0c0d0e0fc0c1c2c3");
	ck_assert(!m.sa.has_mark && !m.sa.if_id);
	fx_parse(&x, 2, &m, 0); /* inbound: the legacy window */
	ck_assert_uint_eq(m.sa.replay_window, 32);
	ck_assert(m.sa.has_replay);
	ck_assert(!m.sa.has_replay_esn);
	free(x.b);

	fx_open(&x, "charon-policy-dump.bin");
	ck_assert_uint_eq(x.n, 6);
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.sp.priority, 366975);
	ck_assert(m.sp.has_mark);
	ck_assert_uint_eq(m.sp.mark.v, 0x2a);
	ck_assert_uint_eq(m.sp.if_id, 7);
	ck_assert_uint_eq(m.sp.tmpl[0].reqid, 2);
	fx_parse(&x, 4, &m, 0);
	ck_assert_uint_eq(m.sp.priority, 375423);
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_OUT);
	ck_sel(&m.sp.sel, AF_INET, "10.3.0.0", 16, "10.4.0.0", 16);
	free(x.b);
}
END_TEST

START_TEST(shunts_by_hand)
{
	struct fx x;
	struct xm_msg m;

	fx_open(&x, "shunt-policy-dump.bin");
	ck_assert_uint_eq(x.n, 4);
	fx_parse(&x, 1, &m, 0);
	ck_assert_uint_eq(m.sp.priority, 500);
	ck_assert_uint_eq(m.sp.sel.proto, IPPROTO_TCP);
	ck_assert_uint_eq(m.sp.sel.dport, htons(22));
	ck_assert_uint_eq(m.sp.sel.dport_mask, 0xffff);
	ck_assert_uint_eq(m.sp.ntmpl, 0);
	fx_parse(&x, 2, &m, 0);
	ck_assert_uint_eq(m.sp.action, XFRM_POLICY_BLOCK);
	ck_assert_uint_eq(m.sp.priority, 1065792);
	free(x.b);
}
END_TEST

START_TEST(events_and_expires)
{
	struct fx x;
	struct xm_msg m;

	fx_open(&x, "events-new.bin");
	ck_assert_uint_eq(x.n, 3);
	fx_parse(&x, 2, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_UPDPOLICY);
	ck_assert_uint_eq(m.sp.priority, 1065793);
	free(x.b);

	fx_open(&x, "events-del.bin");
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_DELPOLICY);
	ck_assert(m.full);
	ck_assert_uint_eq(m.sp.priority, 1065793);
	ck_assert_uint_eq(m.sp.dir, XFRM_POLICY_OUT);
	ck_sel(&m.sp.sel, AF_INET, "10.7.1.0", 24, "10.7.2.0", 24);
	fx_parse(&x, 1, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_DELSA);
	ck_assert_uint_eq(m.sa.spi, htonl(0x187a2001));
	ck_assert_uint_eq(m.sa.reqid, 0x53400007);
	free(x.b);

	fx_open(&x, "expire-sa.bin");
	fx_parse(&x, 1, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_EXPIRE);
	ck_assert(!m.hard);
	ck_assert_uint_eq(m.sa.spi, htonl(0x187a3001));
	ck_assert(m.sa.lft.hard_add_expires_seconds == 2);
	fx_parse(&x, 2, &m, 0);
	ck_assert(m.hard);
	free(x.b);

	fx_open(&x, "expire-policy.bin");
	fx_parse(&x, 1, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_POLEXPIRE);
	ck_assert(!m.hard);
	ck_assert_uint_eq(m.sp.ntmpl, 1);
	fx_parse(&x, 2, &m, 0);
	ck_assert(m.hard);
	ck_assert_uint_eq(m.sp.tmpl[0].reqid, 0x53400008);
	free(x.b);

	fx_open(&x, "flush.bin");
	ck_assert_uint_eq(x.n, 3);
	fx_parse(&x, 0, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_FLUSHSA);
	ck_assert_uint_eq(m.flush_proto, IPPROTO_ESP);
	fx_parse(&x, 1, &m, 0);
	ck_assert_uint_eq(m.flush_proto, 0);
	fx_parse(&x, 2, &m, 0);
	ck_assert_uint_eq(m.type, XFRM_MSG_FLUSHPOLICY);
	ck_assert(m.sp.has_ptype);
	free(x.b);

	fx_open(&x, "error-getsa-esrch.bin");
	fx_parse(&x, 0, &m, -EOPNOTSUPP); /* NLMSG_ERROR is nlsock's */
	free(x.b);
}
END_TEST

/* The two files cut on purpose, and a header claiming more than given. */
START_TEST(truncated_fixtures)
{
	struct fx x;
	struct xm_msg m;
	uint8_t *c;
	uint32_t l;

	fx_open(&x, "truncated-attr.bin");
	ck_assert_uint_eq(x.len, 378);
	ck_assert_int_eq(xm_parse(x.b, x.len, &m), -EINVAL);
	/* said to be as long as it is: the last attribute runs past it */
	c = malloc(x.len);
	memcpy(c, x.b, x.len);
	l = (uint32_t)x.len;
	memcpy(c, &l, sizeof(l));
	ck_assert_int_eq(xm_parse(c, x.len, &m), -EINVAL);
	free(c);
	free(x.b);

	fx_open(&x, "truncated-hdr.bin");
	ck_assert_uint_eq(x.len, 12);
	ck_assert_int_eq(xm_parse(x.b, x.len, &m), -EINVAL);
	free(x.b);
	ck_assert_int_eq(xm_parse(NULL, 100, &m), -EINVAL);
}
END_TEST

/* Every prefix of every recorded message: given fewer bytes than its
 * header says, -EINVAL; with the header saying so too, -EINVAL or a valid
 * shorter message, never a read past the bytes (exact-size copies, so
 * ASan/valgrind see any). */
START_TEST(every_cut)
{
	struct fx x;
	size_t i, cut;

	fx_open(&x, fixtures[_i]);
	for (i = 0; i < x.n; i++) {
		uint32_t full;

		if (x.m[i].len < NLMSG_HDRLEN)
			continue;
		memcpy(&full, x.m[i].p, sizeof(full));
		for (cut = 0; cut < full; cut++) {
			uint8_t *c = malloc(cut ? cut : 1);
			struct xm_msg m;
			uint32_t l = (uint32_t)cut;
			int r;

			memcpy(c, x.m[i].p, cut);
			ck_assert_int_eq(xm_parse(c, cut, &m), -EINVAL);
			if (cut >= sizeof(l)) {
				memcpy(c, &l, sizeof(l));
				r = xm_parse(c, cut, &m);
				ck_assert(r == 0 || r == -EINVAL || r == -EOPNOTSUPP);
			}
			free(c);
		}
	}
	free(x.b);
}
END_TEST

/* ---- round trips -------------------------------------------------------- */

static bool alg_eq(const struct xm_alg *a, const struct xm_alg *b)
{
	size_t k = (a->key_bits + 7) / 8;

	return a->present == b->present && !strcmp(a->name, b->name) &&
	       a->key_bits == b->key_bits && a->icv_bits == b->icv_bits &&
	       (!k || !memcmp(a->key, b->key, k));
}

static void ck_state_eq(const struct xm_state *a, const struct xm_state *b)
{
	ck_assert_uint_eq(a->family, b->family);
	ck_assert_mem_eq(&a->daddr, &b->daddr, sizeof(a->daddr));
	ck_assert_mem_eq(&a->saddr, &b->saddr, sizeof(a->saddr));
	ck_assert_uint_eq(a->spi, b->spi);
	ck_assert_uint_eq(a->proto, b->proto);
	ck_assert_uint_eq(a->mode, b->mode);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->replay_window, b->replay_window);
	ck_assert_uint_eq(a->reqid, b->reqid);
	ck_assert_uint_eq(a->seq, b->seq);
	ck_assert(xm_sel_equal(&a->sel, &b->sel));
	ck_assert_mem_eq(&a->lft, &b->lft, sizeof(a->lft));
	ck_assert_mem_eq(&a->curlft, &b->curlft, sizeof(a->curlft));
	ck_assert_mem_eq(&a->stats, &b->stats, sizeof(a->stats));
	ck_assert(alg_eq(&a->crypt, &b->crypt) && alg_eq(&a->auth, &b->auth));
	ck_assert(alg_eq(&a->aead, &b->aead) && alg_eq(&a->comp, &b->comp));
	ck_assert_uint_eq(a->auth_trunc, b->auth_trunc);
	ck_assert_uint_eq(a->has_replay_esn, b->has_replay_esn);
	ck_assert_mem_eq(&a->replay_esn, &b->replay_esn, sizeof(a->replay_esn));
	ck_assert_uint_eq(a->has_replay, b->has_replay);
	ck_assert_mem_eq(&a->replay, &b->replay, sizeof(a->replay));
	ck_assert_uint_eq(a->has_mark, b->has_mark);
	ck_assert_mem_eq(&a->mark, &b->mark, sizeof(a->mark));
	ck_assert_uint_eq(a->has_encap, b->has_encap);
	ck_assert_mem_eq(&a->encap, &b->encap, sizeof(a->encap));
	ck_assert_uint_eq(a->has_coaddr, b->has_coaddr);
	ck_assert_mem_eq(&a->coaddr, &b->coaddr, sizeof(a->coaddr));
	ck_assert_uint_eq(a->has_sec_ctx, b->has_sec_ctx);
	ck_assert_uint_eq(a->if_id, b->if_id);
	ck_assert_uint_eq(a->extra_flags, b->extra_flags);
	ck_assert_uint_eq(a->tfcpad, b->tfcpad);
	ck_assert(a->lastused == b->lastused);
}

static void ck_policy_eq(const struct xm_policy *a, const struct xm_policy *b)
{
	unsigned i;

	ck_assert(xm_sel_equal(&a->sel, &b->sel));
	ck_assert_mem_eq(&a->lft, &b->lft, sizeof(a->lft));
	ck_assert_mem_eq(&a->curlft, &b->curlft, sizeof(a->curlft));
	ck_assert_uint_eq(a->priority, b->priority);
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->dir, b->dir);
	ck_assert_uint_eq(a->action, b->action);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->share, b->share);
	ck_assert_uint_eq(a->has_ptype, b->has_ptype);
	ck_assert_uint_eq(a->ptype, b->ptype);
	ck_assert_uint_eq(a->has_mark, b->has_mark);
	ck_assert_mem_eq(&a->mark, &b->mark, sizeof(a->mark));
	ck_assert_uint_eq(a->has_sec_ctx, b->has_sec_ctx);
	ck_assert_uint_eq(a->if_id, b->if_id);
	ck_assert_uint_eq(a->ntmpl, b->ntmpl);
	for (i = 0; i < a->ntmpl; i++)
		ck_assert_mem_eq(&a->tmpl[i], &b->tmpl[i], sizeof(a->tmpl[i]));
}

static void ck_msg_eq(const struct xm_msg *a, const struct xm_msg *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->nlflags, b->nlflags);
	ck_assert_uint_eq(a->seq, b->seq);
	ck_assert_uint_eq(a->pid, b->pid);
	ck_assert_uint_eq(a->full, b->full);
	ck_assert_uint_eq(a->hard, b->hard);
	ck_assert_uint_eq(a->flush_proto, b->flush_proto);
	switch (a->type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_GETSA:
	case XFRM_MSG_EXPIRE:
		ck_state_eq(&a->sa, &b->sa);
		break;
	default:
		ck_policy_eq(&a->sp, &b->sp);
		break;
	}
}

/* parse(build(m)) == m, and build(parse(build(m))) == build(m). */
static void round_trip(const struct xm_msg *m)
{
	struct nlmsghdr *h1, *h2;
	struct xm_msg p;

	ck_assert_int_eq(xm_build(m, &h1), 0);
	ck_assert_uint_eq((uintptr_t)h1 % 8, 0);
	ck_assert_uint_eq(h1->nlmsg_len % 4, 0);
	ck_assert_uint_eq(h1->nlmsg_type, m->type);
	ck_assert_int_eq(xm_parse(h1, h1->nlmsg_len, &p), 0);
	ck_msg_eq(m, &p);
	ck_assert_int_eq(xm_build(&p, &h2), 0);
	ck_assert_uint_eq(h1->nlmsg_len, h2->nlmsg_len);
	ck_assert_mem_eq(h1, h2, h1->nlmsg_len);
	xm_free(h1);
	xm_free(h2);
}

/* Every XFRM message the kernel sent, parsed, built again and parsed. */
START_TEST(fixture_round_trips)
{
	struct fx x;
	size_t i, n = 0;

	fx_open(&x, fixtures[_i]);
	for (i = 0; i < x.n; i++) {
		struct xm_msg m;

		if (xm_parse(x.m[i].p, x.m[i].len, &m))
			continue;
		round_trip(&m);
		n++;
	}
	ck_assert_uint_gt(n + (_i == NFIXTURES - 1), 0); /* the error file has none */
	free(x.b);
}
END_TEST

static const uint8_t key20[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static void a_state(struct xm_state *s)
{
	memset(s, 0, sizeof(*s));
	s->family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &s->daddr);
	inet_pton(AF_INET, "192.0.2.2", &s->saddr);
	s->spi = htonl(0x1234);
	s->proto = IPPROTO_ESP;
	s->mode = XFRM_MODE_TUNNEL;
	s->reqid = 0x53400001;
	s->lft.hard_byte_limit = XFRM_INF;
	s->crypt.present = true;
	strcpy(s->crypt.name, "cbc(aes)");
	s->crypt.key_bits = 128;
	s->crypt.key = key20;
	s->auth.present = true;
	s->auth_trunc = true;
	strcpy(s->auth.name, "hmac(sha1)");
	s->auth.key_bits = 160;
	s->auth.icv_bits = 96;
	s->auth.key = key20;
}

static void a_policy(struct xm_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->sel.family = AF_INET6;
	inet_pton(AF_INET6, "fd00:1::", &p->sel.saddr);
	inet_pton(AF_INET6, "fd00:2::", &p->sel.daddr);
	p->sel.prefixlen_s = p->sel.prefixlen_d = 64;
	p->dir = XFRM_POLICY_OUT;
	p->priority = 1000042;
	p->ntmpl = 2;
	p->tmpl[0].family = AF_INET;
	p->tmpl[0].proto = IPPROTO_COMP;
	p->tmpl[0].mode = XFRM_MODE_TUNNEL;
	p->tmpl[1].family = AF_INET;
	p->tmpl[1].proto = IPPROTO_ESP;
	p->tmpl[1].spi = htonl(7);
	p->tmpl[1].aalgos = ~0u;
}

/* Every state message type, every optional part, built from structs. */
START_TEST(built_state_round_trips)
{
	static const uint16_t sa_types[] = { XFRM_MSG_NEWSA, XFRM_MSG_UPDSA, XFRM_MSG_DELSA,
					     XFRM_MSG_GETSA, XFRM_MSG_EXPIRE };
	struct xm_msg m;
	size_t i;

	for (i = 0; i < sizeof(sa_types) / sizeof(sa_types[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.type = sa_types[i];
		m.seq = 42;
		m.pid = 7;
		m.hard = m.type == XFRM_MSG_EXPIRE;
		a_state(&m.sa);
		if (m.type == XFRM_MSG_DELSA || m.type == XFRM_MSG_GETSA) {
			struct xm_state s = m.sa;

			/* an id only carries the key (and the mark) */
			memset(&m.sa, 0, sizeof(m.sa));
			m.sa.family = s.family;
			m.sa.daddr = s.daddr;
			m.sa.spi = s.spi;
			m.sa.proto = s.proto;
			m.sa.has_mark = true;
			m.sa.mark.v = 5;
			m.sa.mark.m = 0xff;
			round_trip(&m);
			m.full = true;
			m.sa = s;
		}
		round_trip(&m);
		m.sa.has_replay_esn = true;
		m.sa.replay_esn = (struct xm_replay_esn){ 4, 1, 2, 3, 4, 128 };
		m.sa.has_replay = true;
		m.sa.replay.oseq = 9;
		m.sa.has_mark = true;
		m.sa.mark.v = 1;
		m.sa.has_encap = true;
		m.sa.encap.encap_type = 2;
		m.sa.encap.encap_sport = htons(4500);
		m.sa.has_coaddr = true;
		m.sa.has_sec_ctx = true;
		m.sa.if_id = 3;
		m.sa.extra_flags = XFRM_SA_XFLAG_DONT_ENCAP_DSCP;
		m.sa.tfcpad = 64;
		m.sa.lastused = 1700000000;
		m.sa.aead = m.sa.crypt;
		m.sa.aead.icv_bits = 128;
		m.sa.comp.present = true;
		strcpy(m.sa.comp.name, "deflate");
		m.sa.auth_trunc = false;
		m.sa.auth.icv_bits = 0;
		m.sa.curlft.packets = 12;
		m.sa.stats.integrity_failed = 3;
		round_trip(&m);
	}
	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_FLUSHSA;
	m.flush_proto = IPPROTO_AH;
	round_trip(&m);
}
END_TEST

/* Every policy message type, every optional part. */
START_TEST(built_policy_round_trips)
{
	static const uint16_t sp_types[] = { XFRM_MSG_NEWPOLICY, XFRM_MSG_UPDPOLICY,
					     XFRM_MSG_DELPOLICY, XFRM_MSG_GETPOLICY,
					     XFRM_MSG_POLEXPIRE };
	struct xm_msg m;
	size_t i;

	for (i = 0; i < sizeof(sp_types) / sizeof(sp_types[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.type = sp_types[i];
		m.hard = m.type == XFRM_MSG_POLEXPIRE;
		a_policy(&m.sp);
		if (m.type == XFRM_MSG_DELPOLICY || m.type == XFRM_MSG_GETPOLICY) {
			struct xm_policy p = m.sp;

			memset(&m.sp, 0, sizeof(m.sp));
			m.sp.sel = p.sel;
			m.sp.dir = p.dir;
			m.sp.index = 17;
			m.sp.has_ptype = true;
			m.sp.ptype = XFRM_POLICY_TYPE_SUB;
			m.sp.has_mark = true;
			m.sp.mark.v = 1;
			m.sp.if_id = 4;
			round_trip(&m);
			m.full = true;
			m.sp = p;
		}
		round_trip(&m);
		m.sp.has_ptype = true;
		m.sp.has_mark = true;
		m.sp.mark.m = 0xf;
		m.sp.has_sec_ctx = true;
		m.sp.if_id = 9;
		m.sp.ntmpl = XM_MAX_TMPL;
		round_trip(&m);
	}
	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_FLUSHPOLICY;
	round_trip(&m);
	m.sp.has_ptype = true;
	m.sp.ptype = XFRM_POLICY_TYPE_SUB;
	round_trip(&m);
}
END_TEST

/* Dump requests: a bare header with NLM_F_DUMP. */
START_TEST(dump_requests)
{
	struct xm_msg m = { .type = XFRM_MSG_GETPOLICY, .nlflags = NLM_F_DUMP }, p;
	struct nlmsghdr *h;

	ck_assert_int_eq(xm_build(&m, &h), 0);
	ck_assert_uint_eq(h->nlmsg_len, NLMSG_HDRLEN);
	ck_assert_int_eq(xm_parse(h, h->nlmsg_len, &p), 0);
	ck_assert_uint_eq(p.type, XFRM_MSG_GETPOLICY);
	ck_assert_uint_eq(p.nlflags, NLM_F_DUMP);
	xm_free(h);
	m.type = XFRM_MSG_GETSA;
	ck_assert_int_eq(xm_build(&m, &h), 0);
	ck_assert_uint_eq(h->nlmsg_len, NLMSG_HDRLEN);
	xm_free(h);
	/* without NLM_F_DUMP a GETSA needs its id */
	m.nlflags = 0;
	ck_assert_int_eq(xm_build(&m, &h), 0);
	ck_assert_uint_eq(h->nlmsg_len, NLMSG_LENGTH(sizeof(struct xfrm_usersa_id)));
	h->nlmsg_len = NLMSG_HDRLEN;
	ck_assert_int_eq(xm_parse(h, NLMSG_HDRLEN, &p), -EINVAL);
	xm_free(h);
	xm_free(NULL);
}
END_TEST

/* ---- malformed input ---------------------------------------------------- */

/* A NEWSA with one attribute whose payload is @len bytes at @p (type @t),
 * in an exact-size buffer.  *@alen: offset of the attribute header. */
static uint8_t *sa_with_attr(uint16_t t, const void *p, size_t len, size_t *total, size_t *aoff)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_usersa_info));
	size_t n = off + NLA_HDRLEN + len;
	uint8_t *b = calloc(1, n);
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)n, .nlmsg_type = XFRM_MSG_NEWSA };
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = t };

	memcpy(b, &h, sizeof(h));
	memcpy(b + off, &a, sizeof(a));
	memcpy(b + off + NLA_HDRLEN, p, len);
	*total = n;
	*aoff = off;
	return b;
}

static int parse_sa_attr(uint16_t t, const void *p, size_t len)
{
	size_t n, off;
	uint8_t *b = sa_with_attr(t, p, len, &n, &off);
	struct xm_msg m;
	int r = xm_parse(b, n, &m);

	free(b);
	return r;
}

START_TEST(malformed_attrs)
{
	uint8_t buf[200];
	struct xfrm_algo_auth aa;
	struct xm_replay_esn esn = { .bmp_len = 1000, .replay_window = 32000 };
	struct xm_msg m;
	size_t n, off;
	uint8_t *b;

	/* a good one first */
	memset(&aa, 0, sizeof(aa));
	strcpy(aa.alg_name, "hmac(sha1)");
	aa.alg_key_len = 160;
	memcpy(buf, &aa, sizeof(aa));
	memcpy(buf + sizeof(aa), key20, 20);
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_AUTH_TRUNC, buf, sizeof(aa) + 20), 0);
	/* the key longer than the attribute */
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_AUTH_TRUNC, buf, sizeof(aa) + 19), -EINVAL);
	/* a header too short for its type */
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_AUTH_TRUNC, buf, 70), -EINVAL);
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_CRYPT, buf, 60), -EINVAL);
	/* a key length that overflows 32 bits when rounded up */
	aa.alg_key_len = 0xffffffffu;
	memcpy(buf, &aa, sizeof(aa));
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_AUTH_TRUNC, buf, sizeof(aa) + 20), -EINVAL);
	/* a name without NUL */
	memset(buf, 'a', 64);
	memset(buf + 64, 0, 8);
	ck_assert_int_eq(parse_sa_attr(XFRMA_ALG_CRYPT, buf, 72), -EINVAL);
	/* short fixed-size attributes */
	ck_assert_int_eq(parse_sa_attr(XFRMA_MARK, buf, 4), -EINVAL);
	ck_assert_int_eq(parse_sa_attr(XFRMA_IF_ID, buf, 2), -EINVAL);
	ck_assert_int_eq(parse_sa_attr(XFRMA_ENCAP, buf, 10), -EINVAL);
	ck_assert_int_eq(parse_sa_attr(XFRMA_SEC_CTX, buf, 4), -EINVAL);
	ck_assert_int_eq(parse_sa_attr(XFRMA_REPLAY_ESN_VAL, buf, 20), -EINVAL);
	/* a replay bitmap longer than its attribute */
	ck_assert_int_eq(parse_sa_attr(XFRMA_REPLAY_ESN_VAL, &esn, sizeof(esn)), -EINVAL);
	esn.bmp_len = 0;
	ck_assert_int_eq(parse_sa_attr(XFRMA_REPLAY_ESN_VAL, &esn, sizeof(esn)), 0);
	/* an unknown attribute type is skipped */
	ck_assert_int_eq(parse_sa_attr(200, buf, 3), 0);

	/* attribute lengths: below its header, past the message */
	b = sa_with_attr(XFRMA_MARK, buf, 8, &n, &off);
	b[off] = 3;
	ck_assert_int_eq(xm_parse(b, n, &m), -EINVAL);
	b[off] = 13;
	ck_assert_int_eq(xm_parse(b, n, &m), -EINVAL);
	b[off] = 12;
	ck_assert_int_eq(xm_parse(b, n, &m), 0);
	/* the header's own length: short, or more than the buffer */
	((struct nlmsghdr *)b)->nlmsg_len = 15;
	ck_assert_int_eq(xm_parse(b, n, &m), -EINVAL);
	((struct nlmsghdr *)b)->nlmsg_len = (uint32_t)n + 4;
	ck_assert_int_eq(xm_parse(b, n, &m), -EINVAL);
	/* too short for its fixed header */
	((struct nlmsghdr *)b)->nlmsg_len = NLMSG_HDRLEN + 100;
	ck_assert_int_eq(xm_parse(b, n, &m), -EINVAL);
	/* another message type */
	((struct nlmsghdr *)b)->nlmsg_len = (uint32_t)n;
	((struct nlmsghdr *)b)->nlmsg_type = XFRM_MSG_REPORT;
	ck_assert_int_eq(xm_parse(b, n, &m), -EOPNOTSUPP);
	free(b);
}
END_TEST

/* Headers of the other layouts: an id's info attribute too short,
 * templates, a policy type, a flush without its byte. */
START_TEST(malformed_headers)
{
	struct xfrm_user_tmpl t[7];
	struct xm_msg m;

	/* XFRMA_SA inside a DELSA too short for a usersa_info */
	{
		uint8_t d[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_usersa_id)) + NLA_HDRLEN + 100];
		struct nlmsghdr h = { .nlmsg_len = sizeof(d), .nlmsg_type = XFRM_MSG_DELSA };
		struct nlattr a = { .nla_len = NLA_HDRLEN + 100, .nla_type = XFRMA_SA };

		memset(d, 0, sizeof(d));
		memcpy(d, &h, sizeof(h));
		memcpy(d + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_usersa_id)), &a, sizeof(a));
		ck_assert_int_eq(xm_parse(d, sizeof(d), &m), -EINVAL);
		h.nlmsg_type = XFRM_MSG_DELPOLICY;
		a.nla_type = XFRMA_POLICY;
		memcpy(d, &h, sizeof(h));
		ck_assert_int_eq(xm_parse(d, sizeof(d), &m), -EINVAL);
	}

	/* templates: not a whole number of them, or more than XM_MAX_TMPL */
	{
		size_t pl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_userpolicy_info));
		uint8_t *p = calloc(1, pl + NLA_HDRLEN + sizeof(t));
		struct nlmsghdr h = { .nlmsg_type = XFRM_MSG_NEWPOLICY };
		struct nlattr a = { .nla_type = XFRMA_TMPL };

		memset(t, 0, sizeof(t));
		for (size_t k = 0; k < 3; k++) {
			static const size_t cnt[] = { 6 * sizeof(t[0]), 7 * sizeof(t[0]),
						      sizeof(t[0]) + 4 };
			static const int want[] = { 0, -EINVAL, -EINVAL };

			a.nla_len = (uint16_t)(NLA_HDRLEN + cnt[k]);
			h.nlmsg_len = (uint32_t)(pl + a.nla_len);
			memcpy(p, &h, sizeof(h));
			memcpy(p + pl, &a, sizeof(a));
			ck_assert_int_eq(xm_parse(p, h.nlmsg_len, &m), want[k]);
			if (!want[k])
				ck_assert_uint_eq(m.sp.ntmpl, 6);
		}
		/* a short policy type */
		a.nla_type = XFRMA_POLICY_TYPE;
		a.nla_len = NLA_HDRLEN + 2;
		h.nlmsg_len = (uint32_t)(pl + NLA_ALIGN(a.nla_len));
		memcpy(p, &h, sizeof(h));
		memcpy(p + pl, &a, sizeof(a));
		ck_assert_int_eq(xm_parse(p, h.nlmsg_len, &m), -EINVAL);
		free(p);
	}
	/* FLUSHSA without its byte */
	{
		struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = XFRM_MSG_FLUSHSA };

		ck_assert_int_eq(xm_parse(&h, sizeof(h), &m), -EINVAL);
		h.nlmsg_type = XFRM_MSG_FLUSHPOLICY;
		ck_assert_int_eq(xm_parse(&h, sizeof(h), &m), 0);
	}
}
END_TEST

/* What xm_build() refuses. */
START_TEST(build_errors)
{
	static uint8_t big[70000];
	struct xm_msg m;
	struct nlmsghdr *h = (void *)1;

	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_NEWSA;
	a_state(&m.sa);
	memset(m.sa.crypt.name, 'x', sizeof(m.sa.crypt.name)); /* no room for the NUL */
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);
	ck_assert_ptr_null(h);
	a_state(&m.sa);
	m.sa.auth.key = NULL; /* bits without bytes */
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);
	a_state(&m.sa);
	m.sa.crypt.key = big; /* an attribute longer than 64 KiB */
	m.sa.crypt.key_bits = sizeof(big) * 8;
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);
	a_state(&m.sa);
	m.sa.has_replay_esn = true;
	m.sa.replay_esn.bmp_len = 20000;
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);

	memset(&m, 0, sizeof(m));
	m.type = XFRM_MSG_NEWPOLICY;
	a_policy(&m.sp);
	m.sp.ntmpl = XM_MAX_TMPL + 1;
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);
	m.sp.ntmpl = 1;
	m.type = XFRM_MSG_ACQUIRE;
	ck_assert_int_eq(xm_build(&m, &h), -EINVAL);
	m.type = XFRM_MSG_NEWPOLICY;
	ck_assert_int_eq(xm_build(&m, &h), 0);
	xm_free(h);
}
END_TEST

/* ---- keys ---------------------------------------------------------------- */

/* The inbound sequence number (the window's top): seq_hi:seq with ESN,
 * seq of either attribute without, 0 without both; never the oseq. */
START_TEST(iseq_read)
{
	struct xm_state s = { 0 };

	ck_assert_uint_eq(xm_state_iseq(&s), 0);
	s.has_replay = true;
	s.replay.seq = 17;
	s.replay.oseq = 99;
	ck_assert_uint_eq(xm_state_iseq(&s), 17);
	s.has_replay_esn = true;
	s.replay_esn.seq = 5;
	s.replay_esn.seq_hi = 2;
	s.replay_esn.oseq = 98;
	ck_assert_uint_eq(xm_state_iseq(&s), 5);
	s.flags |= XFRM_STATE_ESN;
	ck_assert_uint_eq(xm_state_iseq(&s), (2ull << 32) | 5);
}
END_TEST

/* The outbound sequence number: read from the kernel's dumps (ESN and
 * legacy), set before NEWSA and read back from the built bytes. */
START_TEST(oseq_read_and_set)
{
	struct xm_msg m, back;
	struct nlmsghdr *h;
	struct fx x;

	fx_open(&x, "ours-sa-dump.bin");
	fx_parse(&x, 13, &m, 0); /* esp.187a101b@192.168.2.110: ESN, sent packets */
	ck_assert(m.sa.flags & XFRM_STATE_ESN);
	ck_assert_uint_gt(m.sa.replay_esn.oseq, 0);
	ck_assert_uint_eq(xm_state_oseq(&m.sa),
			  (uint64_t)m.sa.replay_esn.oseq_hi << 32 | m.sa.replay_esn.oseq);
	fx_parse(&x, 14, &m, 0); /* comp: no replay state of its own */
	ck_assert(!m.sa.has_replay_esn);
	free(x.b);
	fx_open(&x, "charon-sa-dump.bin");
	fx_parse(&x, 3, &m, 0); /* charon's outbound ESP, no ESN */
	ck_assert(!(m.sa.flags & XFRM_STATE_ESN));
	ck_assert(m.sa.has_replay || m.sa.has_replay_esn);
	ck_assert_uint_eq(xm_state_oseq(&m.sa),
			  m.sa.has_replay_esn ? m.sa.replay_esn.oseq : m.sa.replay.oseq);
	free(x.b);

	/* ESN: 64 bits over oseq_hi:oseq */
	fx_open(&x, "ours-sa-dump.bin");
	fx_parse(&x, 13, &m, 0);
	m.type = XFRM_MSG_NEWSA;
	m.nlflags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, 0x100000005ull), 0);
	ck_assert_int_eq(xm_build(&m, &h), 0);
	ck_assert_int_eq(xm_parse(h, h->nlmsg_len, &back), 0);
	ck_assert_uint_eq(back.sa.replay_esn.oseq_hi, 1);
	ck_assert_uint_eq(back.sa.replay_esn.oseq, 5);
	ck_assert_uint_eq(xm_state_oseq(&back.sa), 0x100000005ull);
	xm_free(h);
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, UINT64_MAX - 1), 0);
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, UINT64_MAX), -ERANGE);
	m.sa.has_replay_esn = false;
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, 7), -EINVAL);

	/* no ESN, window in the header: an XFRMA_REPLAY_VAL is added */
	m.sa.flags &= (uint8_t)~XFRM_STATE_ESN;
	m.sa.replay_window = 32;
	m.sa.has_replay = false;
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, 1000), 0);
	ck_assert_int_eq(xm_build(&m, &h), 0);
	ck_assert_int_eq(xm_parse(h, h->nlmsg_len, &back), 0);
	ck_assert(back.sa.has_replay && !back.sa.has_replay_esn);
	ck_assert_uint_eq(back.sa.replay.oseq, 1000);
	ck_assert_uint_eq(back.sa.replay.seq, 0);
	ck_assert_uint_eq(back.sa.replay.bitmap, 0);
	ck_assert_uint_eq(xm_state_oseq(&back.sa), 1000);
	xm_free(h);
	/* no ESN, a window above 32 (bitmap attribute): its oseq, no high half */
	m.sa.has_replay = false;
	m.sa.has_replay_esn = true;
	m.sa.replay_esn.oseq_hi = 9;
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, 0xfffffffeull), 0);
	ck_assert_uint_eq(m.sa.replay_esn.oseq, 0xfffffffe);
	ck_assert_uint_eq(m.sa.replay_esn.oseq_hi, 0);
	ck_assert_uint_eq(xm_state_oseq(&m.sa), 0xfffffffeull);
	ck_assert_int_eq(xm_state_set_oseq(&m.sa, 0xffffffffull), -ERANGE);
	free(x.b);
}
END_TEST

START_TEST(keys)
{
	struct xm_state a, b;
	struct xm_policy p, q;
	struct xm_key ka, kb;

	a_state(&a);
	b = a;
	b.reqid = 1; /* not part of the key */
	b.mode = XFRM_MODE_TRANSPORT;
	memset((uint8_t *)&b.daddr + 4, 0xee, 12); /* past an IPv4 address */
	xm_state_key(&a, &ka);
	xm_state_key(&b, &kb);
	ck_assert(xm_key_equal(&ka, &kb));
	ck_assert(xm_key_hash(&ka) == xm_key_hash(&kb));
	b.has_mark = true; /* a mark of 0/0 is no mark */
	xm_state_key(&b, &kb);
	ck_assert(xm_key_equal(&ka, &kb));
	b.mark.v = 1;
	xm_state_key(&b, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));
	b = a;
	b.spi = htonl(0x1235);
	xm_state_key(&b, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));

	a_policy(&p);
	q = p;
	q.priority = 1; /* not part of the key */
	q.ntmpl = 0;
	xm_policy_key(&p, &ka);
	xm_policy_key(&q, &kb);
	ck_assert(xm_key_equal(&ka, &kb));
	q.dir = XFRM_POLICY_IN;
	xm_policy_key(&q, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));
	q = p;
	q.if_id = 3;
	xm_policy_key(&q, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));
	q = p;
	q.sel.prefixlen_d = 63;
	xm_policy_key(&q, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));
	/* a state's key is never a policy's */
	memset(&a, 0, sizeof(a));
	memset(&p, 0, sizeof(p));
	xm_state_key(&a, &ka);
	xm_policy_key(&p, &kb);
	ck_assert(!xm_key_equal(&ka, &kb));
	ck_assert_str_eq(xm_dir_name(XFRM_POLICY_FWD), "fwd");
	ck_assert_str_eq(xm_dir_name(9), "?");
	ck_assert_uint_eq(xm_addr_len(AF_UNIX), 0);
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("xfrm_msg");
	TCase *tc = tcase_create("kernel bytes");

	tcase_add_test(tc, ours_sa_dump);
	tcase_add_test(tc, ours_policy_dump);
	tcase_add_test(tc, ours_stop_events);
	tcase_add_test(tc, libreswan_bundle);
	tcase_add_test(tc, charon_children);
	tcase_add_test(tc, shunts_by_hand);
	tcase_add_test(tc, events_and_expires);
	tcase_add_test(tc, truncated_fixtures);
	tcase_add_loop_test(tc, every_cut, 0, NFIXTURES);
	suite_add_tcase(s, tc);
	tc = tcase_create("round trips");
	tcase_add_loop_test(tc, fixture_round_trips, 0, NFIXTURES);
	tcase_add_test(tc, built_state_round_trips);
	tcase_add_test(tc, built_policy_round_trips);
	tcase_add_test(tc, dump_requests);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_test(tc, malformed_attrs);
	tcase_add_test(tc, malformed_headers);
	tcase_add_test(tc, build_errors);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, oseq_read_and_set);
	tcase_add_test(tc, iseq_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
